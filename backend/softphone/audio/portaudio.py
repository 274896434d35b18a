"""PortAudio (sounddevice) loaded with our ALSA pulse-plugin settings (assets/alsa-pulse.conf)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from softphone.resources import assets_dir

# alsa-lib's top-level configuration when ALSA_CONFIG_PATH is unset (its compiled-in path on
# Debian, Ubuntu and Fedora); it loads /etc/asound.conf, ~/.asoundrc and conf.d itself.
SYSTEM_ALSA_CONFIG = Path("/usr/share/alsa/alsa.conf")


def sounddevice() -> Any:
    """The sounddevice module, with `alsa_config_path()` in the environment: alsa-lib reads
    ALSA_CONFIG_PATH when PortAudio lists devices and again at each stream's open (a change
    after PortAudio's start was seen to apply)."""
    _use_app_alsa_config()
    import sounddevice as sd

    return sd


@functools.cache
def _use_app_alsa_config() -> None:
    """Once a process: every stream's open and device listing comes through here."""
    path = alsa_config_path(os.environ.get("ALSA_CONFIG_PATH"))
    if path is not None:
        os.environ["ALSA_CONFIG_PATH"] = path  # inherited by the engine process too


def alsa_config_path(current: str | None) -> str | None:
    """ALSA_CONFIG_PATH with the app's file after the system's, or None to leave it as is
    (no ALSA here, or ours already there)."""
    ours = assets_dir() / "alsa-pulse.conf"
    if os.name != "posix" or not ours.is_file():
        return None
    paths = current.split(":") if current else [str(SYSTEM_ALSA_CONFIG)]
    if str(ours) in paths or not Path(paths[0]).is_file():
        return None
    return ":".join([*paths, str(ours)])
