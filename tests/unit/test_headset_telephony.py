"""Headset state machine: call state -> exact output reports, presses -> phone commands."""

from __future__ import annotations

from dataclasses import replace

import pytest

from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.headset import quirks
from softphone.headset.descriptor import TelephonyProfile, parse, telephony_profile
from softphone.headset.quirks import Timing
from softphone.headset.telephony import Action, HeadsetCommand, TelephonyHeadset
from support.fake_hid import TELEPHONY, descriptor
from support.hid_expected import EXPECTED


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _call(state: CallState, call_id: str = "c1", **kw: object) -> CallSnapshot:
    base = CallSnapshot(
        id=call_id,
        direction=CallDirection.INCOMING,
        state=state,
        number="1002",
        display_name="",
        remote_uri="sip:1002@pbx",
        created_at=0.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


class Rig:
    """One TelephonyHeadset on a real descriptor; builds input reports from the hand table."""

    def __init__(self, key: str) -> None:
        vendor = int(key[:4], 16)
        profile = telephony_profile(quirks.fix_descriptor(vendor, parse(descriptor(key))))
        assert profile is not None
        self.profile: TelephonyProfile = profile
        self.controls, self.indicators, self.sizes = EXPECTED[key]
        self.written: list[bytes] = []
        self.clock = Clock()
        self.headset = TelephonyHeadset(profile, self.written.append, Timing(), self.clock)
        (self.input_id,) = {rid for rid, _bit, _kind in self.controls.values()}
        self.input_len = self.profile_input_len()
        self.held_levels: set[str] = set()
        self.headset.show([], force=True)  # what the service does on attach
        self.initial = list(self.written)
        self.written.clear()

    def off_hook(self) -> None:
        """A latching hook switch follows our Off-Hook LED: it now reports 1."""
        if self.controls["hook"][2] == "level":
            self.held_levels.add("hook")

    def profile_input_len(self) -> int:
        return max(bit for _rid, bit, _k in self.controls.values()) // 8 + 1

    def report(self, *pressed: str) -> bytes:
        """An input report with these controls at 1 (plus latched levels like hook)."""
        bits = 0
        for name in (*pressed, *self.held_levels):
            bits |= 1 << self.controls[name][1]
        return bytes([self.input_id]) + bits.to_bytes(self.input_len, "little")

    def expected(self, *lit: str) -> list[bytes]:
        """Every output report with exactly these indicators on (whole reports)."""
        out = []
        for rid, size in sorted(self.sizes.items()):
            bits = 0
            for name in lit:
                if name in self.indicators and self.indicators[name][0] == rid:
                    bits |= 1 << self.indicators[name][1]
            out.append(bytes([rid]) + bits.to_bytes(size, "little"))
        return out

    def show(self, *calls: CallSnapshot) -> list[bytes]:
        before = len(self.written)
        self.headset.show(list(calls))
        return self.written[before:]

    def send(self, *pressed: str) -> list[HeadsetCommand]:
        return self.headset.handle_report(self.report(*pressed))

    def press(self, name: str) -> list[HeadsetCommand]:
        """A button press and release; returns what the press asked for."""
        if self.controls[name][2] == "level":
            self.held_levels ^= {name}
            return self.send()
        commands = self.send(name)
        assert self.send() == []  # the release asks for nothing
        return commands


def _diff(before: list[bytes], after: list[bytes]) -> list[bytes]:
    return [a for a, b in zip(after, before, strict=True) if a != b]


RINGING = ("ring", "ringer")
CALL = ("off_hook",)
MUTED = ("off_hook", "mute", "microphone")
HELD = ("off_hook", "hold")


@pytest.mark.parametrize("key", TELEPHONY)
def test_ring_answer_mute_hold_and_hang_up_with_exact_reports(key: str) -> None:
    rig = Rig(key)
    assert rig.initial == rig.expected()  # every report once: LEDs off
    ringing = _call(CallState.RINGING_IN)
    assert rig.show(ringing) == _diff(rig.expected(), rig.expected(*RINGING))

    assert rig.press("hook") == [HeadsetCommand(Action.ANSWER, "c1")]
    connected = _call(CallState.CONNECTED)
    assert rig.show(connected) == _diff(rig.expected(*RINGING), rig.expected(*CALL))
    rig.clock.advance(3)
    assert rig.send() == []  # the device confirming Off-Hook: not a new press

    rig.clock.advance(3)
    assert rig.press("mute") == [HeadsetCommand(Action.MUTE, "c1")]
    muted = replace(connected, muted=True)
    assert rig.show(muted) == _diff(rig.expected(*CALL), rig.expected(*MUTED))
    assert rig.send("mute") == []  # its acknowledgement of the Mute LED
    assert rig.send() == []
    rig.clock.advance(3)
    assert rig.press("mute") == [HeadsetCommand(Action.UNMUTE, "c1")]
    assert rig.show(connected) == _diff(rig.expected(*MUTED), rig.expected(*CALL))

    rig.clock.advance(3)
    assert rig.press("flash") == [HeadsetCommand(Action.HOLD, "c1")]
    held = _call(CallState.HELD, held=True)
    assert rig.show(held) == _diff(rig.expected(*CALL), rig.expected(*HELD))
    rig.clock.advance(3)
    assert rig.press("flash") == [HeadsetCommand(Action.RESUME, "c1")]
    assert rig.show(connected) == _diff(rig.expected(*HELD), rig.expected(*CALL))

    rig.clock.advance(3)
    assert rig.press("hook") == [HeadsetCommand(Action.HANGUP, "c1")]
    assert rig.show() == _diff(rig.expected(*CALL), rig.expected())


@pytest.mark.parametrize("key", TELEPHONY)
def test_remote_hang_up_clears_off_hook_and_the_echo_is_ignored(key: str) -> None:
    rig = Rig(key)
    rig.show(_call(CallState.CONNECTED))
    rig.off_hook()
    assert rig.send() == []  # the device reports its hook up with us
    rig.clock.advance(3)
    assert rig.show() == _diff(rig.expected(*CALL), rig.expected())
    rig.held_levels.discard("hook")
    assert rig.send() == []  # hook back to 0: the device following us
    rig.clock.advance(0.2)
    if rig.controls["hook"][2] == "button":
        assert rig.send("hook") == []  # a momentary hook's echo right after our change


@pytest.mark.parametrize("key", TELEPHONY)
def test_echoes_of_what_the_ui_did_are_not_presses(key: str) -> None:
    rig = Rig(key)
    rig.show(_call(CallState.RINGING_IN))
    rig.clock.advance(5)
    rig.show(_call(CallState.CONNECTED))  # answered in the UI
    rig.clock.advance(0.1)
    rig.off_hook()
    if rig.controls["hook"][2] == "button":
        assert rig.press("hook") == []  # a momentary hook echoing Off-Hook: not a hang-up
    else:
        assert rig.send() == []  # a latching hook following Off-Hook
    rig.clock.advance(5)
    rig.show(_call(CallState.CONNECTED, muted=True))  # muted in the UI
    rig.clock.advance(0.1)
    assert rig.press("mute") == []  # the device acknowledging the Mute LED


@pytest.mark.parametrize("key", [k for k in TELEPHONY if "reject" in EXPECTED[k][0]])
def test_reject_button_rejects_a_ringing_call(key: str) -> None:
    rig = Rig(key)
    rig.show(_call(CallState.RINGING_IN, "c9"))
    assert rig.press("reject") == [HeadsetCommand(Action.REJECT, "c9")]


@pytest.mark.parametrize("key", TELEPHONY)
def test_a_press_repeated_within_two_and_a_half_seconds_counts_once(key: str) -> None:
    rig = Rig(key)
    rig.show(_call(CallState.CONNECTED))
    rig.off_hook()
    rig.clock.advance(3)
    assert rig.press("mute") == [HeadsetCommand(Action.MUTE, "c1")]
    rig.show(_call(CallState.CONNECTED, muted=True))
    rig.clock.advance(2.0)  # past the LED acknowledgement window, within the duplicate one
    assert rig.press("mute") == []  # press and release reported again
    rig.clock.advance(0.6)
    assert rig.press("mute") == [HeadsetCommand(Action.UNMUTE, "c1")]


def test_buttons_do_nothing_without_a_call() -> None:
    rig = Rig("0b0e-0307")
    for name in ("mute", "flash", "reject"):
        assert rig.press(name) == []
    assert rig.press("hook") == []  # off-hook with nothing ringing: no call to answer


def test_flash_answers_a_waiting_call_and_swaps_between_two() -> None:
    rig = Rig("0b0e-0307")
    talking = _call(CallState.CONNECTED, "a")
    waiting = _call(CallState.RINGING_IN, "b")
    out = rig.show(talking, waiting)
    assert out == _diff(rig.expected(), rig.expected("off_hook", "ring"))  # no ringer in a call
    rig.off_hook()
    assert rig.press("flash") == [HeadsetCommand(Action.ANSWER, "b")]
    rig.show(_call(CallState.HELD, "a", held=True), _call(CallState.CONNECTED, "b"))
    rig.clock.advance(3)
    assert rig.press("flash") == [HeadsetCommand(Action.RESUME, "a")]


def test_jabra_reports_are_whole_two_byte_reports() -> None:
    rig = Rig("0b0e-0307")
    assert rig.show(_call(CallState.RINGING_IN)) == [b"\x02\x24\x00"]
    assert rig.show(_call(CallState.CONNECTED, muted=True)) == [b"\x02\x13\x00"]
    assert rig.show(_call(CallState.HELD, held=True, muted=True)) == [b"\x02\x1b\x00"]
    assert rig.show() == [b"\x02\x00\x00"]


def test_poly_writes_one_report_per_led() -> None:
    rig = Rig("047f-02e6")
    assert rig.show(_call(CallState.RINGING_IN)) == [b"\x21\x01"]
    assert rig.show(_call(CallState.CONNECTED)) == [b"\x21\x00", b"\x24\x01"]
    assert rig.show(_call(CallState.HELD, held=True)) == [b"\x25\x01"]


def test_a_latched_hook_level_repeated_in_another_report_does_not_act_again() -> None:
    rig = Rig("0b0e-0307")
    rig.show(_call(CallState.CONNECTED, "a"), _call(CallState.HELD, "b", held=True))
    rig.off_hook()
    assert rig.send() == []  # the device reports its hook up with us
    rig.clock.advance(3)
    assert rig.press("hook") == [HeadsetCommand(Action.HANGUP, "a")]  # hook level to 0
    rig.show(_call(CallState.HELD, "b", held=True))  # Off-Hook stays on: a call is held
    rig.clock.advance(3)
    assert rig.press("mute") == [HeadsetCommand(Action.MUTE, "b")]  # hook still 0: no hang-up
