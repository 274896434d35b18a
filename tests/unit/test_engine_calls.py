"""The engine's calls on a fake pjsua2: incoming policy, deferred answers, ends, redirects."""

from __future__ import annotations

import pjsua2 as pj  # noqa: TID251 (pjsua2's redirect answers, as the adapter returns them)
import pytest

from softphone.domain import commands as cmd
from softphone.domain.account import SrtpMode
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.dialoginfo import Dialog
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.policy import Forwarding
from support.fake_pjsua2 import (
    CONFIRMED,
    CONNECTING,
    DISCONNECTED,
    EARLY,
    SERVER,
    CallsHarness,
    FakeAccount,
)

ELSEWHERE = f"sip:1003@{SERVER}"


def _policy(**changes: object) -> cmd.SetIncomingPolicy:
    return cmd.SetIncomingPolicy(**changes)  # type: ignore[arg-type]


def test_an_incoming_call_rings_at_once_and_is_shown_on_the_next_turn() -> None:
    h = CallsHarness()
    call = h.ring_in('"Ann Example" <sip:1002@pbx.example.com>')
    assert call.sent == [("answer", 180)]
    assert h.events == []  # pjsua may still refuse the INVITE itself (422)
    h.turn()
    [shown] = h.reports(call)
    assert shown.state is CallState.RINGING_IN and shown.direction is CallDirection.INCOMING
    assert (shown.number, shown.display_name) == ("1002", "Ann Example")
    h.turn()
    assert len(h.reports(call)) == 1


def test_do_not_disturb_refuses_on_the_next_turn_and_the_call_is_only_seen_ended() -> None:
    h = CallsHarness()
    h.do(_policy(dnd=True, dnd_code=480))
    call = h.ring_in()
    assert call.sent == []  # no final answer from inside onIncomingCall: it aborted pjsua
    call.report_state(pj.PJSIP_INV_STATE_INCOMING)
    h.turn()
    assert call.sent == [("hangup", 480, [])]
    call.report_state(DISCONNECTED, 480)
    [ended] = h.reports(call)
    assert ended.state is CallState.ENDED and ended.end_reason is EndReason.REFUSED_DND


def test_unconditional_forwarding_answers_302_naming_the_target() -> None:
    h = CallsHarness()
    h.do(_policy(forwarding=Forwarding(unconditional=True, unconditional_to=ELSEWHERE)))
    call = h.ring_in()
    h.turn()
    assert call.sent == [("hangup", 302, [("Contact", f"<{ELSEWHERE}>")])]
    call.report_state(DISCONNECTED, 302)
    assert h.states(call) == [CallState.ENDED]
    assert h.last(call).end_reason is EndReason.FORWARDED


def test_with_call_waiting_off_a_second_call_is_refused_busy() -> None:
    h = CallsHarness()
    h.connected("first")
    h.do(_policy(call_waiting=False))
    call = h.ring_in()
    assert call.sent == []  # no 180 first
    h.turn()
    assert call.sent == [("hangup", 486, [])]
    call.report_state(DISCONNECTED, 486)
    assert h.last(call).end_reason is EndReason.BUSY_REFUSED


def test_a_refusal_that_fails_in_the_stack_is_logged_and_the_loop_goes_on() -> None:
    h = CallsHarness()
    h.do(_policy(dnd=True))
    call = h.ring_in()
    call.fail_on.add("hangup")
    h.turn()  # no exception out of the loop turn
    call.fail_on.clear()
    h.turn()
    assert call.sent == []  # sent once, not retried


def test_no_answer_forwarding_fires_at_its_deadline_and_not_before() -> None:
    h = CallsHarness()
    forwarding = Forwarding(no_answer=True, no_answer_to=ELSEWHERE, no_answer_s=20)
    h.do(_policy(forwarding=forwarding))
    call = h.ring_in()
    h.turn()
    assert h.engine.next_deadline() == h.clock.now + 20
    h.clock.advance(19.9)
    h.turn()
    assert call.sent == [("answer", 180)]
    h.clock.advance(0.1)
    h.turn()  # decided on this turn, sent on the same turn's deferred answers
    assert call.sent[-1] == ("hangup", 302, [("Contact", f"<{ELSEWHERE}>")])
    assert h.engine.next_deadline() is None
    call.report_state(DISCONNECTED, 302)
    assert h.states(call) == [CallState.RINGING_IN, CallState.ENDED]
    assert h.last(call).end_reason is EndReason.FORWARDED


