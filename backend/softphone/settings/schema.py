"""The settings schema: typed fields, defaults, and validation of what is read from disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from typing import Any

import phonenumbers

from softphone.directory.config import DirectorySources, sources_from_json
from softphone.domain.account import AccountConfig, Transport
from softphone.domain.colleagues import MonitoredUser, monitored_users
from softphone.domain.directory import DisplayOrder
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.policy import Forwarding

SCHEMA_VERSION = 1
LANGUAGES = ("en", "fr", "de", "it")


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the user chooses that survives a restart (runtime state like mute does not)."""

    account: AccountConfig | None = None
    language: str | None = None  # None: follow the OS
    theme: Theme = Theme.SYSTEM
    call_waiting: bool = True  # off: a new call while one exists is refused with 486
    dnd: bool = False  # do-not-disturb: every new call is refused (486)
    forwarding: Forwarding = field(default_factory=Forwarding)  # targets as typed
    blf_users: tuple[MonitoredUser, ...] = ()  # colleagues on the BLF panel
    headset_integration: bool = True  # telephony headsets ring, answer, mute, show call state
    busylight_blink: bool = True  # the "on call" light blinks while a call rings
    notifications: bool = True  # OS notifications for incoming and missed calls
    directory_order: DisplayOrder = DisplayOrder.FIRST_LAST  # names shown and sorted by
    home_country: str = "CH"  # ISO region: how "044 123 45 67" is read as +41 44 123 45 67
    directory: DirectorySources = field(default_factory=DirectorySources)

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "language")
        if self.home_country not in phonenumbers.SUPPORTED_REGIONS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "home_country")

    def with_changes(self, **changes: Any) -> Settings:
        if "theme" in changes:
            try:
                changes["theme"] = Theme(changes["theme"])
            except ValueError as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "theme") from exc
        if "directory_order" in changes:
            try:
                changes["directory_order"] = DisplayOrder(changes["directory_order"])
            except ValueError as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "directory_order") from exc
        if isinstance(changes.get("forwarding"), dict):
            try:
                changes["forwarding"] = replace(self.forwarding, **changes["forwarding"])
            except (TypeError, ValueError) as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "forwarding") from exc
        return replace(self, **changes)


def to_json(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    data["version"] = SCHEMA_VERSION
    return data


def from_json(data: Any) -> Settings:
    """Build Settings from parsed JSON; raises ValueError/SoftphoneError on anything invalid."""
    if not isinstance(data, dict):
        raise ValueError("settings file is not a JSON object")
    account_data = data.get("account")
    account = None
    if account_data is not None:
        if not isinstance(account_data, dict):
            raise ValueError("account is not an object")
        account = AccountConfig(
            server=_str(account_data, "server"),
            user=_str(account_data, "user"),
            auth_user=_str(account_data, "auth_user", ""),
            display_name=_str(account_data, "display_name", ""),
            transport=Transport(_str(account_data, "transport", "udp")),
        )
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError("language is not a string")
    call_waiting = data.get("call_waiting", True)
    if not isinstance(call_waiting, bool):
        raise ValueError("call_waiting is not a boolean")
    dnd = data.get("dnd", False)
    if not isinstance(dnd, bool):
        raise ValueError("dnd is not a boolean")
    headset = {
        k: data.get(k, True) for k in ("headset_integration", "busylight_blink", "notifications")
    }
    if not all(isinstance(v, bool) for v in headset.values()):
        raise ValueError("headset or notification settings are not booleans")
    return Settings(
        **headset,
        account=account,
        language=language,
        theme=Theme(data.get("theme", "system")),
        call_waiting=call_waiting,
        dnd=dnd,
        forwarding=_forwarding(data.get("forwarding", {})),
        blf_users=_blf_users(data.get("blf_users", [])),
        directory_order=DisplayOrder(data.get("directory_order", "first_last")),
        home_country=_str(data, "home_country", "CH"),
        directory=sources_from_json(data.get("directory", {})),
    )


def _blf_users(data: Any) -> tuple[MonitoredUser, ...]:
    try:
        return monitored_users(data)
    except SoftphoneError as exc:
        raise ValueError("blf_users is invalid") from exc


def _forwarding(data: Any) -> Forwarding:
    if not isinstance(data, dict):
        raise ValueError("forwarding is not an object")
    fields = {f.name: f.type for f in dataclass_fields(Forwarding)}
    for key, value in data.items():
        expected = {"bool": bool, "str": str, "int": int}[str(fields.get(key, "str"))]
        if key not in fields or type(value) is not expected:
            raise ValueError(f"forwarding.{key} is invalid")
    return Forwarding(**data)


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value
