"""Turns call events into history rows: written at create, connect and end of every call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from softphone.bus import EventBus
from softphone.domain.calls import CallState
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CallChanged, Event
from softphone.domain.history import (
    HistoryChanged,
    HistoryCleared,
    HistoryEntry,
    HistoryWriteFailed,
    MissedCountChanged,
    Outcome,
)
from softphone.history.store import HistoryStore, HistoryStoreError

log = logging.getLogger(__name__)


class HistoryRecorder:
    """Writes each call as it happens, so a crash mid-call still leaves its row behind.

    A failed write (disk full, I/O error) is logged and published as `HistoryWriteFailed`;
    the entry stays pending in memory and is written again with the next call event, so
    nothing already stored is touched and the pending change is not lost while the app runs.
    """

    def __init__(self, bus: EventBus, store: HistoryStore) -> None:
        self._bus = bus
        self._store = store
        # Held across the writes (reentrant: a subscriber may call back into us), so the rows
        # of one call are written in the order it changed even if two threads publish.
        self._lock = threading.RLock()
        self._written: dict[str, bool] = {}  # running call id -> connected, as written
        self._pending: dict[str, HistoryEntry] = {}  # failed writes, retried later
        self._unsubscribe = bus.subscribe(CallChanged, self._on_call_changed)

    def recover(self) -> None:
        """At start: close the entries a crash left open (see HistoryStore.close_unfinished)."""
        try:
            closed = self._store.close_unfinished()
        except HistoryStoreError as exc:
            self._failed(exc)
            return
        for entry in closed:
            log.warning("history entry of call %s was left open: closed as failed", entry.call_id)

    def stop(self) -> None:
        self._unsubscribe()

    def _on_call_changed(self, event: CallChanged) -> None:
        call = event.call
        connected = call.connected_at is not None
        ended = call.state is CallState.ENDED
        with self._lock:
            # Write only what the history shows: the call's creation, its answer, its end.
            if not ended and self._written.get(call.id) == connected:
                return
            if ended:
                self._written.pop(call.id, None)
            else:
                self._written[call.id] = connected
            self._pending[call.id] = HistoryEntry.from_call(call)
            pending = list(self._pending.values())
            for entry in pending:
                if not self._save(entry):
                    break  # the disk is still full: one report per call event is enough

    def _save(self, entry: HistoryEntry) -> bool:
        try:
            saved = self._store.save(entry)
        except HistoryStoreError as exc:
            self._failed(exc)
            return False
        if self._pending.get(entry.call_id) is entry:
            del self._pending[entry.call_id]
        self._bus.publish(HistoryChanged(saved))
        if saved.outcome is Outcome.MISSED:
            self._publish_missed_count()
        return True

    def _failed(self, exc: HistoryStoreError) -> None:
        log.error("could not write the call history (%s): kept in memory for now", exc)
        self._bus.publish(HistoryWriteFailed(disk_full=exc.disk_full))

    def _publish_missed_count(self) -> None:
        self._bus.publish(MissedCountChanged(self._store.unseen_missed_count()))

    # --- user actions (wire commands) ---------------------------------------------------

    def delete_all(self) -> None:
        self._command(self._store.delete_all, HistoryCleared())
        with self._lock:
            # Calls still running get their row back at their next change.
            self._pending = {k: v for k, v in self._pending.items() if v.outcome is None}
            self._written.clear()
        self._publish_missed_count()

    def mark_seen(self) -> None:
        self._command(self._store.mark_missed_seen, None)
        self._publish_missed_count()

    def _command(self, action: Callable[[], object], event: Event | None) -> None:
        try:
            action()
        except HistoryStoreError as exc:
            self._failed(exc)
            key = ErrorKey.STORAGE_FULL if exc.disk_full else ErrorKey.STORAGE_FAILED
            raise SoftphoneError(key, detail=str(exc)) from exc
        if event is not None:
            self._bus.publish(event)