def test_answering_turns_no_answer_forwarding_off() -> None:
    h = CallsHarness()
    forwarding = Forwarding(no_answer=True, no_answer_to=ELSEWHERE, no_answer_s=5)
    h.do(_policy(forwarding=forwarding))
    call = h.ring_in()
    h.turn()
    h.do(cmd.AnswerCall(call.app_id))
    call.report_state(CONNECTING, 200)
    assert h.engine.next_deadline() is None
    h.clock.advance(60)
    h.turn()
    assert call.sent == [("answer", 180), ("answer", 200)]


def test_an_invite_the_stack_refuses_with_422_before_it_is_shown_leaves_no_trace() -> None:
    h = CallsHarness()
    call = h.ring_in()
    call.report_state(DISCONNECTED, 422)
    h.turn()
    assert h.events == [] and not h.engine


def test_a_call_ended_before_it_was_shown_is_shown_ringing_then_missed() -> None:
    h = CallsHarness()
    call = h.ring_in()
    call.report_state(DISCONNECTED, 487)
    h.turn()
    assert h.states(call) == [CallState.RINGING_IN, CallState.ENDED]
    assert h.last(call).end_reason is EndReason.CANCELLED


def test_a_call_whose_cancel_says_completed_elsewhere_ends_answered_elsewhere() -> None:
    h = CallsHarness()
    call = h.ring_in()
    head = (
        f"sip:1001@{SERVER} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n"
        f"To: <sip:1001@{SERVER}>\r\nCall-ID: {call.sip_call_id}\r\n"
    )
    h.engine.cancels.note_request(f"INVITE {head}\r\n".encode())
    reason = 'Reason: SIP;cause=200;text="Call completed elsewhere"\r\n'
    h.engine.cancels.note_request(f"CANCEL {head}{reason}\r\n".encode())
    h.turn()
    call.report_state(DISCONNECTED, 487)
    assert h.last(call).end_reason is EndReason.ANSWERED_ELSEWHERE


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (486, EndReason.BUSY),
        (603, EndReason.DECLINED),
        (404, EndReason.NOT_FOUND),
        (480, EndReason.UNAVAILABLE),
        (488, EndReason.MEDIA_REFUSED),
        (500, EndReason.FAILED),
    ],
)
def test_an_outgoing_call_refused_ends_with_the_reason_its_code_gives(
    code: int, reason: EndReason
) -> None:
    h = CallsHarness()
    call = h.dial("out")
    call.report_state(EARLY, 180)
    call.report_state(DISCONNECTED, code)
    assert h.states(call) == [CallState.DIALING, CallState.RINGING_OUT, CallState.ENDED]
    assert (h.last(call).sip_code, h.last(call).end_reason) == (code, reason)
    assert not h.engine


def test_a_488_with_mandatory_srtp_is_named_an_encryption_refusal() -> None:
    h = CallsHarness()
    h.account = FakeAccount(srtp=SrtpMode.MANDATORY)
    call = h.dial("out")
    call.report_state(DISCONNECTED, 488)
    assert h.last(call).end_reason is EndReason.ENCRYPTION_REFUSED


def test_who_ended_a_connected_call_is_its_end_reason() -> None:
    h = CallsHarness()
    ours, theirs = h.connected("ours"), h.connected("theirs", "1004")
    h.do(cmd.HangupCall("ours"))
    assert ours.sent[-1] == ("hangup", 0, [])
    ours.report_state(DISCONNECTED, 200)
    theirs.report_state(DISCONNECTED, 200)
    assert h.last(ours).end_reason is EndReason.HANGUP_LOCAL
    assert h.last(theirs).end_reason is EndReason.HANGUP_REMOTE


