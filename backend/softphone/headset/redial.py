"""The number a headset's Redial button calls: the last outgoing call in the history."""

from __future__ import annotations

from softphone.domain.calls import CallDirection
from softphone.history.store import HistoryStore

_PAGES = 20  # at most 1000 entries looked at: a history of only incoming calls ends the search


def last_outgoing_number(store: HistoryStore) -> str | None:
    """The number of the newest outgoing call (answered or not), like "call back" in the UI."""
    cursor: str | None = None
    for _ in range(_PAGES):
        page = store.list(before=cursor)
        for entry in page.entries:
            if entry.direction is CallDirection.OUTGOING and entry.number.strip():
                return entry.number
        cursor = page.next_cursor
        if cursor is None:
            return None
    return None
