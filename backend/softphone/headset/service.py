"""Headset integration: follows the app's call events, feeds presses to the Phone like the UI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from softphone.bus import EventBus
from softphone.domain.calls import CallSnapshot
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import CallChanged, CallRemoved, SettingsChanged, SnapshotInvalidated
from softphone.domain.headset import DetectedHeadset, HeadsetReason, HeadsetsChanged
from softphone.headset import quirks
from softphone.headset.busylight import BusyLight, light_for
from softphone.headset.busylight_core_driver import SelectedBusyLight
from softphone.headset.descriptor import DescriptorError, parse, telephony_profile
from softphone.headset.device import Attachment, DeviceWatcher, HidDeviceInfo, HidTransport
from softphone.headset.telephony import Action, HeadsetCommand, TelephonyHeadset
from softphone.phone.service import Phone

log = logging.getLogger(__name__)


class HeadsetService:
    """Owns the HID thread; one TelephonyHeadset per connected telephony device."""

    def __init__(
        self,
        bus: EventBus,
        phone: Phone,
        calls: Callable[[], list[CallSnapshot]],
        transport: HidTransport | None,
        *,
        enabled: bool = True,
        busylight: BusyLight | None = None,
        blink_when_ringing: bool = True,
        scan_interval: float = 2.0,
        last_number: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._bus = bus
        self._phone = phone
        self._calls = calls
        self._transport = transport
        self._enabled = enabled
        self._busylight = busylight
        self._blink = blink_when_ringing
        self._last_number = last_number  # for Redial: the history's last outgoing number
        self._lock = threading.Lock()
        self._headsets: dict[bytes, TelephonyHeadset] = {}
        self._detected: dict[bytes, DetectedHeadset] = {}
        self._watcher = (
            DeviceWatcher(transport, self._attached, self._detached, scan_interval=scan_interval)
            if transport is not None
            else None
        )
        for event_type in (CallChanged, CallRemoved, SnapshotInvalidated):
            bus.subscribe(event_type, lambda _e: self._follow_calls())
        bus.subscribe(SettingsChanged, self._on_settings)

    def start(self) -> None:
        if self._watcher is not None:
            self._watcher.start()

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        if self._busylight is not None:
            self._busylight.close()

    def detected(self) -> tuple[DetectedHeadset, ...]:
        with self._lock:
            return tuple(self._detected.values())

    # --- devices (HID thread) ------------------------------------------------------------

    def _attached(self, info: HidDeviceInfo) -> Attachment | None:
        assert self._transport is not None
        try:
            parsed = quirks.fix_descriptor(
                info.vendor_id, parse(self._transport.report_descriptor(info))
            )
        except (OSError, DescriptorError) as exc:
            log.info("HID device %04x:%04x unreadable: %s", info.vendor_id, info.product_id, exc)
            return None
        profile = telephony_profile(parsed)
        if profile is None:
            if quirks.looks_like_audio(info.name):
                self._set_detected(info, False, HeadsetReason.NO_TELEPHONY)
            return None
        try:
            handle = self._transport.open(info)
        except PermissionError:
            self._set_detected(info, True, HeadsetReason.PERMISSION_DENIED)
            return None
        except OSError:
            self._set_detected(info, True, HeadsetReason.OPEN_FAILED)
            return None

        def write(report: bytes) -> None:
            try:
                handle.write(report)
            except OSError:
                log.info("write to headset %s failed", info.name)

        headset = TelephonyHeadset(profile, write, quirks.timing(info.vendor_id))
        with self._lock:
            self._headsets[info.path] = headset
        headset.show(self._calls() if self._enabled else [], force=True)
        self._set_detected(info, True, None if self._enabled else HeadsetReason.DISABLED)
        log.info(
            "telephony headset attached: %s (%04x:%04x)", info.name, info.vendor_id, info.product_id
        )
        return Attachment(handle, lambda report: self._on_report(headset, report))

    def _detached(self, info: HidDeviceInfo) -> None:
        with self._lock:
            self._headsets.pop(info.path, None)
            removed = self._detected.pop(info.path, None)
        if removed is not None:
            self._publish()

    def _set_detected(
        self, info: HidDeviceInfo, telephony: bool, reason: HeadsetReason | None
    ) -> None:
        entry = DetectedHeadset(
            info.name, info.vendor_id, info.product_id, telephony, reason, info.serial
        )
        with self._lock:
            if self._detected.get(info.path) == entry:
                return
            self._detected[info.path] = entry
        self._publish()

    def _publish(self) -> None:
        self._bus.publish(HeadsetsChanged(self.detected()))

    def _on_report(self, headset: TelephonyHeadset, report: bytes) -> None:
        if not self._enabled:
            return
        for command in headset.handle_report(report):
            self._run(command)

    def _run(self, command: HeadsetCommand) -> None:
        """The same Phone calls the UI makes; a refusal (the call moved on) is only logged."""
        log.info("headset asks: %s %s", command.action.value, command.call_id)
        call_id = command.call_id
        try:
            match command.action:
                case Action.ANSWER:
                    self._phone.answer(call_id)
                case Action.REJECT:
                    self._phone.reject(call_id)
                case Action.HANGUP:
                    self._phone.hangup(call_id)
                case Action.HOLD:
                    self._phone.hold(call_id)
                case Action.RESUME:
                    self._phone.resume(call_id)
                case Action.MUTE | Action.UNMUTE:
                    self._phone.set_mute(call_id, command.action is Action.MUTE)
                case Action.REDIAL:
                    try:
                        number = self._last_number()
                    except Exception:  # the history file unreadable: no redial, no dead thread
                        log.exception("headset redial: reading the history failed")
                        return
                    if number is None:
                        log.info("headset redial: no outgoing call in the history")
                        return
                    self._phone.dial(number)  # the UI's call.dial
        except SoftphoneError as exc:
            log.info("headset %s refused: %s", command.action.value, exc.key.value)

    # --- app events (publisher's thread) -------------------------------------------------

    def _follow_calls(self) -> None:
        calls = self._calls()
        with self._lock:
            headsets = list(self._headsets.values())
        for headset in headsets:
            headset.show(calls if self._enabled else [])
        if self._busylight is not None:
            self._busylight.show(light_for(calls, self._blink))

    def _on_settings(self, event: SettingsChanged) -> None:
        enabled = bool(getattr(event.settings, "headset_integration", True))
        self._blink = bool(getattr(event.settings, "busylight_blink", True))
        if isinstance(self._busylight, SelectedBusyLight):
            self._busylight.select(str(getattr(event.settings, "busylight", "auto")))
        if enabled == self._enabled:
            return
        self._enabled = enabled
        with self._lock:
            for path, entry in self._detected.items():
                if entry.telephony and entry.reason in (None, HeadsetReason.DISABLED):
                    reason = None if enabled else HeadsetReason.DISABLED
                    self._detected[path] = replace(entry, reason=reason)
        self._follow_calls()
        self._publish()
