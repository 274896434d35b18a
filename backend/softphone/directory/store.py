"""Contacts in SQLite (WAL) with FTS5 name search and digit keys for number search."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from softphone.directory.numbers import keys
from softphone.directory.search import fold, plan
from softphone.domain.directory import Contact, ContactNumber, ContactSource, DisplayOrder
from softphone.private_files import private_sqlite

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_RESULTS = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    uid        TEXT NOT NULL,           -- vCard href, LDAP DN, or a UUID for personal ones
    given      TEXT NOT NULL,
    family     TEXT NOT NULL,
    display    TEXT NOT NULL,
    org        TEXT NOT NULL,
    email      TEXT NOT NULL,
    internal   INTEGER NOT NULL,
    extension  TEXT NOT NULL,
    etag       TEXT NOT NULL,
    sort_first TEXT NOT NULL,           -- folded "given family": first-name-first order
    sort_last  TEXT NOT NULL,           -- folded "family given"
    UNIQUE (source, uid)
);
CREATE INDEX IF NOT EXISTS contacts_sort_first ON contacts (sort_first);
CREATE INDEX IF NOT EXISTS contacts_sort_last ON contacts (sort_last);
CREATE INDEX IF NOT EXISTS contacts_extension ON contacts (extension) WHERE extension != '';
CREATE TABLE IF NOT EXISTS numbers (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    label      TEXT NOT NULL,
    raw        TEXT NOT NULL,
    e164       TEXT NOT NULL,
    intl       TEXT NOT NULL,
    national   TEXT NOT NULL,
    nsn        TEXT NOT NULL,
    PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS numbers_e164 ON numbers (e164) WHERE e164 != '';
CREATE INDEX IF NOT EXISTS numbers_intl ON numbers (intl);
CREATE INDEX IF NOT EXISTS numbers_national ON numbers (national);
CREATE INDEX IF NOT EXISTS numbers_nsn ON numbers (nsn);
-- Accents and case folded by the tokenizer; prefix indexes make "jo mu" cheap.
CREATE VIRTUAL TABLE IF NOT EXISTS contacts_fts USING fts5 (
    names, org, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
CREATE TRIGGER IF NOT EXISTS contacts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, names, org)
    VALUES (new.id, new.given || ' ' || new.family || ' ' || new.display, new.org);
END;
CREATE TRIGGER IF NOT EXISTS contacts_ad AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.id;
END;
CREATE TRIGGER IF NOT EXISTS contacts_au AFTER UPDATE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.id;
    INSERT INTO contacts_fts (rowid, names, org)
    VALUES (new.id, new.given || ' ' || new.family || ' ' || new.display, new.org);
END;
CREATE TABLE IF NOT EXISTS sync_state (
    source    TEXT PRIMARY KEY,
    token     TEXT NOT NULL DEFAULT '',  -- CardDAV sync-token of the last good sync
    synced_at INTEGER,                   -- epoch ms
    error     TEXT                       -- ErrorKey of the last failure, NULL when fine
);
"""

_COLUMNS = (
    "id, source, uid, given, family, display, org, email, internal, extension, etag,"
    " sort_first, sort_last"
)


