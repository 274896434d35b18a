"""Create and seed the Kamailio sqlite database (schemas shipped by Debian)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_DIR = Path("/usr/share/kamailio/db_sqlite")
SCHEMAS = ("standard", "auth_db", "usrloc", "presence")


def create_db(path: Path, users: dict[str, str], domain: str) -> None:
    """Create the tables Kamailio checks at startup and insert the subscribers."""
    con = sqlite3.connect(path)
    try:
        # WAL (persistent in the file): auth_db's reads no longer fail with "database is
        # locked" while presence writes; without it ~1 INVITE in 900 got a 500 (soak test).
        con.execute("PRAGMA journal_mode=WAL")
        for name in SCHEMAS:
            con.executescript((SCHEMA_DIR / f"{name}-create.sql").read_text())
        con.executemany(
            "INSERT INTO subscriber (username, domain, password) VALUES (?, ?, ?)",
            [(user, domain, pw) for user, pw in users.items()],
        )
        con.commit()
    finally:
        con.close()


def set_password(path: Path, user: str, password: str) -> None:
    """Change a subscriber's password (auth_db reads the DB on every request)."""
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE subscriber SET password=? WHERE username=?", (password, user))
        con.commit()
    finally:
        con.close()
