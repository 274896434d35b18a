"""Call history: outcome mapping, the SQLite store and the recorder fed by call events."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from softphone.bus import EventBus
from softphone.domain.account import Registration, RegistrationState
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import CallChanged, Event
from softphone.domain.history import (
    HistoryChanged,
    HistoryCleared,
    HistoryEntry,
    HistoryFilter,
    HistoryWriteFailed,
    MissedCountChanged,
    Outcome,
    is_internal,
    outcome_for,
)
from softphone.domain.settings import Settings
from softphone.history.recorder import HistoryRecorder
from softphone.history.store import HistoryStore
from softphone.web import wire
from softphone.web.history_commands import history_commands

IN, OUT = CallDirection.INCOMING, CallDirection.OUTGOING


@pytest.mark.parametrize(
    ("direction", "reason", "connected", "expected"),
    [
        (IN, EndReason.HANGUP_REMOTE, True, Outcome.ANSWERED),
        (IN, EndReason.HANGUP_LOCAL, True, Outcome.ANSWERED),
        (OUT, EndReason.ENGINE_FAILED, True, Outcome.ANSWERED),
        (IN, EndReason.CANCELLED, False, Outcome.MISSED),
        (IN, EndReason.ENGINE_FAILED, False, Outcome.MISSED),
        (IN, "busy_refused", False, Outcome.MISSED),
        (IN, EndReason.REJECTED, False, Outcome.REJECTED),
        (IN, EndReason.HANGUP_LOCAL, False, Outcome.REJECTED),
        (IN, "refused_dnd", False, Outcome.REFUSED_DND),
        (IN, "answered_elsewhere", False, Outcome.ANSWERED_ELSEWHERE),
        (OUT, EndReason.BUSY, False, Outcome.BUSY),
        (OUT, EndReason.HANGUP_LOCAL, False, Outcome.CANCELLED_BY_ME),
        (OUT, EndReason.NOT_FOUND, False, Outcome.FAILED),
        (OUT, EndReason.DECLINED, False, Outcome.FAILED),
        (OUT, EndReason.UNAVAILABLE, False, Outcome.FAILED),
        (OUT, "transferred", True, Outcome.ANSWERED),
    ],
)
def test_outcome_from_end_reason_and_whether_it_connected(
    direction: CallDirection, reason: str, connected: bool, expected: Outcome
) -> None:
    assert outcome_for(direction, reason, connected) is expected


@pytest.mark.parametrize(
    ("number", "internal"),
    [("1002", True), ("7", True), ("123456", True), ("1234567", False), ("0441234567", False),
     ("+41441234567", False), ("alice", False), ("", False)],
)  # fmt: skip
def test_internal_means_a_short_extension(number: str, internal: bool) -> None:
    assert is_internal(number) is internal


def _call(call_id: str = "c1", **fields: object) -> CallSnapshot:
    base = CallSnapshot(
        id=call_id,
        direction=IN,
        state=CallState.RINGING_IN,
        number="1002",
        display_name="Bob <b>",
        remote_uri="sip:1002@pbx.test",
        created_at=1_000.0,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def _entry(
    call_id: str, started_at: float, outcome: Outcome | None = Outcome.ANSWERED
) -> HistoryEntry:
    snap = _call(call_id, created_at=started_at)
    return replace(
        HistoryEntry.from_call(snap),
        outcome=outcome,
        ended_at=started_at + 1 if outcome else None,
        seen=outcome is not Outcome.MISSED,
    )


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "data" / "history.sqlite3")


def test_the_database_is_in_wal_mode_with_a_schema_version(store: HistoryStore) -> None:
    assert store.journal_mode == "wal"
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"history_by_time", "history_missed_by_time"} <= indexes


def test_a_schema_1_file_gains_end_reason_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            """CREATE TABLE schema_version (version INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (1);
            CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT,
                call_id TEXT NOT NULL UNIQUE, direction TEXT NOT NULL, number TEXT NOT NULL,
                display_name TEXT NOT NULL, remote_uri TEXT NOT NULL,
                started_at INTEGER NOT NULL, answered_at INTEGER, ended_at INTEGER,
                duration_s INTEGER NOT NULL DEFAULT 0, outcome TEXT, internal INTEGER NOT NULL,
                seen INTEGER NOT NULL);
            INSERT INTO history (call_id, direction, number, display_name, remote_uri,
                started_at, ended_at, outcome, internal, seen)
                VALUES ('old', 'incoming', '1002', 'Bob', 'sip:1002@pbx', 1000, 2000,
                        'missed', 1, 0);"""
        )
    db.close()
    store = HistoryStore(path)
    [old] = store.list().entries
    assert old.call_id == "old" and old.end_reason is None
    refused = _call(
        "new",
        state=CallState.ENDED,
        ended_at=1_001.0,
        end_reason=EndReason.ENCRYPTION_REFUSED,
    )
    saved = store.save(HistoryEntry.from_call(refused))
    assert saved.outcome is Outcome.MISSED and saved.end_reason == "encryption_refused"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    db.close()


def test_save_inserts_once_then_updates_the_same_row(store: HistoryStore) -> None:
    first = store.save(HistoryEntry.from_call(_call()))
    assert first.id > 0 and first.outcome is None and first.ended_at is None
    ended = _call(state=CallState.ENDED, connected_at=1_002.0, ended_at=1_065.4,
                  end_reason=EndReason.HANGUP_REMOTE)  # fmt: skip
    second = store.save(HistoryEntry.from_call(ended))
    assert second.id == first.id
    assert second.outcome is Outcome.ANSWERED and second.duration_s == 63
    assert second.answered_at == 1_002.0 and second.ended_at == 1_065.4
    assert second.display_name == "Bob <b>"  # stored as given; the UI renders it as text
    assert [e.id for e in store.list().entries] == [first.id]


def test_missed_filter_and_unseen_count(store: HistoryStore) -> None:
    store.save(_entry("a", 1.0, Outcome.ANSWERED))
    store.save(_entry("m1", 2.0, Outcome.MISSED))
    store.save(_entry("r", 3.0, Outcome.REJECTED))
    store.save(_entry("m2", 4.0, Outcome.MISSED))
    missed = store.list(HistoryFilter.MISSED).entries
    assert [e.call_id for e in missed] == ["m2", "m1"]
    assert [e.call_id for e in store.list().entries] == ["m2", "r", "m1", "a"]
    assert store.unseen_missed_count() == 2
    assert store.mark_missed_seen() == 2
    assert store.unseen_missed_count() == 0
    assert all(e.seen for e in store.list().entries)


def test_keyset_pages_cover_every_row_once_newest_first(store: HistoryStore) -> None:
    # 3000 rows, many sharing a start time: the id breaks ties so no row is lost or repeated.
    with sqlite3.connect(store.path) as db:
        db.executemany(
            "INSERT INTO history (call_id, direction, number, display_name, remote_uri,"
            " started_at, ended_at, duration_s, outcome, internal, seen)"
            " VALUES (?, 'incoming', '1002', '', '', ?, ?, 0, ?, 1, ?)",
            [
                (f"c{i}", (i // 7) * 1000, (i // 7) * 1000 + 5, "missed" if i % 3 else "answered",
                 0 if i % 3 else 1)
                for i in range(3000)
            ],
        )  # fmt: skip
    seen: list[tuple[float, int]] = []
    cursor = None
    pages = 0
    while True:
        page = store.list(HistoryFilter.ALL, cursor, 200)
        pages += 1
        seen.extend((e.started_at, e.id) for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 15 and len(seen) == 3000 and len(set(seen)) == 3000
    assert seen == sorted(seen, reverse=True)

    missed: list[int] = []
    cursor = None
    while True:
        page = store.list(HistoryFilter.MISSED, cursor, 150)
        assert all(e.outcome is Outcome.MISSED for e in page.entries)
        missed.extend(e.id for e in page.entries)
        if (cursor := page.next_cursor) is None:
            break
    assert len(missed) == 2000 == store.unseen_missed_count()


def test_limits_and_bad_cursors(store: HistoryStore) -> None:
    for i in range(5):
        store.save(_entry(f"c{i}", float(i)))
    page = store.list(limit=5)
    assert len(page.entries) == 5 and page.next_cursor is None
    with pytest.raises(SoftphoneError):
        store.list(before="nonsense")


def test_delete_all_empties_the_history(store: HistoryStore) -> None:
    store.save(_entry("a", 1.0))
    store.save(_entry("m", 2.0, Outcome.MISSED))
    store.delete_all()
    assert store.list().entries == [] and store.unseen_missed_count() == 0


def test_an_entry_left_open_by_a_crash_is_closed_as_failed_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    first = HistoryStore(path)
    first.save(HistoryEntry.from_call(_call("talking", direction=OUT, state=CallState.CONNECTED,
                                            connected_at=1_003.0)))  # fmt: skip
    first.save(_entry("done", 900.0))
    # no close(): the process died
    reopened = HistoryStore(path)
    closed = reopened.close_unfinished()
    assert [e.call_id for e in closed] == ["talking"]
    entry = reopened.get("talking")
    assert entry is not None
    assert entry.outcome is Outcome.FAILED and entry.duration_s == 0
    assert entry.answered_at == 1_003.0 and entry.ended_at == 1_003.0
    assert reopened.get("done") == first.get("done")  # finished rows untouched


class _Recorded:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        bus.subscribe(Event, self.events.append)

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


def _drive(bus: EventBus, *snaps: CallSnapshot) -> None:
    old = None
    for snap in snaps:
        bus.publish(CallChanged(snap, old))
        old = snap.state


def test_recorder_writes_at_create_answer_and_end_only(store: HistoryStore) -> None:
    bus = EventBus()
    HistoryRecorder(bus, store)
    seen = _Recorded(bus)
    ringing = _call()
    connected = replace(ringing, state=CallState.CONNECTED, connected_at=1_001.0)
    _drive(bus, ringing, replace(ringing, display_name="Bob"), connected,
           replace(connected, muted=True),
           replace(connected, state=CallState.ENDED, ended_at=1_011.0,
                   end_reason=EndReason.HANGUP_LOCAL))  # fmt: skip
    changes = seen.of(HistoryChanged)
    assert [c.entry.outcome for c in changes] == [None, None, Outcome.ANSWERED]  # type: ignore[attr-defined]
    [entry] = store.list().entries
    assert entry.duration_s == 10 and entry.outcome is Outcome.ANSWERED


def test_a_missed_call_updates_the_unseen_count(store: HistoryStore) -> None:
    bus = EventBus()
    recorder = HistoryRecorder(bus, store)
    seen = _Recorded(bus)
    ringing = _call()
    _drive(bus, ringing, replace(ringing, state=CallState.ENDED, ended_at=1_020.0,
                                 end_reason=EndReason.CANCELLED))  # fmt: skip
    assert [e.count for e in seen.of(MissedCountChanged)] == [1]  # type: ignore[attr-defined]
    assert wire.to_wire(seen.of(MissedCountChanged)[0]) == {"type": "missed_count", "count": 1}
    recorder.mark_seen()
    assert [e.count for e in seen.of(MissedCountChanged)] == [1, 0]  # type: ignore[attr-defined]
    recorder.delete_all()
    assert seen.of(HistoryCleared) and store.list().entries == []


def test_a_call_answered_elsewhere_is_kept_seen_and_not_counted(store: HistoryStore) -> None:
    bus = EventBus()
    HistoryRecorder(bus, store)
    seen = _Recorded(bus)
    ringing = _call()
    _drive(bus, ringing, replace(ringing, state=CallState.ENDED, ended_at=1_020.0,
                                 end_reason=EndReason.ANSWERED_ELSEWHERE))  # fmt: skip
    assert seen.of(MissedCountChanged) == []
    [entry] = store.list().entries
    assert entry.outcome is Outcome.ANSWERED_ELSEWHERE and entry.seen
    assert entry.end_reason == "answered_elsewhere"
    assert store.list(HistoryFilter.MISSED).entries == [] and store.unseen_missed_count() == 0


def _fill_the_disk(store: HistoryStore) -> None:
    """A real SQLITE_FULL: cap the file at its size, then fill every byte left, big rows first."""
    store._db.execute("PRAGMA max_page_count = 1")  # clamps to the pages in use
    for size in (2000, 200, 20, 1):
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for n in range(10_000):
                store._db.execute(
                    "INSERT INTO history (call_id, direction, number, display_name, remote_uri,"
                    " started_at, internal, seen) VALUES (?, 'incoming', '', ?, '', 0, 0, 1)",
                    (f"fill{size}-{n}", "x" * size),
                )


def test_disk_full_is_published_and_the_entry_written_once_space_returns(
    store: HistoryStore, tmp_path: Path
) -> None:
    bus = EventBus()
    HistoryRecorder(bus, store)
    seen = _Recorded(bus)
    store.save(_entry("old", 1.0))
    _fill_the_disk(store)
    ringing = _call("new", created_at=5.0)
    bus.publish(CallChanged(ringing, None))  # must not raise into the publisher
    [failed] = seen.of(HistoryWriteFailed)
    assert failed.disk_full is True  # type: ignore[attr-defined]
    assert wire.to_wire(failed) == {"type": "history_write_failed", "error": "storage_full"}
    assert store.get("new") is None and store.get("old") is not None

    store._db.execute("DELETE FROM history WHERE call_id LIKE 'fill%'")
    store._db.execute("PRAGMA max_page_count = 1000000")
    ended = replace(ringing, state=CallState.ENDED, ended_at=9.0, end_reason=EndReason.CANCELLED)
    bus.publish(CallChanged(ended, CallState.RINGING_IN))
    entry = store.get("new")
    assert entry is not None and entry.outcome is Outcome.MISSED
    assert store.get("old") is not None


def test_history_commands_validate_and_page(store: HistoryStore) -> None:
    bus = EventBus()
    handlers = history_commands(store, HistoryRecorder(bus, store))
    for i in range(5):
        store.save(_entry(f"c{i}", float(i + 1), Outcome.MISSED if i % 2 else Outcome.ANSWERED))
    first = handlers["history.list"]({"limit": 2})
    assert first is not None and [e["call_id"] for e in first["entries"]] == ["c4", "c3"]
    assert first["entries"][0]["started_at"] == 5000
    rest = handlers["history.list"]({"before": first["next_cursor"], "limit": 200})
    assert rest is not None and [e["call_id"] for e in rest["entries"]] == ["c2", "c1", "c0"]
    assert rest["next_cursor"] is None
    missed = handlers["history.list"]({"filter": "missed"})
    assert missed is not None and [e["call_id"] for e in missed["entries"]] == ["c3", "c1"]
    for bad in ({"limit": 201}, {"limit": 0}, {"limit": True}, {"filter": "odd"},
                {"before": 3}, {"before": "x"}, {"extra": 1}):  # fmt: skip
        with pytest.raises(SoftphoneError):
            handlers["history.list"](bad)


def test_history_events_and_snapshot_on_the_wire() -> None:
    entry = replace(HistoryEntry.from_call(_call()), id=7)
    encoded = wire.to_wire(HistoryChanged(entry))
    assert encoded == {
        "type": "history_changed",
        "entry": {
            "id": 7, "call_id": "c1", "direction": "incoming", "number": "1002",
            "display_name": "Bob <b>", "remote_uri": "sip:1002@pbx.test", "started_at": 1_000_000,
            "answered_at": None, "ended_at": None, "duration_s": 0, "outcome": None,
            "internal": True, "seen": True, "end_reason": None,
        },
    }  # fmt: skip
    assert wire.to_wire(HistoryCleared()) == {"type": "history_cleared"}
    assert wire.to_wire(HistoryWriteFailed(disk_full=False)) == {
        "type": "history_write_failed",
        "error": "storage_failed",
    }
    snap = wire.snapshot(None, Registration(RegistrationState.UNCONFIGURED), [], Settings(), 4)
    assert snap["missed_count"] == 4
