"""Transfers on a fake pjsua2: ours (REFER, attended), our peer's (REFER, Replaces)."""

from __future__ import annotations

import pjsua2 as pj  # noqa: TID251 (the error the fake stack raises)
import pytest

from softphone.domain import commands as cmd
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.engine.transfers import REFERRER_GRACE_S
from support.fake_pjsua2 import (
    CONFIRMED,
    CONNECTING,
    DISCONNECTED,
    SERVER,
    CallsHarness,
    FakeCall,
    invite,
)

TARGET = f"sip:1005@{SERVER}"


def _hangups(call: FakeCall) -> list[tuple[object, ...]]:
    return [s for s in call.sent if s[0] == "hangup"]


def test_a_blind_transfer_accepted_ends_the_call_as_transferred_on_the_next_turn() -> None:
    h = CallsHarness()
    call = h.connected("a")
    h.do(cmd.TransferCall("a", TARGET))
    assert call.sent[-1] == ("xfer", TARGET)
    # pjsua reports the REFER's acceptance as its first NOTIFY (100), not as the 202
    assert h.engine.on_call_transfer_status(call, 100, False) is False  # type: ignore[arg-type]
    assert _hangups(call) == []  # never from inside the subscription's callback
    h.turn()
    assert _hangups(call) == [("hangup", 0, [])]
    call.report_state(DISCONNECTED, 200)
    assert h.last(call).end_reason is EndReason.TRANSFERRED


def test_a_blind_transfer_refused_leaves_the_call_as_it_was() -> None:
    h = CallsHarness()
    call = h.connected("a")
    h.do(cmd.TransferCall("a", TARGET))
    assert h.engine.on_call_transfer_status(call, 603, True) is False  # type: ignore[arg-type]
    h.turn()
    assert _hangups(call) == []
    assert h.engine.on_call_transfer_status(call, 200, True) is False  # type: ignore[arg-type]
    h.turn()
    assert _hangups(call) == []  # no longer transferring: a late NOTIFY changes nothing
    call.report_state(DISCONNECTED, 200)
    assert h.last(call).end_reason is EndReason.HANGUP_REMOTE


def test_an_attended_transfer_ends_both_calls_as_transferred() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    h.do(cmd.TransferAttended("a", "b"))
    assert a.sent[-1] == ("xferReplaces", "b")
    assert h.engine.on_call_transfer_status(a, 100, False) is True  # type: ignore[arg-type]
    b.report_state(DISCONNECTED, 200)  # replaced: its peer hangs up before the final NOTIFY
    assert h.last(b).end_reason is EndReason.TRANSFERRED
    h.turn()
    assert _hangups(a) == []  # waits for the replacing call to be up
    assert h.engine.on_call_transfer_status(a, 200, True) is False  # type: ignore[arg-type]
    h.turn()
    assert _hangups(a) == [("hangup", 0, [])]
    a.report_state(DISCONNECTED, 200)
    assert h.last(a).end_reason is EndReason.TRANSFERRED


def test_an_attended_transfer_that_fails_leaves_both_calls_ours() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    h.do(cmd.TransferAttended("a", "b"))
    assert h.engine.on_call_transfer_status(a, 486, True) is False  # type: ignore[arg-type]
    h.turn()
    b.report_state(DISCONNECTED, 200)
    a.report_state(DISCONNECTED, 200)
    assert h.last(a).end_reason is EndReason.HANGUP_REMOTE
    assert h.last(b).end_reason is EndReason.HANGUP_REMOTE


def test_an_attended_transfer_the_stack_refuses_is_undone() -> None:
    h = CallsHarness()
    a, b = h.connected("a"), h.connected("b", "1004")
    a.fail_on.add("xferReplaces")
    with pytest.raises(pj.Error):
        h.do(cmd.TransferAttended("a", "b"))
    assert h.engine.on_call_transfer_status(a, 200, True) is False  # type: ignore[arg-type]
    h.turn()
    assert _hangups(a) == []
    b.report_state(DISCONNECTED, 200)
    assert h.last(b).end_reason is EndReason.HANGUP_REMOTE


@pytest.mark.parametrize(("first", "second"), [("a", "a"), ("a", "ringing")])
def test_an_attended_transfer_needs_two_different_connected_calls(first: str, second: str) -> None:
    h = CallsHarness()
    h.connected("a")
    h.dial("ringing", "1004")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.TransferAttended(first, second))
    assert err.value.key is ErrorKey.INVALID_STATE
    assert all(s[0] != "xferReplaces" for s in h.calls[0].sent)


