"""Wire shapes of audio devices, route, fallbacks and diagnostics (used by wire.to_wire)."""

from __future__ import annotations

from typing import Any

from softphone.audio.devices import AudioDevice
from softphone.audio.selection import AudioRoute, Fallback
from softphone.domain.events import AudioStatusReported

Wire = dict[str, Any]


def device(value: AudioDevice) -> Wire:
    return {
        "id": value.id,
        "name": value.name,
        "direction": value.direction,
        "is_default": value.is_default,
    }


def route(value: AudioRoute) -> Wire:
    return {"input": value.input, "output": value.output, "ringer": value.ringer}


def fallback(value: Fallback) -> Wire:
    return {"role": value.role, "device_id": value.device_id, "name": value.name}


def devices_payload(
    devices: tuple[AudioDevice, ...], value: AudioRoute, fallbacks: tuple[Fallback, ...]
) -> Wire:
    return {
        "devices": [device(d) for d in devices],
        "route": route(value),
        "fallbacks": [fallback(f) for f in fallbacks],
    }


def status(value: AudioStatusReported | None) -> Wire | None:
    if value is None:
        return None
    return {
        "running": value.running,
        "input": value.input,
        "output": value.output,
        "echo_cancellation": value.echo_cancellation,
        "underruns": value.underruns,
        "overruns": value.overruns,
        "frames": value.frames,
        "error": value.error,
        "underrun_burst": value.underrun_burst,
    }
