"""The settings schema: typed fields, defaults, and validation of what is read from disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError

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

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "language")

    def with_changes(self, **changes: Any) -> Settings:
        if "theme" in changes:
            try:
                changes["theme"] = Theme(changes["theme"])
            except ValueError as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "theme") from exc
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
    return Settings(
        account=account,
        language=language,
        theme=Theme(data.get("theme", "system")),
        call_waiting=call_waiting,
    )


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value
