"""The colleagues a user watches on the BLF panel (until the company directory provides them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from softphone.domain.errors import ErrorKey, SoftphoneError

MAX_MONITORED = 200
_EXTENSION = re.compile(r"^[A-Za-z0-9*#+._-]{1,32}$")


@dataclass(frozen=True, slots=True)
class MonitoredUser:
    extension: str
    name: str = ""

    def __post_init__(self) -> None:
        if not _EXTENSION.match(self.extension):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "extension")
        if len(self.name) > 64 or any(ord(c) < 32 for c in self.name):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "name")


def monitored_users(value: Any) -> tuple[MonitoredUser, ...]:
    """A `blf_users` list from the wire or the settings file; duplicates keep the first."""
    if not isinstance(value, list) or len(value) > MAX_MONITORED:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "blf_users")
    users: dict[str, MonitoredUser] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) - {"extension", "name"}:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "blf_users")
        extension, name = item.get("extension"), item.get("name", "")
        if not isinstance(extension, str) or not isinstance(name, str):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "blf_users")
        user = MonitoredUser(extension.strip(), name.strip())
        users.setdefault(user.extension, user)
    return tuple(users.values())
