"""The call history as the user sees it: one `HistoryEntry` per call, with its `Outcome`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.events import Event


class Outcome(StrEnum):
    """How a call turned out for the user. Values are part of the wire protocol and the DB."""

    ANSWERED = "answered"
    MISSED = "missed"
    REJECTED = "rejected"
    REFUSED_DND = "refused_dnd"
    BUSY = "busy"  # outgoing: the other side was busy
    FAILED = "failed"
    CANCELLED_BY_ME = "cancelled_by_me"  # outgoing: I hung up before it was answered
    ANSWERED_ELSEWHERE = "answered_elsewhere"  # incoming: another phone took it (not missed)


class HistoryFilter(StrEnum):
    ALL = "all"
    MISSED = "missed"


# End reasons compared by value: the call-handling work adds reasons (`busy_refused`,
# `transferred`, a DND refusal) and an unknown one must still land somewhere sensible.
_INCOMING_REJECTED = frozenset({"rejected", "declined", "hangup_local"})
_INCOMING_DND = frozenset({"refused_dnd", "dnd"})
_OUTGOING_CANCELLED = frozenset({"hangup_local", "cancelled"})
_OUTGOING_BUSY = frozenset({"busy"})

# A short extension: 1-6 digits, no leading 0 (trunk prefix) and no + (E.164).
_EXTENSION = re.compile(r"^[1-9][0-9]{0,5}$")


def outcome_for(direction: CallDirection, end_reason: EndReason | str, connected: bool) -> Outcome:
    """Outcome of an ended call from why it ended and whether it was ever connected."""
    reason = str(end_reason)
    if connected:
        return Outcome.ANSWERED  # however it ended (hangup, transfer, engine crash) it was talked
    if direction is CallDirection.INCOMING:
        if reason in _INCOMING_REJECTED:
            return Outcome.REJECTED
        if reason in _INCOMING_DND:
            return Outcome.REFUSED_DND
        if reason == "answered_elsewhere":  # a colleague or the user's desk phone took it
            return Outcome.ANSWERED_ELSEWHERE
        # cancelled (caller gave up), busy_refused (call waiting off), engine failure while
        # ringing...: the user did not get to talk, so it is a call to return.
        return Outcome.MISSED
    if reason in _OUTGOING_CANCELLED:
        return Outcome.CANCELLED_BY_ME
    if reason in _OUTGOING_BUSY:
        return Outcome.BUSY
    return Outcome.FAILED


def is_internal(number: str) -> bool:
    """True for a colleague's extension.

    Decided from the number only: on a hosted PBX, calls from outside arrive with the PBX
    domain as the URI host too, so the host cannot tell colleagues from customers.
    """
    return bool(_EXTENSION.match(number))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One call in the history. Times are epoch seconds; `outcome` is None while it runs."""

    id: int
    call_id: str
    direction: CallDirection
    number: str
    display_name: str
    remote_uri: str
    started_at: float
    answered_at: float | None
    ended_at: float | None
    duration_s: int
    outcome: Outcome | None
    internal: bool
    seen: bool
    # Why it ended (an EndReason value), kept where it explains the outcome (e.g. a caller
    # refused because our SRTP is mandatory and theirs is off); None while it runs.
    end_reason: str | None = None

    @classmethod
    def from_call(cls, call: CallSnapshot, entry_id: int = 0) -> HistoryEntry:
        """The entry for a call as it is now (the store assigns `id` on first write)."""
        ended = call.state is CallState.ENDED
        connected = call.connected_at is not None
        outcome = (
            outcome_for(call.direction, call.end_reason or EndReason.FAILED, connected)
            if ended
            else None
        )
        duration = 0
        if ended and call.connected_at is not None and call.ended_at is not None:
            duration = max(0, round(call.ended_at - call.connected_at))
        return cls(
            id=entry_id,
            call_id=call.id,
            direction=call.direction,
            number=call.number,
            display_name=call.display_name,
            remote_uri=call.remote_uri,
            started_at=call.created_at,
            answered_at=call.connected_at,
            ended_at=call.ended_at if ended else None,
            duration_s=duration,
            outcome=outcome,
            internal=is_internal(call.number),
            # Only a missed call waits for the user to look at it.
            seen=outcome is not Outcome.MISSED,
            end_reason=call.end_reason.value if ended and call.end_reason else None,
        )


# --- events (published by softphone.history) --------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryChanged(Event):
    """An entry was created or updated."""

    entry: HistoryEntry


@dataclass(frozen=True, slots=True)
class HistoryCleared(Event):
    """Every entry was deleted."""


@dataclass(frozen=True, slots=True)
class MissedCountChanged(Event):
    """The number of missed calls the user has not looked at yet."""

    count: int


@dataclass(frozen=True, slots=True)
class HistoryWriteFailed(Event):
    """Writing the history failed (disk full, I/O error); the entry is retried later."""

    disk_full: bool
