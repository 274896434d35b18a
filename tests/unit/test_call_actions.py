"""Which in-call control fits which state: one rule (domain), sent on the wire, obeyed by the
phone, and copied only into the frontend's test fixtures (checked here)."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from softphone.domain.calls import (
    CallAction,
    CallDirection,
    CallSnapshot,
    CallState,
    allowed_actions,
)
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.phone.service import Phone
from softphone.web import wire

FIXTURES = Path(__file__).resolve().parents[2] / "frontend" / "tests" / "fixtures.ts"

EXPECTED = {
    CallState.DIALING: (),
    CallState.RINGING_OUT: (),
    CallState.RINGING_IN: (),
    CallState.CONNECTING: (),
    CallState.CONNECTED: ("hold", "mute", "transfer", "dtmf"),
    CallState.HELD: ("resume", "mute", "transfer"),
    CallState.ENDED: (),
}


def _snap(state: CallState, call_id: str = "c1") -> CallSnapshot:
    return CallSnapshot(
        id=call_id,
        direction=CallDirection.OUTGOING,
        state=state,
        number="1002",
        display_name="",
        remote_uri="sip:1002@pbx",
        created_at=1.0,
    )


@pytest.mark.parametrize("state", list(CallState))
def test_the_wire_sends_the_allowed_actions(state: CallState) -> None:
    assert tuple(a.value for a in allowed_actions(state)) == EXPECTED[state]
    assert wire.call(_snap(state))["actions"] == list(EXPECTED[state])


def test_the_frontend_fixtures_copy_the_same_rule() -> None:
    body = FIXTURES.read_text().split("ACTIONS_BY_STATE", 1)[1].split("};", 1)[0]
    copied = {
        CallState(state): tuple(re.findall(r'"([a-z]+)"', actions))
        for state, actions in re.findall(r"^  ([a-z_]+): \[(.*)\],$", body, re.MULTILINE)
    }
    assert copied == EXPECTED


_PHONE_CALLS = {
    CallAction.HOLD: lambda p: p.hold("c1"),
    CallAction.RESUME: lambda p: p.resume("c1"),
    CallAction.MUTE: lambda p: p.set_mute("c1", True),
    CallAction.DTMF: lambda p: p.send_dtmf("c1", "1"),
    CallAction.TRANSFER: lambda p: p.transfer_attended("c1", "c2"),
}


@pytest.mark.parametrize("state", list(CallState))
@pytest.mark.parametrize("action", list(CallAction))
def test_the_phone_refuses_what_the_wire_does_not_offer(
    state: CallState, action: CallAction
) -> None:
    calls = MagicMock()
    snaps = {"c1": _snap(state), "c2": _snap(CallState.HELD, "c2")}
    calls.get.side_effect = snaps.get
    calls.snapshots.return_value = list(snaps.values())
    phone = Phone(MagicMock(), MagicMock(), calls)
    if action in allowed_actions(state):
        _PHONE_CALLS[action](phone)
    else:
        with pytest.raises(SoftphoneError) as refused:
            _PHONE_CALLS[action](phone)
        assert refused.value.key is ErrorKey.INVALID_STATE