def _referred(h: CallsHarness) -> tuple[FakeCall, FakeCall]:
    """A call with 1002, and the call its REFER made, started: (old, new)."""
    old = h.connected("a", "1002")
    new = h.engine.on_transfer_request(old, TARGET)  # type: ignore[arg-type]
    assert isinstance(new, FakeCall)
    new.started()
    return old, new


def test_a_refer_from_our_peer_makes_a_new_call_that_ends_the_old_one_once_connected() -> None:
    h = CallsHarness()
    old, new = _referred(h)
    assert new is h.calls[-1] and new is not old
    dialling = h.last(new)
    assert (dialling.state, dialling.direction) == (CallState.DIALING, CallDirection.OUTGOING)
    assert (dialling.number, dialling.transferred_by) == ("1005", "1002")
    new.report_state(CONFIRMED, 200)
    h.turn()
    # The referrer hangs up once our NOTIFY reaches it: our BYE must not overtake it.
    assert _hangups(old) == []
    assert h.engine.next_deadline() == h.clock.now + REFERRER_GRACE_S
    old.report_state(DISCONNECTED, 200)  # its BYE
    h.turn()
    assert _hangups(old) == [] and h.engine.next_deadline() is None
    assert h.last(old).end_reason is EndReason.TRANSFERRED
    assert h.last(new).state is CallState.CONNECTED


def test_a_referrer_that_never_hangs_up_is_hung_up_on_after_the_grace() -> None:
    h = CallsHarness()
    old, new = _referred(h)
    new.report_state(CONFIRMED, 200)
    h.turn()
    h.clock.advance(REFERRER_GRACE_S - 0.1)
    h.turn()
    assert _hangups(old) == []
    h.clock.advance(0.1)
    h.turn()
    assert _hangups(old) == [("hangup", 0, [])]
    old.report_state(DISCONNECTED, 200)
    assert h.last(old).end_reason is EndReason.TRANSFERRED


def test_a_refer_s_call_that_fails_leaves_the_old_call_going() -> None:
    h = CallsHarness()
    old, new = _referred(h)
    new.report_state(DISCONNECTED, 486)
    h.turn()
    assert _hangups(old) == [] and h.last(new).end_reason is EndReason.BUSY


def test_a_refer_s_call_the_stack_never_started_ends_failed_on_the_next_turn() -> None:
    h = CallsHarness()
    old = h.connected("a", "1002")
    new = h.engine.on_transfer_request(old, TARGET)  # type: ignore[arg-type]
    assert isinstance(new, FakeCall) and new.getId() < 0
    h.turn()
    assert h.last(new).state is CallState.ENDED
    assert h.last(new).end_reason is EndReason.FAILED
    assert [c.app_id for c in h.engine.pj_calls()] == ["a"] and _hangups(old) == []


def test_a_refer_is_refused_unless_the_call_is_up_the_target_allowed_and_a_slot_free() -> None:
    h = CallsHarness(max_calls=2)
    ringing = h.dial("ringing", "1002")
    assert h.engine.on_transfer_request(ringing, TARGET) == 403  # type: ignore[arg-type]
    up = h.connected("a", "1003")
    assert h.engine.on_transfer_request(up, "sip:1005@elsewhere.example") == 403  # type: ignore[arg-type]
    assert h.engine.on_transfer_request(up, TARGET) == 503  # type: ignore[arg-type]
    assert len(h.calls) == 2


def test_an_invite_replacing_our_call_takes_it_over() -> None:
    h = CallsHarness()
    old = h.connected("a", "1002")
    new = h.engine.on_replace_request(old, invite('"Bob" <sip:1006@pbx.example.com>'))  # type: ignore[arg-type]
    assert isinstance(new, FakeCall)
    h.engine.on_replaced(old, new)  # type: ignore[arg-type]
    taking_over = h.last(new)
    assert (taking_over.state, taking_over.direction) == (
        CallState.CONNECTING,
        CallDirection.INCOMING,
    )
    assert (taking_over.number, taking_over.transferred_by) == ("1006", "1002")
    old.report_state(DISCONNECTED, 200)  # pjsua sends the BYE itself
    assert h.last(old).end_reason is EndReason.TRANSFERRED
    new.report_state(CONNECTING, 200)
    new.report_state(CONFIRMED, 200)
    assert h.last(new).state is CallState.CONNECTED
