"""Hold, mute and the local conference on a fake pjsua2 bridge: who transmits to whom."""

from __future__ import annotations

import itertools

import pjsua2 as pj  # noqa: TID251 (the flag a resume re-INVITE must carry)
import pytest

from softphone.domain import commands as cmd
from softphone.domain.calls import CallState
from softphone.domain.errors import ErrorKey, SoftphoneError
from support.fake_pjsua2 import (
    ACTIVE,
    DISCONNECTED,
    LOCAL_HOLD,
    NO_MEDIA,
    REMOTE_HOLD,
    CallsHarness,
    FakeCall,
)


def _three(h: CallsHarness) -> list[FakeCall]:
    return [
        h.connected(name, number) for name, number in (("a", "1002"), ("b", "1003"), ("c", "1004"))
    ]


def _mixed(h: CallsHarness) -> set[tuple[str, str]]:
    """Call-to-call connections on the bridge."""
    return {
        (s, d) for s, d in h.bridge.connections if s.startswith("call:") and d.startswith("call:")
    }


def test_a_connected_call_hears_the_speaker_side_and_sends_the_microphone() -> None:
    h = CallsHarness()
    call = h.connected("a")
    assert {(call.port(), "speaker"), ("mic", call.port())} <= h.bridge.connections
    assert h.clock_started >= 1  # the bridge needs a clock before its first connection


def test_a_conference_connects_each_member_to_every_other_and_none_to_itself() -> None:
    h = CallsHarness()
    calls = _three(h)
    h.do(cmd.StartConference(("a", "b", "c")))
    ports = [c.port() for c in calls]
    assert _mixed(h) == set(itertools.permutations(ports, 2))
    assert all(source != sink for _, source, sink in h.bridge.requests)
    for call in calls:
        assert ("mic", call.port()) in h.bridge.connections  # each still hears us
        assert h.last(call).conference and h.last(call).state is CallState.CONNECTED


def test_a_media_update_reconnects_the_mix() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    h.do(cmd.StartConference(("a", "b")))
    h.bridge.connections.clear()  # a re-INVITE replaced the ports: every connection gone
    a.report_media(ACTIVE)
    assert _mixed(h) == {(a.port(), b.port()), (b.port(), a.port())}


def test_a_member_the_stack_reports_held_leaves_the_mix_until_resumed() -> None:
    h = CallsHarness()
    a, b, c = _three(h)
    h.do(cmd.StartConference(("a", "b", "c")))
    h.do(cmd.HoldCall("b"))
    assert b.sent[-1] == ("setHold",)
    b.report_media(LOCAL_HOLD)
    assert _mixed(h) == {(a.port(), c.port()), (c.port(), a.port())}
    assert ("mic", b.port()) not in h.bridge.connections
    assert h.last(b).state is CallState.HELD
    h.do(cmd.ResumeCall("b"))
    b.report_media(ACTIVE)
    assert _mixed(h) == set(itertools.permutations([a.port(), b.port(), c.port()], 2))


def test_starting_a_conference_resumes_a_member_on_hold() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    h.do(cmd.HoldCall("a"))
    h.do(cmd.StartConference(("a", "b")))
    assert a.sent[-1] == ("reinvite", int(pj.PJSUA_CALL_UNHOLD))
    assert all(s[0] != "reinvite" for s in b.sent)


def test_a_conference_of_one_is_just_a_call_again() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    h.do(cmd.StartConference(("a", "b")))
    b.report_state(DISCONNECTED, 200)
    assert h.last(b).state is CallState.ENDED
    assert not h.last(a).conference and h.last(a).state is CallState.CONNECTED


@pytest.mark.parametrize("members", [("a",), ("a", "ringing"), ("a", "nope")])
def test_a_conference_needs_two_connected_calls(members: tuple[str, ...]) -> None:
    h = CallsHarness()
    h.connected("a")
    h.dial("ringing", "1004")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.StartConference(members))
    assert err.value.key in (ErrorKey.INVALID_STATE, ErrorKey.CALL_NOT_FOUND)
    assert _mixed(h) == set()


def test_mute_stops_the_microphone_to_the_call_and_is_reported() -> None:
    h = CallsHarness()
    call = h.connected("a")
    h.do(cmd.SetMute("a", True))
    assert ("mic", call.port()) not in h.bridge.connections
    assert h.last(call).muted
    call.report_media(ACTIVE)  # a media update keeps it muted
    assert ("mic", call.port()) not in h.bridge.connections
    h.do(cmd.SetMute("a", False))
    assert ("mic", call.port()) in h.bridge.connections and not h.last(call).muted


def test_a_call_held_by_its_peer_still_plays_but_one_held_by_both_sends_nothing() -> None:
    h = CallsHarness()
    call = h.connected("a")
    call.report_media(REMOTE_HOLD)  # their music on hold must reach the speaker
    assert {(call.port(), "speaker"), ("mic", call.port())} <= h.bridge.connections
    assert h.last(call).state is CallState.CONNECTED
    h.do(cmd.HoldCall("a"))
    call.report_media(NO_MEDIA)  # both sides on hold: "inactive"
    assert h.last(call).state is CallState.HELD


def test_a_hold_the_stack_refuses_is_not_wanted_any_more() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    a.fail_on.add("setHold")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.HoldCall("a"))
    assert err.value.key is ErrorKey.INVALID_STATE
    h.do(cmd.StartConference(("a", "b")))  # not resumed: hold was never wanted after all
    assert all(s[0] != "reinvite" for s in a.sent)
    assert _mixed(h) == {(a.port(), b.port()), (b.port(), a.port())}
