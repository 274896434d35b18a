"""Headset service on the fake HID transport: hot-plug, the device list, presses, busy light."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from softphone.bus import EventBus
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.events import CallChanged, CallRemoved, SettingsChanged
from softphone.domain.headset import DetectedHeadset, HeadsetReason, HeadsetsChanged
from softphone.domain.settings import Settings
from softphone.headset.busylight import RelayBusyLight
from softphone.headset.service import HeadsetService
from support.fake_hid import FakeHidTransport
from support.manual_time import ManualTime
from support.waiting import until

BLINK_S = 0.5


class FakePhone:
    def __init__(self) -> None:
        self.done: list[tuple[Any, ...]] = []

    def answer(self, call_id: str) -> None:
        self.done.append(("answer", call_id))

    def reject(self, call_id: str) -> None:
        self.done.append(("reject", call_id))

    def hangup(self, call_id: str) -> None:
        self.done.append(("hangup", call_id))

    def set_mute(self, call_id: str, muted: bool) -> None:
        self.done.append(("mute", call_id, muted))


class FakeRelay:
    """Stands in for pyhid_usb_relay.Controller: records set_state(relay, on)."""

    def __init__(self) -> None:
        self.states: list[bool] = []

    def set_state(self, relay: int, state: bool) -> None:
        assert relay == 1
        self.states.append(state)


class Rig:
    def __init__(self, transport: FakeHidTransport) -> None:
        self.bus = EventBus()
        self.phone = FakePhone()
        self.relay = FakeRelay()
        self.clock = ManualTime()  # the light's blinking
        self.calls: list[CallSnapshot] = []
        self.lists: list[tuple[DetectedHeadset, ...]] = []
        self.bus.subscribe(HeadsetsChanged, lambda e: self.lists.append(e.headsets))
        self.transport = transport
        self.service = HeadsetService(
            self.bus,
            self.phone,  # type: ignore[arg-type]
            lambda: list(self.calls),
            transport,
            busylight=RelayBusyLight(
                find=lambda: self.relay,
                blink_period_s=BLINK_S,
                clock=self.clock.monotonic,
                wait=self.clock.wait,
            ),
            scan_interval=0.1,
        )

    def set_calls(self, *calls: CallSnapshot) -> None:
        gone = {c.id for c in self.calls} - {c.id for c in calls}
        self.calls = list(calls)
        for call in calls:
            self.bus.publish(CallChanged(call, None))
        for call_id in gone:
            self.bus.publish(CallRemoved(call_id))


@pytest.fixture
def make_rig() -> Iterator[Callable[[FakeHidTransport], Rig]]:
    rigs: list[Rig] = []

    def make(transport: FakeHidTransport) -> Rig:
        rig = Rig(transport)
        rig.service.start()
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.service.stop()


def _call(state: CallState, **kw: Any) -> CallSnapshot:
    call = CallSnapshot("c1", CallDirection.INCOMING, state, "1002", "", "sip:1002@x", 0.0)
    return replace(call, **kw)


def test_lists_telephony_and_gaming_headsets_but_no_other_hid_device(
    make_rig: Callable[[FakeHidTransport], Rig],
) -> None:
    rig = make_rig(FakeHidTransport("0b0e-0307", "046d-0ac4"))
    until(lambda: len(rig.service.detected()) == 2)
    by_vendor = {h.vendor_id: h for h in rig.service.detected()}
    assert by_vendor[0x0B0E].telephony and by_vendor[0x0B0E].reason is None
    assert by_vendor[0x046D] == DetectedHeadset(
        "G535 Wireless Gaming Headset", 0x046D, 0x0AC4, False, HeadsetReason.NO_TELEPHONY
    )
    assert "046d-0ac4" not in rig.transport.handles  # never opened: audio only


def test_permission_problem_is_reported_as_a_reason(
    make_rig: Callable[[FakeHidTransport], Rig],
) -> None:
    rig = make_rig(FakeHidTransport("1395-00a2", denied=("1395-00a2",)))
    until(lambda: bool(rig.service.detected()))
    assert rig.service.detected()[0].reason is HeadsetReason.PERMISSION_DENIED


def test_hot_plug_attaches_shows_the_call_and_detaches(
    make_rig: Callable[[FakeHidTransport], Rig],
) -> None:
    rig = make_rig(FakeHidTransport())
    rig.set_calls(_call(CallState.CONNECTED))
    rig.transport.plug("0b0e-0307")
    handle = rig.transport.wait_handle("0b0e-0307")
    assert handle.wait_written(lambda r: True) == b"\x02\x01\x00"  # Off-Hook at once
    assert rig.lists[-1][0].name == "Jabra EVOLVE LINK MS"
    rig.transport.unplug("0b0e-0307")
    until(lambda: rig.service.detected() == ())
    assert rig.lists[-1] == ()


def test_presses_reach_the_phone_and_the_relay_follows_the_call(
    make_rig: Callable[[FakeHidTransport], Rig],
) -> None:
    rig = make_rig(FakeHidTransport("0b0e-0307"))
    handle = rig.transport.wait_handle("0b0e-0307")
    rig.set_calls(_call(CallState.RINGING_IN))
    handle.wait_written(lambda r: r == b"\x02\x24\x00")
    rig.clock.wait_for_waits(1)
    rig.clock.step(BLINK_S)
    rig.clock.step(BLINK_S)
    assert rig.relay.states == [True, False, True]  # blinking
    handle.press(b"\x02\x01\x00")
    until(lambda: rig.phone.done == [("answer", "c1")])
    rig.set_calls(_call(CallState.CONNECTED))
    handle.wait_written(lambda r: r == b"\x02\x01\x00")
    assert rig.relay.states[-1] is True  # steady on ...
    assert rig.clock.waiting == 0  # ... no blinker waiting to toggle it
    count = len(rig.relay.states)
    rig.clock.advance(10 * BLINK_S)
    assert len(rig.relay.states) == count
    rig.set_calls()
    assert rig.relay.states[-1] is False


def test_integration_switched_off_clears_leds_and_ignores_buttons(
    make_rig: Callable[[FakeHidTransport], Rig],
) -> None:
    rig = make_rig(FakeHidTransport("0b0e-0307"))
    handle = rig.transport.wait_handle("0b0e-0307")
    rig.set_calls(_call(CallState.RINGING_IN))
    handle.wait_written(lambda r: r == b"\x02\x24\x00")
    rig.bus.publish(SettingsChanged(Settings(headset_integration=False)))
    handle.wait_written(lambda r: r == b"\x02\x00\x00")
    assert rig.service.detected()[0].reason is HeadsetReason.DISABLED
    handle.press(b"\x02\x01\x00")
    handle.wait_handled()
    assert rig.phone.done == []
