"""Wire commands of audio: audio.devices, audio.configure, audio.mic_test, audio.speaker_test."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from softphone.audio.devices import AudioDevice, Direction
from softphone.audio.service import AudioService
from softphone.audio.streams import DeviceUnavailableError
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SettingsChanged
from softphone.domain.settings import Settings
from softphone.settings.store import SettingsStore
from softphone.web import wire
from softphone.web.commands import CommandHandler
from softphone.web.wire import Wire, arg_bool, arg_str

log = logging.getLogger(__name__)

# wire argument -> (settings field, device direction)
_ROLES: dict[str, tuple[str, Direction]] = {
    "input": ("audio_input", "input"),
    "output": ("audio_output", "output"),
    "ringer": ("audio_ringer", "output"),
}
# wire arguments that are boolean settings of the same name
_SWITCHES = frozenset({"echo_cancellation", "auto_gain"})


def audio_commands(
    audio: AudioService, settings: SettingsStore, publish: Callable[[Event], None]
) -> dict[str, CommandHandler]:
    def devices(_args: Wire) -> Wire:
        resolution = audio.resolution
        result = wire.audio_devices_payload(audio.devices, resolution.route, resolution.fallbacks)
        result["status"] = wire.audio_status(audio.status)
        result["mic_test"] = audio.mic_test.running
        return result

    def configure(args: Wire) -> None:
        if not args or set(args) - {*_ROLES, "ring_volume", *_SWITCHES, "headset_audio"}:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
        current = settings.settings
        changes = _device_changes(args, current, audio.devices)
        if "ring_volume" in args:
            volume = args["ring_volume"]
            if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "ring_volume")
            changes["ring_volume"] = volume
        for switch in _SWITCHES & set(args):
            changes[switch] = arg_bool(args, switch)
        if "headset_audio" in args:
            if args["headset_audio"] not in ("ask", "always", "never"):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "headset_audio")
            changes["headset_audio"] = args["headset_audio"]
        updated = current.with_changes(**changes)
        settings.save(updated)
        publish(SettingsChanged(updated))

    def mic_test(args: Wire) -> None:
        if arg_bool(args, "on"):
            try:
                audio.mic_test.start()
            except DeviceUnavailableError as exc:
                log.warning("microphone test: %s", exc)
                raise SoftphoneError(ErrorKey.AUDIO_DEVICE_FAILED, "input") from exc
        else:
            audio.mic_test.stop()

    def speaker_test(args: Wire) -> Wire:
        target = arg_str(args, "target", max_len=16)
        if target not in ("output", "ringer"):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "target")
        try:
            seconds = audio.speaker_test("output" if target == "output" else "ringer")
        except DeviceUnavailableError as exc:
            log.warning("speaker test: %s", exc)
            raise SoftphoneError(ErrorKey.AUDIO_DEVICE_FAILED, target) from exc
        return {"duration_ms": round(seconds * 1000)}

    return {
        "audio.devices": devices,
        "audio.configure": configure,
        "audio.mic_test": mic_test,
        "audio.speaker_test": speaker_test,
    }


def _device_changes(
    args: Wire, current: Settings, present: tuple[AudioDevice, ...]
) -> dict[str, Any]:
    """The device ids asked for, checked against the devices present; names remembered."""
    changes: dict[str, Any] = {}
    names = dict(current.audio_names)
    for role, (field, direction) in _ROLES.items():
        if role not in args:
            continue
        value = args[role]
        if value is not None:
            value = arg_str(args, role, max_len=256)
            found = next((d for d in present if d.id == value and d.direction == direction), None)
            # An unplugged device may stay chosen (it is used again when back), but a device
            # never seen cannot be chosen.
            if found is None and value != getattr(current, field):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, role)
            if found is not None:
                names[value] = found.name
        changes[field] = value
    # A choice by hand: unplugging the headset must no longer revert to older devices.
    if any(role in args for role in _ROLES):
        changes["headset_calls"] = None
        changes["audio_before_headset"] = None
    chosen = {changes.get(field, getattr(current, field)) for field, _d in _ROLES.values()}
    changes["audio_names"] = tuple(sorted((k, v) for k, v in names.items() if k in chosen))
    return changes
