"""The app's ALSA settings (assets/alsa-pulse.conf) are read after the system's, never instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.audio import portaudio
from softphone.resources import assets_dir

OURS = str(assets_dir() / "alsa-pulse.conf")


def test_ours_comes_after_the_system_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = tmp_path / "alsa.conf"
    system.write_text("")
    monkeypatch.setattr(portaudio, "SYSTEM_ALSA_CONFIG", system)
    assert portaudio.alsa_config_path(None) == f"{system}:{OURS}"
    # A path the user set is kept whole, ours after it, and only once.
    custom = tmp_path / "custom.conf"
    custom.write_text("")
    assert portaudio.alsa_config_path(str(custom)) == f"{custom}:{OURS}"
    assert portaudio.alsa_config_path(f"{custom}:{OURS}") is None


def test_without_alsa_nothing_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portaudio, "SYSTEM_ALSA_CONFIG", tmp_path / "missing" / "alsa.conf")
    assert portaudio.alsa_config_path(None) is None


def test_the_setting_is_the_pulse_plugins_underrun_handling() -> None:
    lines = [ln for ln in Path(OURS).read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines == ["pcm.pulse.handle_underrun false"]
