"""DTMF on a fake pjsua2 call: RFC 4733 at once; SIP INFO one digit per answered request."""

from __future__ import annotations

import pytest

from softphone.domain import commands as cmd
from softphone.domain.account import DtmfMethod
from softphone.domain.errors import ErrorKey, SoftphoneError
from support.fake_pjsua2 import CallsHarness, FakeAccount


def _info_harness() -> CallsHarness:
    h = CallsHarness()
    h.account = FakeAccount(dtmf_method=DtmfMethod.SIP_INFO)
    return h


def _digits(sent: list[tuple[object, ...]], kind: str = "info") -> str:
    return "".join(str(s[1]) for s in sent if s[0] == kind)


def test_rfc4733_digits_go_to_the_stack_at_once() -> None:
    h = CallsHarness()
    call = h.connected("c")
    h.do(cmd.SendDtmf("c", "12#"))
    assert call.sent[-1] == ("dialDtmf", "12#")
    assert _digits(call.sent) == ""


def test_without_an_account_the_digits_go_as_rfc4733() -> None:
    h = _info_harness()
    call = h.connected("c")
    h.account = None
    h.do(cmd.SendDtmf("c", "5"))
    assert call.sent[-1] == ("dialDtmf", "5")


def test_sip_info_sends_the_next_digit_only_once_the_last_is_answered() -> None:
    h = _info_harness()
    call = h.connected("c")
    h.do(cmd.SendDtmf("c", "12"))
    h.do(cmd.SendDtmf("c", "3"))  # queued behind the first command's digits
    assert _digits(call.sent) == "1"
    h.turn()
    assert _digits(call.sent) == "1"  # no answer yet, not late yet
    for expected in ("12", "123", "123"):
        h.engine.on_info_answered(call)  # type: ignore[arg-type]
        assert _digits(call.sent) == expected
    h.do(cmd.SendDtmf("c", "4"))  # nothing outstanding: sent at once
    assert _digits(call.sent) == "1234"


def test_an_info_left_unanswered_holds_the_rest_for_two_seconds_only() -> None:
    h = _info_harness()
    call = h.connected("c")
    h.do(cmd.SendDtmf("c", "78"))
    h.clock.advance(2.0)
    h.turn()
    assert _digits(call.sent) == "7"
    h.clock.advance(0.01)
    h.turn()
    assert _digits(call.sent) == "78"


def test_an_info_the_stack_refuses_drops_the_digits_still_queued() -> None:
    h = _info_harness()
    call = h.connected("c")
    h.do(cmd.SendDtmf("c", "1"))
    h.do(cmd.SendDtmf("c", "23"))
    call.fail_on.add("info")
    h.engine.on_info_answered(call)  # type: ignore[arg-type]  # "2" fails: "3" goes too
    call.fail_on.clear()
    h.clock.advance(10)
    h.turn()
    assert _digits(call.sent) == "1"
    h.do(cmd.SendDtmf("c", "9"))  # nothing outstanding: a new command starts at once
    assert _digits(call.sent) == "19"


def test_an_answer_to_someone_else_s_info_sends_nothing() -> None:
    h = _info_harness()
    call = h.connected("c")
    h.engine.on_info_answered(call)  # type: ignore[arg-type]  # no INFO of ours outstanding
    assert _digits(call.sent) == ""


def test_digits_need_a_connected_call() -> None:
    h = CallsHarness()
    h.dial("c")
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.SendDtmf("c", "1"))
    assert err.value.key is ErrorKey.INVALID_STATE
    with pytest.raises(SoftphoneError) as err:
        h.do(cmd.SendDtmf("nope", "1"))
    assert err.value.key is ErrorKey.CALL_NOT_FOUND
