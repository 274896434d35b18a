"""How one run of the app is set up: the command line's choices (light: imported before the
window opens, while the app itself is imported beside it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from softphone.domain.account import AccountConfig
from softphone.engine.config import EngineConfig
from softphone.paths import AppPaths

if TYPE_CHECKING:
    from softphone.headset.device import HidTransport


@dataclass(frozen=True, slots=True)
class ScriptedAccount:
    """An account given on the command line; its password never touches the disk."""

    account: AccountConfig
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ScriptedEmail:
    """--email: the e-mail sign-in of the form (provisioning, else DNS), run at start."""

    email: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AppOptions:
    paths: AppPaths
    engine: EngineConfig = field(default_factory=EngineConfig)
    web_port: int = 0
    scripted_account: ScriptedAccount | None = None
    scripted_email: ScriptedEmail | None = None
    hid_transport: HidTransport | None = None  # None: the system's (hidraw on Linux)
    autostart_dir: Path | None = None  # None: $XDG_CONFIG_HOME/autostart
    launch_data_dir: Path | None = None  # --data-dir, repeated in the autostart entry
    provisioning_url: str = ""  # --provisioning-url (docs/provisioning.md)
