"""Call history in SQLite (WAL): upsert by call id, keyset pages newest first."""

from __future__ import annotations

import builtins
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from softphone.domain.calls import CallDirection
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.history import HistoryEntry, HistoryFilter, Outcome
from softphone.private_files import private_sqlite

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: end_reason
MAX_PAGE = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      TEXT    NOT NULL UNIQUE,
    direction    TEXT    NOT NULL,
    number       TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    remote_uri   TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,  -- epoch ms: exact keyset comparisons, unlike REAL
    answered_at  INTEGER,
    ended_at     INTEGER,
    duration_s   INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT,              -- NULL while the call runs
    internal     INTEGER NOT NULL,
    seen         INTEGER NOT NULL,
    end_reason   TEXT               -- EndReason value; NULL while running or before schema 2
);
CREATE INDEX IF NOT EXISTS history_by_time ON history (started_at, id);
CREATE INDEX IF NOT EXISTS history_missed_by_time ON history (started_at, id)
    WHERE outcome = 'missed';
CREATE INDEX IF NOT EXISTS history_unseen_missed ON history (seen) WHERE outcome = 'missed';
"""

_Rows = list[sqlite3.Row]

_COLUMNS = (
    "id, call_id, direction, number, display_name, remote_uri, started_at, answered_at,"
    " ended_at, duration_s, outcome, internal, seen, end_reason"
)


class HistoryStoreError(Exception):
    """A write failed; `disk_full` tells a full disk (SQLITE_FULL) from other I/O errors."""

    def __init__(self, message: str, disk_full: bool) -> None:
        super().__init__(message)
        self.disk_full = disk_full


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[HistoryEntry]
    next_cursor: str | None


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def encode_cursor(started_at_ms: int, entry_id: int) -> str:
    return f"{started_at_ms}:{entry_id}"


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(started_at ms, id) from an opaque cursor, or SoftphoneError(invalid_argument)."""
    started, sep, entry_id = cursor.partition(":")
    try:
        if not sep:
            raise ValueError(cursor)
        return int(started), int(entry_id)
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "before") from exc


def _entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(
        id=row["id"],
        call_id=row["call_id"],
        direction=CallDirection(row["direction"]),
        number=row["number"],
        display_name=row["display_name"],
        remote_uri=row["remote_uri"],
        started_at=row["started_at"] / 1000,
        answered_at=_s(row["answered_at"]),
        ended_at=_s(row["ended_at"]),
        duration_s=row["duration_s"],
        outcome=Outcome(row["outcome"]) if row["outcome"] is not None else None,
        internal=bool(row["internal"]),
        seen=bool(row["seen"]),
        end_reason=row["end_reason"],
    )


class HistoryStore:
    """One connection behind a lock: the bus calls in from the engine and web threads."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        private_sqlite(path)  # every number called: 0600, and SQLite gives WAL/SHM its mode
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a power cut may lose the last commits, never corrupts.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()

    def _migrate(self) -> None:
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] < 2:
            # Schema 1 had no end_reason: CREATE TABLE IF NOT EXISTS kept the old table.
            self._db.execute("ALTER TABLE history ADD COLUMN end_reason TEXT")
            self._db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            # A newer app wrote this file: read it, but never rewrite its schema.
            log.warning("history schema %s is newer than %s", row[0], SCHEMA_VERSION)

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> tuple[_Rows, int]:
        """Run one statement (its own transaction); rows it returns and rows it changed."""
        try:
            cursor = self._db.execute(sql, params)
            rows = cursor.fetchall()  # RETURNING rows are stepped, and may fail, here
            return rows, cursor.rowcount
        except sqlite3.Error as exc:
            full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
                "full" in str(exc).lower()
            )
            raise HistoryStoreError(str(exc), disk_full=full) from exc

    def save(self, entry: HistoryEntry) -> HistoryEntry:
        """Insert or update the entry of `entry.call_id`; returns it with its id."""
        params = (
            entry.call_id,
            entry.direction.value,
            entry.number,
            entry.display_name,
            entry.remote_uri,
            _ms(entry.started_at),
            _ms(entry.answered_at),
            _ms(entry.ended_at),
            entry.duration_s,
            entry.outcome.value if entry.outcome else None,
            int(entry.internal),
            int(entry.seen),
            entry.end_reason,
        )
        with self._lock:
            rows, _ = self._write(
                f"""INSERT INTO history ({_COLUMNS.split(", ", 1)[1]})
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (call_id) DO UPDATE SET
                        number = excluded.number, display_name = excluded.display_name,
                        remote_uri = excluded.remote_uri, answered_at = excluded.answered_at,
                        ended_at = excluded.ended_at, duration_s = excluded.duration_s,
                        outcome = excluded.outcome, seen = excluded.seen,
                        end_reason = excluded.end_reason
                    RETURNING {_COLUMNS}""",
                params,
            )
        return _entry(rows[0])

    def list(
        self,
        filter: HistoryFilter = HistoryFilter.ALL,
        before: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Newest first; `before` is the `next_cursor` of the previous page."""
        limit = max(1, min(limit, MAX_PAGE))
        where: list[str] = []
        params: list[object] = []
        if filter is HistoryFilter.MISSED:
            where.append("outcome = 'missed'")
        if before is not None:
            where.append("(started_at, id) < (?, ?)")
            params.extend(decode_cursor(before))
        sql = f"SELECT {_COLUMNS} FROM history"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at DESC, id DESC LIMIT ?"
        params.append(limit + 1)  # one more tells whether another page exists
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        entries = [_entry(r) for r in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        cursor = encode_cursor(last["started_at"], last["id"]) if last is not None else None
        return Page(entries, cursor)

    def get(self, call_id: str) -> HistoryEntry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM history WHERE call_id = ?", (call_id,)
            ).fetchone()
        return _entry(row) if row is not None else None

    def delete_all(self) -> None:
        with self._lock:
            self._write("DELETE FROM history")

    def mark_missed_seen(self) -> int:
        """Mark every missed call as seen; returns how many changed."""
        with self._lock:
            _, changed = self._write(
                "UPDATE history SET seen = 1 WHERE outcome = 'missed' AND seen = 0"
            )
        return changed

    def unseen_missed_count(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM history WHERE outcome = 'missed' AND seen = 0"
            ).fetchone()
        return int(row[0])

    def close_unfinished(self) -> builtins.list[HistoryEntry]:
        """Close entries a crash left open (no end): outcome failed, no duration claimed.

        The app writes at create, connect and end only, so how long the call lasted is
        unknown: it ends at the last instant known (answer, else start) with duration 0.
        """
        with self._lock:
            rows, _ = self._write(
                f"""UPDATE history SET outcome = 'failed',
                        ended_at = coalesce(answered_at, started_at), duration_s = 0, seen = 1
                    WHERE ended_at IS NULL OR outcome IS NULL
                    RETURNING {_COLUMNS}"""
            )
        return [_entry(r) for r in rows]
