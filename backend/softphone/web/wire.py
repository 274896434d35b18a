"""The wire protocol between frontend and backend (schema 1): ONE encoder for every event.

Transport
    Socket.IO v4 over websocket on http://127.0.0.1:PORT/ (the page's own origin). The page is
    opened as ``/#token=SECRET``; the client connects with ``auth: {"token": SECRET}``. A
    missing or wrong token, a foreign Origin or Host is refused before any event flows.

Server -> client: Socket.IO event ``event`` with ``{"type": ..., **fields}``
    snapshot              schema, account, registration, calls[], settings  (on connect,
                          and again after an engine restart: replaces all client state)
    account_changed       account (object or null)
    registration_changed  registration
    call_changed          call
    call_removed          call_id
    settings_changed      settings

    Account      {server, user, auth_user, display_name, transport: udp|tcp|tls}  (no password)
    Registration {state: unconfigured|registering|registered|unregistered|failed,
                  error: ErrorKey|null, code: int|null}
    Call         {id, direction: incoming|outgoing,
                  state: dialing|ringing_out|ringing_in|connecting|connected|held|ended,
                  number, display_name, remote_uri (untrusted SIP text: render as text),
                  created_at, connected_at, ended_at (epoch ms or null),
                  muted, held, end_reason (EndReason|null), sip_code (int|null)}
    Settings     {language: en|fr|de|it|null, theme: system|light|dark}

Client -> server: Socket.IO event ``command`` with ``{"name": ..., "args": {...}}`` and an ack
    account.setup     {server, user, auth_user?, password, display_name?, transport}
    account.sign_out  {}
    call.dial         {number}             -> {call_id}
    call.answer       {call_id}
    call.reject       {call_id}
    call.hangup       {call_id}
    call.dtmf         {call_id, digits}
    settings.update   {language?, theme?}

    Ack: {"ok": true, "result": {...}} or {"ok": false, "error": ErrorKey, "field": str|null}.
    ErrorKey values: softphone.domain.errors.ErrorKey. Errors are keys, never prose.
"""

from __future__ import annotations

from typing import Any

from softphone.domain.account import AccountConfig, Registration
from softphone.domain.calls import CallSnapshot
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import (
    AccountChanged,
    CallChanged,
    CallRemoved,
    Event,
    RegistrationChanged,
    SettingsChanged,
)
from softphone.settings.schema import Settings

SCHEMA_VERSION = 1

Wire = dict[str, Any]


def account(value: AccountConfig | None) -> Wire | None:
    if value is None:
        return None
    return {
        "server": value.server,
        "user": value.user,
        "auth_user": value.auth_user,
        "display_name": value.display_name,
        "transport": value.transport.value,
    }


def registration(value: Registration) -> Wire:
    return {
        "state": value.state.value,
        "error": value.error.value if value.error else None,
        "code": value.code,
    }


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def call(value: CallSnapshot) -> Wire:
    return {
        "id": value.id,
        "direction": value.direction.value,
        "state": value.state.value,
        "number": value.number,
        "display_name": value.display_name,
        "remote_uri": value.remote_uri,
        "created_at": _ms(value.created_at),
        "connected_at": _ms(value.connected_at),
        "ended_at": _ms(value.ended_at),
        "muted": value.muted,
        "held": value.held,
        "end_reason": value.end_reason.value if value.end_reason else None,
        "sip_code": value.sip_code,
    }


def settings(value: Settings) -> Wire:
    return {"language": value.language, "theme": value.theme.value}


def snapshot(
    acct: AccountConfig | None, reg: Registration, calls: list[CallSnapshot], prefs: Settings
) -> Wire:
    return {
        "type": "snapshot",
        "schema": SCHEMA_VERSION,
        "account": account(acct),
        "registration": registration(reg),
        "calls": [call(c) for c in calls],
        "settings": settings(prefs),
    }


def to_wire(event: Event) -> Wire | None:
    """Encode an app event for the frontend; None for events the frontend does not see."""
    match event:
        case AccountChanged(account=acct):
            return {"type": "account_changed", "account": account(acct)}
        case RegistrationChanged(registration=reg):
            return {"type": "registration_changed", "registration": registration(reg)}
        case CallChanged(call=snap):
            return {"type": "call_changed", "call": call(snap)}
        case CallRemoved(call_id=call_id):
            return {"type": "call_removed", "call_id": call_id}
        case SettingsChanged(settings=prefs):
            return {"type": "settings_changed", "settings": settings(prefs)}
    return None


def ok(result: Wire | None = None) -> Wire:
    return {"ok": True, "result": result or {}}


def error(exc: SoftphoneError) -> Wire:
    return {"ok": False, "error": exc.key.value, "field": exc.field}


def error_key(key: ErrorKey, field: str | None = None) -> Wire:
    return {"ok": False, "error": key.value, "field": field}


def arg_str(args: Wire, name: str, *, required: bool = True, max_len: int = 256) -> str:
    """A string argument, or SoftphoneError(invalid_argument, name)."""
    value = args.get(name, None if required else "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    return value
