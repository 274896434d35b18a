"""Redial and Line Busy on the real descriptors: exact reports in and out, duplicates ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.bus import EventBus
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.history import HistoryEntry, Outcome
from softphone.headset import quirks
from softphone.headset.descriptor import (
    LINE_BUSY,
    REDIAL,
    ReportKind,
    parse,
    telephony_profile,
)
from softphone.headset.quirks import Timing
from softphone.headset.redial import last_outgoing_number
from softphone.headset.service import HeadsetService
from softphone.headset.telephony import Action, HeadsetCommand, TelephonyHeadset
from softphone.history.store import HistoryStore
from support.fake_hid import ALL, TELEPHONY, FakeHidTransport, descriptor
from support.waiting import until


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _call(state: CallState, call_id: str = "c1") -> CallSnapshot:
    return CallSnapshot(call_id, CallDirection.INCOMING, state, "1002", "", "sip:1002@x", 0.0)


def _headset(key: str) -> tuple[TelephonyHeadset, list[bytes], Clock, int]:
    """A headset on the real descriptor; returns it, its writes, its clock, its input length."""
    parsed = quirks.fix_descriptor(int(key[:4], 16), parse(descriptor(key)))
    profile = telephony_profile(parsed)
    assert profile is not None
    written: list[bytes] = []
    clock = Clock()
    headset = TelephonyHeadset(profile, written.append, Timing(), clock)
    headset.show([], force=True)
    written.clear()
    rid = profile.controls[next(iter(profile.controls))].report_id
    return headset, written, clock, parsed.report_bytes(ReportKind.INPUT, rid)


# --- what the real descriptors declare ------------------------------------------------------


def _declared(usage: int) -> dict[str, list[tuple[str, int, int, bool, bool]]]:
    out: dict[str, list[tuple[str, int, int, bool, bool]]] = {}
    for key in ALL:
        for f in parse(descriptor(key)).fields:
            if f.usage == usage:
                entry = (f.kind.value, f.report_id, f.bit_offset, f.relative, f.preferred_state)
                out.setdefault(key, []).append(entry)
    return out


def test_redial_is_a_relative_button_on_ten_of_the_twelve_devices() -> None:
    # (kind, report id, bit, relative, preferred state): a momentary push button everywhere.
    assert _declared(REDIAL) == {
        "047f-02e6": [("input", 0x20, 3, True, True)],
        "047f-02ec": [("input", 0x01, 3, True, True)],
        "047f-c053": [("input", 0x08, 3, True, True)],
        "0b0e-0307": [("input", 0x02, 4, True, True)],
        "0b0e-2453": [("input", 0x02, 4, True, True)],
        "1395-0082": [("input", 0x08, 2, True, True)],
        "1395-009c": [("input", 0x02, 2, True, True)],
        "1395-00a2": [("input", 0x02, 4, True, True)],
        "1395-00a9": [("input", 0x02, 4, True, True)],
        "6993-b02b": [("input", 0x02, 4, True, True)],
    }


def test_line_busy_is_an_input_level_never_an_output() -> None:
    # Absolute with no preferred state: a latching state of the device, not a button.
    level = [("input", 0x02, 1, False, False)]
    assert _declared(LINE_BUSY) == {
        "0b0e-0307": level,
        "0b0e-2453": level,
        "0b0e-2456": level,
        "6993-b02b": level,
    }


# --- Redial ----------------------------------------------------------------------------------

REDIAL_KEYS = [k for k in TELEPHONY if k in _declared(REDIAL)]


@pytest.mark.parametrize("key", REDIAL_KEYS)
def test_redial_when_idle_asks_to_redial_once_per_press(key: str) -> None:
    headset, written, clock, length = _headset(key)
    ((_kind, rid, bit, _rel, _pref),) = _declared(REDIAL)[key]
    press = bytes([rid]) + (1 << bit).to_bytes(length, "little")
    release = bytes([rid]) + bytes(length)
    assert headset.handle_report(press) == [HeadsetCommand(Action.REDIAL, "")]
    assert headset.handle_report(release) == []
    clock.t += 1.0  # the device reporting the same press again
    assert headset.handle_report(press) == []
    assert headset.handle_report(release) == []
    assert written == []  # a press alone changes no LED: the new call will
    clock.t += 2.0
    assert headset.handle_report(press) == [HeadsetCommand(Action.REDIAL, "")]


def test_jabra_redial_exact_input_report() -> None:
    headset, _written, _clock, length = _headset("0b0e-0307")
    assert length == 2
    assert headset.handle_report(b"\x02\x10\x00") == [HeadsetCommand(Action.REDIAL, "")]


def test_poly_redial_exact_input_report() -> None:
    headset, _written, _clock, length = _headset("047f-02e6")
    report = b"\x20\x08" + bytes(length - 1)
    assert headset.handle_report(report) == [HeadsetCommand(Action.REDIAL, "")]


@pytest.mark.parametrize(
    "state", [CallState.RINGING_IN, CallState.CONNECTED, CallState.HELD, CallState.DIALING]
)
def test_redial_during_a_call_or_while_one_rings_is_ignored(state: CallState) -> None:
    headset, _written, clock, _length = _headset("0b0e-2453")
    headset.show([_call(state)])
    clock.t += 5
    assert headset.handle_report(b"\x02\x10\x00") == []
    headset.show([])  # the call ended: the next press redials
    clock.t += 5
    assert headset.handle_report(b"\x02\x00\x00") == []
    assert headset.handle_report(b"\x02\x10\x00") == [HeadsetCommand(Action.REDIAL, "")]


# --- Line Busy -------------------------------------------------------------------------------


def test_line_busy_silences_the_jabra_ringer_but_keeps_the_ring_led() -> None:
    headset, written, clock, _length = _headset("0b0e-0307")
    headset.show([_call(CallState.RINGING_IN)])
    assert written == [b"\x02\x24\x00"]  # LED Ring (bit 2) + Telephony Ringer (bit 5)
    written.clear()
    # The headset's line is taken by another of its connections (its mobile, say).
    assert headset.handle_report(b"\x02\x02\x00") == []  # never a command (not an answer)
    assert written == [b"\x02\x04\x00"]  # whole report: ring LED on, ringer off
    clock.t += 0.5
    assert headset.handle_report(b"\x02\x02\x00") == []  # the level repeated: nothing
    assert written == [b"\x02\x04\x00"]
    assert headset.handle_report(b"\x02\x00\x00") == []  # that call ended: the ringer again
    assert written == [b"\x02\x04\x00", b"\x02\x24\x00"]


def test_line_busy_leaves_the_call_leds_alone_and_follows_later_call_states() -> None:
    headset, written, _clock, _length = _headset("6993-b02b")
    assert headset.handle_report(b"\x02\x02\x00") == []
    assert written == []  # idle: no bit depends on it, nothing to write
    headset.show([_call(CallState.RINGING_IN)])
    ring_only = written[-1]
    headset.handle_report(b"\x02\x00\x00")
    assert written[-1] != ring_only  # the ringer bit comes back
    ringer_bit = written[-1][1] ^ ring_only[1]
    assert ringer_bit == 1 << 5 and written[-1][1] & ringer_bit


# --- the service: Redial dials the history's last outgoing number ---------------------------


def _entry(call_id: str, direction: CallDirection, number: str, at: float) -> HistoryEntry:
    return HistoryEntry(
        0, call_id, direction, number, "", f"sip:{number}@x", at, None, at + 5, 0,
        Outcome.ANSWERED, False, True,
    )  # fmt: skip


def test_last_outgoing_number_skips_incoming_calls(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        assert last_outgoing_number(store) is None
        store.save(_entry("a", CallDirection.OUTGOING, "1003", 1000.0))
        store.save(_entry("b", CallDirection.OUTGOING, "1004", 2000.0))
        for n in range(60):  # more than a page of newer incoming calls
            store.save(_entry(f"in{n}", CallDirection.INCOMING, "1002", 3000.0 + n))
        assert last_outgoing_number(store) == "1004"
    finally:
        store.close()


class DialPhone:
    """Records call.dial; refuses the first `refusals` dials (not registered, say)."""

    def __init__(self, refusals: int = 0) -> None:
        self.dialled: list[str] = []
        self.refusals = refusals

    def dial(self, number: str) -> str:
        if self.refusals:
            self.refusals -= 1
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        self.dialled.append(number)
        return "new"


@pytest.fixture
def services() -> Iterator[list[HeadsetService]]:
    started: list[HeadsetService] = []
    yield started
    for service in started:
        service.stop()


def _service(
    services: list[HeadsetService], phone: Any, transport: FakeHidTransport, last: Any
) -> HeadsetService:
    service = HeadsetService(
        EventBus(), phone, lambda: [], transport, scan_interval=0.1, last_number=last
    )
    service.start()
    services.append(service)
    return service


def test_headset_redial_dials_the_last_outgoing_number(
    tmp_path: Path, services: list[HeadsetService]
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.save(_entry("a", CallDirection.OUTGOING, "1003", 1000.0))
    store.save(_entry("b", CallDirection.INCOMING, "1002", 2000.0))
    phone = DialPhone()
    transport = FakeHidTransport("1395-00a2")
    _service(services, phone, transport, lambda: last_outgoing_number(store))
    handle = transport.wait_handle("1395-00a2")
    handle.press(b"\x02\x10")  # EPOS IMPACT DW: Redial is bit 4 of report 2
    handle.press(b"\x02\x00")
    handle.press(b"\x02\x10")  # the same press reported again
    handle.press(b"\x02\x00")
    handle.wait_handled()
    assert phone.dialled == ["1003"]
    store.close()


def test_redial_with_no_history_or_refused_is_harmless(services: list[HeadsetService]) -> None:
    transport = FakeHidTransport("0b0e-0307", "047f-02e6", "1395-00a2")
    phone = DialPhone(refusals=1)
    numbers: list[str | None] = [None, "1003", "1005"]
    _service(services, phone, transport, lambda: numbers.pop(0))
    transport.wait_handle("0b0e-0307").press(b"\x02\x10\x00")  # no outgoing call: nothing dialled
    until(lambda: len(numbers) == 2)
    poly_len = parse(descriptor("047f-02e6")).report_bytes(ReportKind.INPUT, 0x20)
    transport.wait_handle("047f-02e6").press(b"\x20\x08" + bytes(poly_len - 1))  # refused
    until(lambda: len(numbers) == 1)
    assert phone.dialled == []
    # The HID thread survived both: the next headset's Redial dials.
    transport.wait_handle("1395-00a2").press(b"\x02\x10")
    until(lambda: phone.dialled == ["1005"])
