"""Headsets the app sees, as the settings page lists them, and the event when that changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.events import Event


class HeadsetReason(StrEnum):
    """Why a detected headset's buttons do nothing (a key the frontend translates)."""

    NO_TELEPHONY = "no_telephony"  # audio only: no telephony collection (gaming headsets)
    PERMISSION_DENIED = "permission_denied"  # Linux: /dev/hidraw* not readable (udev rules)
    OPEN_FAILED = "open_failed"  # busy or vanished while opening
    DISABLED = "disabled"  # "Full headset integration" is off


@dataclass(frozen=True, slots=True)
class DetectedHeadset:
    name: str
    vendor_id: int
    product_id: int
    telephony: bool  # has a telephony collection: rings, answers, mutes
    reason: HeadsetReason | None = None  # set when its buttons are not in use
    serial: str = ""  # USB serial number, "" when the device has none

    @property
    def key(self) -> str:
        """Stable id across replugs ("vvvv:pppp" or "vvvv:pppp:serial"): what settings store."""
        base = f"{self.vendor_id:04x}:{self.product_id:04x}"
        return f"{base}:{self.serial}" if self.serial else base


@dataclass(frozen=True, slots=True)
class HeadsetsChanged(Event):
    headsets: tuple[DetectedHeadset, ...]