def test_rejecting_sends_the_code_and_only_an_unanswered_incoming_call_can_be() -> None:
    h = CallsHarness()
    out = h.dial("out")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.RejectCall(out.app_id))
    assert err.value.key is ErrorKey.INVALID_STATE
    call = h.ring_in()
    h.do(cmd.RejectCall(call.app_id, 486))
    assert call.sent[-1] == ("hangup", 486, [])
    call.report_state(DISCONNECTED, 486)
    assert h.last(call).end_reason is EndReason.REJECTED


def test_end_ringing_ends_only_incoming_calls_still_ringing_and_not_refused() -> None:
    h = CallsHarness()
    talking = h.ring_in()
    h.do(cmd.AnswerCall(talking.app_id))
    talking.report_state(CONFIRMED, 200)
    h.do(_policy(dnd=True))
    refused = h.ring_in()
    h.do(_policy())
    ringing = h.ring_in()
    h.do(cmd.EndRingingCalls())
    assert ringing.sent[-1] == ("hangup", 408, [])
    assert all(sent[0] != "hangup" for sent in talking.sent + refused.sent)
    ringing.report_state(DISCONNECTED, 408)
    assert h.last(ringing).end_reason is EndReason.CANCELLED  # missed, as if the caller gave up


def test_a_call_the_stack_will_not_make_is_forgotten_and_its_error_raised() -> None:
    h = CallsHarness()
    h.dial("first")
    h.fail_next.add("makeCall")
    with pytest.raises(pj.Error):
        h.do(cmd.MakeCall("second", ELSEWHERE))
    h.turn()
    assert [c.app_id for c in h.engine.pj_calls()] == ["first"]
    assert {e.call_id for e in h.reports()} == {"first"}


def test_a_call_to_another_host_is_refused_before_the_stack() -> None:
    h = CallsHarness()
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.MakeCall("new", "sip:1003@elsewhere.example"))
    assert err.value.key is ErrorKey.FOREIGN_HOST
    assert h.calls == []


def test_a_call_beyond_the_stack_s_call_slots_is_refused_before_the_stack() -> None:
    h = CallsHarness(max_calls=1)
    h.connected("first")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.MakeCall("new", ELSEWHERE))
    assert err.value.key is ErrorKey.TOO_MANY_CALLS
    assert [c.app_id for c in h.calls] == ["first"]


def test_pickup_invites_the_caller_replacing_the_ringing_dialog_early_only() -> None:
    h = CallsHarness()
    dialog = Dialog("d1", "early", "recipient", "xyz@pbx", local_tag="ringing", remote_tag="caller")
    h.engine.pickup("pick", f"sip:1002@{SERVER}", dialog)
    [(_, uri, headers)] = h.calls[-1].sent
    assert uri == f"sip:1002@{SERVER}"
    assert headers == [
        ("Replaces", "xyz@pbx;to-tag=caller;from-tag=ringing;early-only"),
        ("Require", "replaces"),
    ]


def test_a_redirect_is_followed_three_times_then_the_call_ends_saying_so() -> None:
    h = CallsHarness()
    call = h.dial("out")
    accept, stop = int(pj.PJSIP_REDIRECT_ACCEPT), int(pj.PJSIP_REDIRECT_STOP)
    assert [h.engine.on_redirected(call, ELSEWHERE, 302) for _ in range(4)] == [accept] * 3 + [stop]
    call.report_state(DISCONNECTED, 487)  # pjsua ends it as if we had cancelled it
    assert (h.last(call).end_reason, h.last(call).sip_code) == (EndReason.REDIRECT_REFUSED, 302)


def test_a_redirect_to_a_target_the_dialling_rule_forbids_is_not_followed() -> None:
    h = CallsHarness()
    call = h.dial("out")
    answer = h.engine.on_redirected(call, "sip:1003@evil.example", 301)
    assert answer == int(pj.PJSIP_REDIRECT_STOP)
    call.report_state(DISCONNECTED, 487)
    assert (h.last(call).end_reason, h.last(call).sip_code) == (EndReason.REDIRECT_REFUSED, 301)
