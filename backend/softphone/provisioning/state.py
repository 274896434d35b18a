"""What the last good provisioning said, kept beside the settings (no secrets in it)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softphone.domain.colleagues import MonitoredUser
from softphone.private_files import write_private

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProvisioningState:
    """The URL template and e-mail to re-fetch with, the ETag, and what the picker offers."""

    url: str = ""  # the template, placeholders kept: the e-mail may be typed again later
    email: str = ""
    etag: str = ""
    colleagues: tuple[MonitoredUser, ...] = ()
    locked: tuple[str, ...] = ()
    refresh_minutes: int = 0
    fetched_at: float = 0.0


class StateFile:
    """provisioning.json in the config dir: read leniently (it is only a cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> ProvisioningState:
        try:
            data = json.loads(self.path.read_text())
            return ProvisioningState(
                url=_str(data, "url"),
                email=_str(data, "email"),
                etag=_str(data, "etag"),
                colleagues=tuple(
                    MonitoredUser(c["extension"], c.get("name", ""))
                    for c in data.get("colleagues", [])
                ),
                locked=tuple(str(x) for x in data.get("locked", [])),
                refresh_minutes=int(data.get("refresh_minutes", 0)),
                fetched_at=float(data.get("fetched_at", 0.0)),
            )
        except FileNotFoundError:
            return ProvisioningState()
        except Exception as exc:  # a damaged cache is dropped: the next fetch rebuilds it
            log.warning("provisioning state unreadable (%s): ignored", type(exc).__name__)
            return ProvisioningState()

    def save(self, state: ProvisioningState) -> None:
        data = {
            "url": state.url,
            "email": state.email,
            "etag": state.etag,
            "colleagues": [{"extension": c.extension, "name": c.name} for c in state.colleagues],
            "locked": list(state.locked),
            "refresh_minutes": state.refresh_minutes,
            "fetched_at": state.fetched_at,
        }
        write_private(self.path, json.dumps(data, indent=1).encode())

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValueError(key)
    return value
