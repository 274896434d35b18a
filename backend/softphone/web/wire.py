"""The wire protocol between frontend and backend (schema 1): ONE encoder for every event.

Transport
    Socket.IO v4 over websocket on http://127.0.0.1:PORT/ (the page's own origin). The page is
    opened as ``/#token=SECRET``; the client connects with ``auth: {"token": SECRET}``. A
    missing or wrong token, a foreign Origin or Host is refused before any event flows.

Server -> client: Socket.IO event ``event`` with ``{"type": ..., **fields}``
    snapshot              schema, account, registration, calls[], settings, missed_count
                          (on connect, and again after an engine restart: replaces all
                          client state)
    account_changed       account (object or null)
    registration_changed  registration
    call_changed          call
    call_removed          call_id
    settings_changed      settings
    history_changed       entry  (a HistoryEntry was created or updated)
    history_cleared       (no fields: every entry was deleted)
    missed_count          count  (missed calls not looked at yet: the History tab badge)
    history_write_failed  error: storage_full|storage_failed  (the entry is retried later)

    Account      {server, user, auth_user, display_name, transport: udp|tcp|tls}  (no password)
    Registration {state: unconfigured|registering|registered|unregistered|failed,
                  error: ErrorKey|null, code: int|null}
    Call         {id, direction: incoming|outgoing,
                  state: dialing|ringing_out|ringing_in|connecting|connected|held|ended,
                  number, display_name, remote_uri (untrusted SIP text: render as text),
                  created_at, connected_at, ended_at (epoch ms or null),
                  muted, held, conference (bool: mixed in the local conference),
                  end_reason (EndReason|null), sip_code (int|null)}
    Settings     {language: en|fr|de|it|null, theme: system|light|dark, call_waiting: bool}
    HistoryEntry {id (int), call_id, direction: incoming|outgoing, number, display_name,
                  remote_uri (untrusted SIP text: render as text), started_at, answered_at,
                  ended_at (epoch ms or null), duration_s (int),
                  outcome: answered|missed|rejected|refused_dnd|busy|failed|cancelled_by_me
                  or null while the call runs, internal (bool: a short extension), seen}

Client -> server: Socket.IO event ``command`` with ``{"name": ..., "args": {...}}`` and an ack
    account.setup     {server, user, auth_user?, password, display_name?, transport}
    account.sign_out  {}
    call.dial         {number}             -> {call_id}
    call.answer       {call_id}
    call.reject       {call_id}
    call.hangup       {call_id}
    call.dtmf         {call_id, digits}
    call.hold         {call_id}            (connected -> held)
    call.resume       {call_id}            (held -> connected; the call talking goes on hold)
    call.mute         {call_id, muted: bool}  (stops/starts sending the microphone)
    call.transfer     {call_id, target}    (blind; the call ends: end_reason "transferred")
    call.transfer_attended {call_id, to_call_id}  (connects both peers; both calls end)
    call.conference   {}                   (mixes every connected/held call: conference true)
    settings.update   {language?, theme?, call_waiting?}
    history.list      {filter?: all|missed, before?: cursor, limit?: 1..200 (50)}
                      -> {entries: HistoryEntry[] (newest first), next_cursor: str|null}
    history.delete_all {}
    history.mark_seen {}                   (every missed call counts as seen: badge to 0)

    Ack: {"ok": true, "result": {...}} or {"ok": false, "error": ErrorKey, "field": str|null}.
    ErrorKey values: softphone.domain.errors.ErrorKey. Errors are keys, never prose.
    EndReason values: softphone.domain.calls.EndReason; busy_refused = an incoming call refused
    with 486 because call_waiting is off (reported once, already ended), transferred = we
    handed the call over. Call policy: dial, answer and resume first hold the connected calls;
    at most 4 calls (too_many_calls). held is what the SIP stack reports, not what was asked.
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
from softphone.domain.history import (
    HistoryChanged,
    HistoryCleared,
    HistoryEntry,
    HistoryWriteFailed,
    MissedCountChanged,
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
        "conference": value.conference,
    }


def settings(value: Settings) -> Wire:
    return {
        "language": value.language,
        "theme": value.theme.value,
        "call_waiting": value.call_waiting,
    }


def history_entry(value: HistoryEntry) -> Wire:
    return {
        "id": value.id,
        "call_id": value.call_id,
        "direction": value.direction.value,
        "number": value.number,
        "display_name": value.display_name,
        "remote_uri": value.remote_uri,
        "started_at": _ms(value.started_at),
        "answered_at": _ms(value.answered_at),
        "ended_at": _ms(value.ended_at),
        "duration_s": value.duration_s,
        "outcome": value.outcome.value if value.outcome else None,
        "internal": value.internal,
        "seen": value.seen,
    }


def snapshot(
    acct: AccountConfig | None,
    reg: Registration,
    calls: list[CallSnapshot],
    prefs: Settings,
    missed_count: int = 0,
) -> Wire:
    return {
        "type": "snapshot",
        "schema": SCHEMA_VERSION,
        "account": account(acct),
        "registration": registration(reg),
        "calls": [call(c) for c in calls],
        "settings": settings(prefs),
        "missed_count": missed_count,
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
        case HistoryChanged(entry=entry):
            return {"type": "history_changed", "entry": history_entry(entry)}
        case HistoryCleared():
            return {"type": "history_cleared"}
        case MissedCountChanged(count=count):
            return {"type": "missed_count", "count": count}
        case HistoryWriteFailed(disk_full=full):
            key = ErrorKey.STORAGE_FULL if full else ErrorKey.STORAGE_FAILED
            return {"type": "history_write_failed", "error": key.value}
    return None


def ok(result: Wire | None = None) -> Wire:
    return {"ok": True, "result": result or {}}


def error(exc: SoftphoneError) -> Wire:
    return {"ok": False, "error": exc.key.value, "field": exc.field}


def error_key(key: ErrorKey, field: str | None = None) -> Wire:
    return {"ok": False, "error": key.value, "field": field}


def arg_bool(args: Wire, name: str) -> bool:
    """A required boolean argument (JSON true/false, not 0/1), or invalid_argument."""
    value = args.get(name)
    if not isinstance(value, bool):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    return value


def arg_str(args: Wire, name: str, *, required: bool = True, max_len: int = 256) -> str:
    """A string argument, or SoftphoneError(invalid_argument, name)."""
    value = args.get(name, None if required else "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    return value
