"""Which devices call audio and the ringer use: the user's choices against what is plugged in.

Pure: no sound system is touched. A chosen device is found by its id, else by its name (a USB
headset replugged into another port gets a new PulseAudio id but keeps its name); a chosen
device that is absent falls back to the system default (None) and is reported, so the UI can
say "<name> is not connected", and is used again as soon as it is back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from softphone.audio.devices import AudioDevice, Direction

Role = Literal["input", "output", "ringer"]
ROLES: tuple[Role, ...] = ("input", "output", "ringer")
_DIRECTION: dict[Role, Direction] = {"input": "input", "output": "output", "ringer": "output"}


@dataclass(frozen=True, slots=True)
class AudioPreferences:
    """What the user chose (device ids, None: system default) and the names they had."""

    input: str | None = None
    output: str | None = None
    ringer: str | None = None
    names: Mapping[str, str] | None = None

    def wanted(self, role: Role) -> str | None:
        value: str | None = getattr(self, role)
        return value

    def name_of(self, device_id: str) -> str:
        return (self.names or {}).get(device_id) or device_id


@dataclass(frozen=True, slots=True)
class AudioRoute:
    """The device ids to open now; None: the system default."""

    input: str | None = None
    output: str | None = None
    ringer: str | None = None


@dataclass(frozen=True, slots=True)
class Fallback:
    """A chosen device that is not connected: `role` uses the system default instead."""

    role: Role
    device_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Resolution:
    route: AudioRoute
    fallbacks: tuple[Fallback, ...] = ()


def resolve(prefs: AudioPreferences, devices: Iterable[AudioDevice]) -> Resolution:
    present = list(devices)
    chosen: dict[Role, str | None] = {}
    fallbacks: list[Fallback] = []
    for role in ROLES:
        wanted = prefs.wanted(role)
        if wanted is None:
            chosen[role] = None
            continue
        found = _find(present, _DIRECTION[role], wanted, prefs.name_of(wanted))
        if found is None:
            fallbacks.append(Fallback(role, wanted, prefs.name_of(wanted)))
        chosen[role] = found.id if found else None
    route = AudioRoute(chosen["input"], chosen["output"], chosen["ringer"])
    return Resolution(route, tuple(fallbacks))


def _find(
    devices: list[AudioDevice], direction: Direction, wanted: str, name: str
) -> AudioDevice | None:
    same = [d for d in devices if d.direction == direction]
    by_id = next((d for d in same if d.id == wanted), None)
    if by_id is not None:
        return by_id
    # Only an unambiguous name counts: two identical headsets must not be confused.
    by_name = [d for d in same if d.name == name]
    return by_name[0] if len(by_name) == 1 else None