class DirectoryStore:
    """One connection behind a lock: searches come from the web threads, syncs from their own."""

    def __init__(self, path: Path | str, home_country: str = "CH") -> None:
        self.home_country = home_country
        self._lock = threading.Lock()
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
            private_sqlite(path)  # contacts: 0600, and SQLite gives WAL/SHM the same mode
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            if self._db.execute("SELECT version FROM schema_version").fetchone() is None:
                self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writes -------------------------------------------------------------------------

    def upsert(self, contacts: Iterable[Contact]) -> list[int]:
        """Insert or replace contacts by (source, uid) in one transaction; returns their ids."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                ids = [self._upsert_one(c) for c in contacts]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    def _upsert_one(self, contact: Contact) -> int:
        sort_first = fold(contact.name(DisplayOrder.FIRST_LAST))
        sort_last = fold(contact.name(DisplayOrder.LAST_FIRST))
        row = self._db.execute(
            """INSERT INTO contacts (source, uid, given, family, display, org, email, internal,
                   extension, etag, sort_first, sort_last)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (source, uid) DO UPDATE SET
                   given = excluded.given, family = excluded.family,
                   display = excluded.display, org = excluded.org, email = excluded.email,
                   internal = excluded.internal, extension = excluded.extension,
                   etag = excluded.etag, sort_first = excluded.sort_first,
                   sort_last = excluded.sort_last
               RETURNING id""",
            (
                contact.source.value,
                contact.uid,
                contact.given,
                contact.family,
                contact.display,
                contact.org,
                contact.email,
                int(contact.internal),
                contact.extension,
                contact.etag,
                sort_first,
                sort_last,
            ),
        ).fetchone()
        contact_id = int(row[0])
        self._db.execute("DELETE FROM numbers WHERE contact_id = ?", (contact_id,))
        rows = []
        for position, number in enumerate(contact.numbers):
            k = keys(number.number, self.home_country)
            row = (contact_id, position, number.label, number.number)
            rows.append((*row, k.e164, k.intl, k.national, k.nsn))
        self._db.executemany("INSERT INTO numbers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return contact_id

    def delete(self, source: ContactSource, uids: Iterable[str]) -> int:
        """Delete contacts of `source` by uid; returns how many went."""
        with self._lock:
            self._db.execute("BEGIN")
            count = 0
            for uid in uids:
                cursor = self._db.execute(
                    "DELETE FROM contacts WHERE source = ? AND uid = ?", (source.value, uid)
                )
                count += cursor.rowcount
            self._db.execute("COMMIT")
        return count

    def replace_source(self, source: ContactSource, contacts: Iterable[Contact]) -> None:
        """Make `source` hold exactly `contacts` (a full sync), in one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM contacts WHERE source = ?", (source.value,))
                for contact in contacts:
                    self._upsert_one(contact)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_home_country(self, country: str) -> None:
        """Recompute every number's search keys: "044..." means another number abroad."""
        with self._lock:
            if country == self.home_country:
                return
            self.home_country = country
            self._db.execute("BEGIN")
            rows = self._db.execute("SELECT contact_id, position, raw FROM numbers").fetchall()
            for contact_id, position, raw in rows:
                k = keys(raw, country)
                self._db.execute(
                    "UPDATE numbers SET e164 = ?, intl = ?, national = ?, nsn = ?"
                    " WHERE contact_id = ? AND position = ?",
                    (k.e164, k.intl, k.national, k.nsn, contact_id, position),
                )
            self._db.execute("COMMIT")

    # --- reads --------------------------------------------------------------------------

    def get(self, contact_id: int) -> Contact | None:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE id = ?", (contact_id,)
            ).fetchall()
            return self._contacts(rows)[0] if rows else None

    def etags(self, source: ContactSource) -> dict[str, str]:
        """uid -> etag of every contact of `source` (what the ETag fallback compares)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT uid, etag FROM contacts WHERE source = ?", (source.value,)
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def count(self, source: ContactSource | None = None) -> int:
        with self._lock:
            if source is None:
                row = self._db.execute("SELECT count(*) FROM contacts").fetchone()
            else:
                row = self._db.execute(
                    "SELECT count(*) FROM contacts WHERE source = ?", (source.value,)
                ).fetchone()
        return int(row[0])

    def all(
        self, source: ContactSource, order: DisplayOrder = DisplayOrder.FIRST_LAST
    ) -> list[Contact]:
        column = "sort_last" if order is DisplayOrder.LAST_FIRST else "sort_first"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE source = ? ORDER BY {column}, id",
                (source.value,),
            ).fetchall()
            return self._contacts(rows)

    def internal(self) -> list[Contact]:
        """Colleagues with an extension: the BLF panel's user list."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE internal = 1 AND extension != ''"
                " ORDER BY sort_first, id"
            ).fetchall()
            return self._contacts(rows)

    def search(
        self, query: str, limit: int = 50, order: DisplayOrder = DisplayOrder.FIRST_LAST
    ) -> list[Contact]:
        """Contacts whose name words start with the typed words, or whose number matches."""
        limit = max(1, min(limit, MAX_RESULTS))
        column = "sort_last" if order is DisplayOrder.LAST_FIRST else "sort_first"
        with self._lock:
            found = plan(
                query,
                _COLUMNS,
                column=column,
                limit=limit,
                country=self.home_country,
                count=self._count_up_to,
            )
            if found is None:
                return []
            rows = self._db.execute(*found).fetchall()
            return self._contacts(rows)

    def _count_up_to(self, sql: str, params: list[object], cap: int) -> int:
        """How many rows `sql` yields, counting no further than `cap` (caller holds the lock)."""
        row = self._db.execute(f"SELECT count(*) FROM ({sql} LIMIT {cap:d})", params).fetchone()
        return int(row[0])

    def lookup_number(self, raw: str, order: DisplayOrder = DisplayOrder.FIRST_LAST) -> str | None:
        """The name of whoever has this exact number (an incoming caller ID, say), else None."""
        k = keys(raw, self.home_country)
        if not k.intl:
            return None
        with self._lock:
            if k.e164:
                sql = "SELECT contact_id FROM numbers WHERE e164 = ?"
                row = self._db.execute(sql + " LIMIT 1", (k.e164,)).fetchone()
            else:
                row = (
                    self._db.execute(
                        "SELECT id FROM contacts WHERE extension = ? LIMIT 1", (k.intl,)
                    ).fetchone()
                    or self._db.execute(
                        "SELECT contact_id FROM numbers WHERE e164 = '' AND intl = ? LIMIT 1",
                        (k.intl,),
                    ).fetchone()
                )
            if row is None:
                return None
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE id = ?", (row[0],)
            ).fetchall()
            return self._contacts(rows)[0].name(order) if rows else None

    # --- sync bookkeeping ---------------------------------------------------------------

    def sync_state(self, source: ContactSource) -> tuple[str, int | None, str | None]:
        """(sync token, last good sync epoch ms, last error key) of a source."""
        with self._lock:
            row = self._db.execute(
                "SELECT token, synced_at, error FROM sync_state WHERE source = ?", (source.value,)
            ).fetchone()
        return (row[0], row[1], row[2]) if row else ("", None, None)

    def set_sync_state(
        self,
        source: ContactSource,
        *,
        token: str | None = None,
        synced_at: int | None = None,
        error: str | None = None,
    ) -> None:
        """Record a sync result: a success passes `synced_at` (and clears the error)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO sync_state (source) VALUES (?) ON CONFLICT DO NOTHING",
                (source.value,),
            )
            if token is not None:
                self._db.execute(
                    "UPDATE sync_state SET token = ? WHERE source = ?", (token, source.value)
                )
            if synced_at is not None:
                self._db.execute(
                    "UPDATE sync_state SET synced_at = ? WHERE source = ?",
                    (synced_at, source.value),
                )
            self._db.execute(
                "UPDATE sync_state SET error = ? WHERE source = ?", (error, source.value)
            )

    def _contacts(self, rows: list[sqlite3.Row]) -> list[Contact]:
        """Rows to Contacts with their numbers (caller holds the lock)."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        numbers: dict[int, list[ContactNumber]] = {i: [] for i in ids}
        marks = ",".join("?" * len(ids))
        for n in self._db.execute(
            f"SELECT contact_id, label, raw, e164 FROM numbers WHERE contact_id IN ({marks})"
            " ORDER BY contact_id, position",
            ids,
        ):
            numbers[n[0]].append(ContactNumber(n[1], n[2], n[3]))
        return [
            Contact(
                source=ContactSource(r["source"]),
                uid=r["uid"],
                given=r["given"],
                family=r["family"],
                display=r["display"],
                org=r["org"],
                email=r["email"],
                numbers=tuple(numbers[r["id"]]),
                internal=bool(r["internal"]),
                extension=r["extension"],
                id=r["id"],
                etag=r["etag"],
            )
            for r in rows
        ]
