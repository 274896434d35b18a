"""Files and directories only their owner may read: call data, contacts, logs, settings."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# SQLite's companions of a database file; it creates them with the database's mode, but
# ones left by an older version keep theirs.
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """`path` made if missing (parents too) and set to 0700, also when it existed."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty if missing, else left as it is, and set to 0600 either way.

    Made before SQLite or a log handler opens it: they create files with the umask's mode
    (0644 by default), readable by every local user.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its mode through O_CREAT
    finally:
        os.close(fd)
    return path


def private_sqlite(path: Path) -> Path:
    """The database file and whichever of its WAL/SHM/journal files exist, all 0600."""
    private_file(path)
    for suffix in SQLITE_SIDECARS:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", PRIVATE_FILE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (replacing it) with mode 0600 from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)
        handle.write(data)
