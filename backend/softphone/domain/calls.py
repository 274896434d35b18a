"""A call as the app sees it: one Enum state, changed only through `set_state`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum


class CallDirection(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class CallState(StrEnum):
    DIALING = "dialing"  # outgoing, nothing heard back yet
    RINGING_OUT = "ringing_out"  # outgoing, 180/183 received
    RINGING_IN = "ringing_in"  # incoming, not answered yet
    CONNECTING = "connecting"  # answered, waiting for the ACK / media
    CONNECTED = "connected"
    HELD = "held"
    ENDED = "ended"


class EndReason(StrEnum):
    HANGUP_LOCAL = "hangup_local"
    HANGUP_REMOTE = "hangup_remote"
    REJECTED = "rejected"
    BUSY = "busy"
    DECLINED = "declined"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ENGINE_FAILED = "engine_failed"
    BUSY_REFUSED = "busy_refused"  # incoming, refused with 486: call waiting is off
    TRANSFERRED = "transferred"  # we handed the call over (REFER accepted by the peer)
    REFUSED_DND = "refused_dnd"  # incoming, refused (486) because do-not-disturb is on
    FORWARDED = "forwarded"  # incoming, redirected (302) by client-side call forwarding
    MEDIA_REFUSED = "media_refused"  # 488/606: the other side accepts none of our media offers
    ENCRYPTION_REFUSED = "encryption_refused"  # 488 while our SRTP is mandatory
    FOREIGN_REALM = "foreign_realm"  # challenged by another realm than the PBX's: not answered
    # incoming, cancelled because another phone took it (RFC 3326 Reason: SIP cause 200)
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    # outgoing, redirected (3xx) to a target the dialling rule forbids (not the PBX): not called
    REDIRECT_REFUSED = "redirect_refused"


ACTIVE_STATES = frozenset({CallState.CONNECTING, CallState.CONNECTED, CallState.HELD})


class CallAction(StrEnum):
    """An in-call control the user may use now (the wire's Call.actions; the UI enables
    exactly these, the phone refuses the others with invalid_state)."""

    HOLD = "hold"
    RESUME = "resume"
    MUTE = "mute"
    TRANSFER = "transfer"
    DTMF = "dtmf"


# The one rule of which control fits which state (the engine still checks what the SIP
# stack allows: a call it has not confirmed cannot be re-INVITEd).
_ACTION_STATES: dict[CallAction, frozenset[CallState]] = {
    CallAction.HOLD: frozenset({CallState.CONNECTED}),
    CallAction.RESUME: frozenset({CallState.HELD}),
    CallAction.MUTE: frozenset({CallState.CONNECTED, CallState.HELD}),
    CallAction.TRANSFER: frozenset({CallState.CONNECTED, CallState.HELD}),
    CallAction.DTMF: frozenset({CallState.CONNECTED}),
}


def allowed(action: CallAction, state: CallState) -> bool:
    return state in _ACTION_STATES[action]


def allowed_actions(state: CallState) -> tuple[CallAction, ...]:
    """Every control `state` allows, in CallAction's order."""
    return tuple(a for a in CallAction if allowed(a, state))


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    """An immutable view of a call, what events carry and the wire shows."""

    id: str
    direction: CallDirection
    state: CallState
    number: str
    display_name: str
    remote_uri: str
    created_at: float
    connected_at: float | None = None
    ended_at: float | None = None
    muted: bool = False
    held: bool = False
    end_reason: EndReason | None = None
    sip_code: int | None = None
    conference: bool = False  # part of the local conference (audio mixed with the others)
    transferred_by: str = ""  # made on a transfer request (REFER) of this number's party
    retry_after_s: int | None = None  # refused: the far end asked to try again after this long
    reason_text: str = ""  # refused: the far end's own words (RFC 3326 Reason text, cleaned)


class Call:
    """Mutable call record owned by the phone layer; observers see `CallSnapshot`s only."""

    def __init__(
        self,
        snapshot: CallSnapshot,
        on_change: Callable[[CallSnapshot, CallState | None], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._snap = snapshot
        self._on_change = on_change
        self._clock = clock

    @property
    def id(self) -> str:
        return self._snap.id

    @property
    def state(self) -> CallState:
        return self._snap.state

    @property
    def snapshot(self) -> CallSnapshot:
        return self._snap

    def set_state(
        self,
        new: CallState,
        *,
        end_reason: EndReason | None = None,
        sip_code: int | None = None,
        retry_after_s: int | None = None,
        reason_text: str = "",
    ) -> bool:
        """Move to `new`; emit a change (old, new) only when the state really changes."""
        old = self._snap.state
        if new is old or old is CallState.ENDED:
            return False
        now = self._clock()
        changes: dict[str, object] = {"state": new}
        if (
            new in ACTIVE_STATES
            and self._snap.connected_at is None
            and new is not CallState.CONNECTING
        ):
            changes["connected_at"] = now
        if new is CallState.HELD or old is CallState.HELD:
            changes["held"] = new is CallState.HELD
        if new is CallState.ENDED:
            changes.update(ended_at=now, end_reason=end_reason or EndReason.FAILED)
            if retry_after_s is not None or reason_text:
                changes.update(retry_after_s=retry_after_s, reason_text=reason_text)
        if sip_code is not None:
            changes["sip_code"] = sip_code
        self._snap = replace(self._snap, **changes)  # type: ignore[arg-type]
        self._on_change(self._snap, old)
        return True

    def update(self, **fields: object) -> bool:
        """Change non-state fields (mute, identity); emit only if something differs."""
        if "state" in fields:
            raise ValueError("use set_state() for state changes")
        changed = {k: v for k, v in fields.items() if getattr(self._snap, k) != v}
        if not changed or self._snap.state is CallState.ENDED:
            return False
        self._snap = replace(self._snap, **changed)  # type: ignore[arg-type]
        self._on_change(self._snap, None)
        return True
