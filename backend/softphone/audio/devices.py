"""The sound devices a user can choose, by name: PulseAudio's on Linux, PortAudio's elsewhere.

On Linux, PortAudio (through ALSA) sees one "pulse" device, not the headset or the speakers
behind it, so the list comes from the PulseAudio server (also PipeWire's pulse server) and a
stream reaches the chosen device through the ALSA "pulse" plugin (see streams.py). Elsewhere
the list is PortAudio's own. Monitors of outputs are not microphones and are left out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from softphone.audio import portaudio

log = logging.getLogger(__name__)

Direction = Literal["input", "output"]


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One device. `id` is what settings store (stable across restarts and replugs: the
    PulseAudio name, or PortAudio's device name); `name` is what the user reads."""

    id: str
    name: str
    direction: Direction
    is_default: bool = False
    # USB identity (PulseAudio's device.vendor.id / device.product.id / device.serial), so a
    # USB headset's sound card can be matched to its HID telephony interface; None elsewhere.
    vendor_id: int | None = None
    product_id: int | None = None
    serial: str | None = None


def pulse_server_running() -> bool:
    """Whether a PulseAudio (or PipeWire-pulse) server answers for this user."""
    try:
        import pulsectl
    except ImportError:
        return False
    try:
        with pulsectl.Pulse("softphone-probe", connect=True):
            return True
    except pulsectl.PulseError:
        return False


def list_devices() -> list[AudioDevice]:
    """Every input and output device, defaults flagged; [] when there is no sound system."""
    if os.name == "posix" and pulse_server_running():
        return _pulse_devices()
    return _portaudio_devices()


def _pulse_devices() -> list[AudioDevice]:
    import pulsectl

    try:
        with pulsectl.Pulse("softphone-devices") as pulse:
            info = pulse.server_info()
            devices = [
                AudioDevice(
                    s.name,
                    s.description or s.name,
                    "output",
                    s.name == info.default_sink_name,
                    *usb_identity(s.proplist),
                )
                for s in pulse.sink_list()
            ]
            devices += [
                AudioDevice(
                    s.name,
                    s.description or s.name,
                    "input",
                    s.name == info.default_source_name,
                    *usb_identity(s.proplist),
                )
                for s in pulse.source_list()
                # A monitor replays an output; offering it as a microphone only confuses.
                if s.monitor_of_sink == 0xFFFFFFFF
            ]
            return devices
    except pulsectl.PulseError as exc:
        log.warning("PulseAudio device list failed: %s", exc)
        return []


def usb_identity(proplist: Mapping[str, str]) -> tuple[int | None, int | None, str | None]:
    """(vendor id, product id, serial) of a USB sound device from its PulseAudio properties;
    Nones for anything else (built-in cards, Bluetooth, null sinks)."""
    if proplist.get("device.bus") != "usb":
        return None, None, None
    try:
        vendor = int(proplist.get("device.vendor.id", ""), 16)
        product = int(proplist.get("device.product.id", ""), 16)
    except ValueError:
        return None, None, None
    return vendor, product, proplist.get("device.serial") or None


def _portaudio_devices() -> list[AudioDevice]:
    try:
        sd = portaudio.sounddevice()

        found = sd.query_devices()
        default_in, default_out = sd.default.device
    except (OSError, ImportError) as exc:  # no PortAudio library at all
        log.warning("no sound system: %s", exc)
        return []
    devices: list[AudioDevice] = []
    for index, dev in enumerate(found):
        name = str(dev["name"])
        if int(dev["max_output_channels"]) > 0:
            devices.append(AudioDevice(name, name, "output", index == default_out))
        if int(dev["max_input_channels"]) > 0:
            devices.append(AudioDevice(name, name, "input", index == default_in))
    return devices
