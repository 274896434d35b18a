"""The wire encoder: one function, stable field names, no secrets."""

from __future__ import annotations

from softphone.domain.account import AccountConfig, Registration, RegistrationState
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import (
    AccountChanged,
    CallChanged,
    CallRemoved,
    EngineCallReported,
    RegistrationChanged,
)
from softphone.domain.settings import Settings
from softphone.web import wire

SNAP = CallSnapshot(
    id="abc",
    direction=CallDirection.INCOMING,
    state=CallState.ENDED,
    number="1002",
    display_name="<b>Bob</b>",
    remote_uri="sip:1002@pbx",
    created_at=1.5,
    connected_at=2.0,
    ended_at=3.25,
    end_reason=EndReason.HANGUP_REMOTE,
    sip_code=200,
)


def test_call_changed_encoding() -> None:
    assert wire.to_wire(CallChanged(SNAP, CallState.CONNECTED)) == {
        "type": "call_changed",
        "call": {
            "id": "abc",
            "direction": "incoming",
            "state": "ended",
            "number": "1002",
            "display_name": "<b>Bob</b>",
            "remote_uri": "sip:1002@pbx",
            "created_at": 1500,
            "connected_at": 2000,
            "ended_at": 3250,
            "muted": False,
            "held": False,
            "end_reason": "hangup_remote",
            "sip_code": 200,
            "transferred_by": "",
            "retry_after_s": None,
            "reason_text": "",
            "conference": False,
            "actions": [],  # ended: no control (domain.calls.allowed_actions)
        },
    }


def test_registration_and_account_events() -> None:
    reg = Registration(RegistrationState.FAILED, ErrorKey.AUTH_FAILED, 403)
    assert wire.to_wire(RegistrationChanged(reg)) == {
        "type": "registration_changed",
        "registration": {"state": "failed", "error": "auth_failed", "code": 403},
    }
    acct = wire.to_wire(AccountChanged(AccountConfig(server="pbx", user="1001")))
    assert acct == {
        "type": "account_changed",
        "account": {
            "server": "pbx",
            "user": "1001",
            "auth_user": "",
            "display_name": "",
            "transport": "udp",
            "srtp": "off",
            "dtmf_method": "rfc4733",
            "realm": "",
            "allow_direct_calls": False,
            "accept_direct_calls": False,
        },
    }
    assert wire.to_wire(CallRemoved("abc")) == {"type": "call_removed", "call_id": "abc"}


def test_engine_internal_events_do_not_reach_the_wire() -> None:
    report = EngineCallReported("x", CallDirection.OUTGOING, CallState.DIALING, "1", "", "sip:1@h")
    assert wire.to_wire(report) is None


def test_snapshot_has_schema_and_all_parts() -> None:
    snap = wire.snapshot(None, Registration(RegistrationState.UNCONFIGURED), [SNAP], Settings())
    assert snap["type"] == "snapshot" and snap["schema"] == wire.SCHEMA_VERSION
    assert snap["account"] is None and len(snap["calls"]) == 1
    prefs = snap["settings"]
    assert {k: prefs[k] for k in ("language", "theme", "call_waiting")} == {
        "language": None,
        "theme": "system",
        "call_waiting": True,
    }
    assert prefs["dnd"] is False and prefs["forwarding"]["unconditional"] is False


def test_errors_are_keys_with_the_field() -> None:
    assert wire.error(SoftphoneError(ErrorKey.INVALID_ARGUMENT, "server")) == {
        "ok": False,
        "error": "invalid_argument",
        "field": "server",
    }
    assert wire.ok({"call_id": "x"}) == {"ok": True, "result": {"call_id": "x"}}
