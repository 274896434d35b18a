"""Log files are 0600 from creation and across rotation, and hold no digest credentials."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from softphone.diagnostics.logfiles import AppLogFile, rotated_files
from softphone.private_files import private_dir, private_sqlite, write_private

REGISTER = (
    "TX 612 bytes Request msg REGISTER/cseq=2 to UDP 127.0.0.1:5060:\n"
    "REGISTER sip:127.0.0.1 SIP/2.0\n"
    'Authorization: Digest username="1001", realm="pbx", nonce="5f2a9c", '
    'uri="sip:127.0.0.1", response="0a4f113eab94e9e8c0aa0d9b1f0e7c11", algorithm=MD5\n'
    'WWW-Authenticate: Digest realm="pbx", nonce="77aa00ff"\n'
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_app_log_is_private_across_rotation_and_masks_digest_credentials(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    logger = logging.getLogger("softphone.test.private")
    logger.setLevel(logging.DEBUG)
    log_file = AppLogFile(tmp_path / "logs", level=logging.DEBUG)
    log_file.apply(True)
    try:
        for _ in range(5000):  # ~1.4 MB once redacted: at least one rollover
            logger.debug("%s", REGISTER)
    finally:
        log_file.close()
        os.umask(old_umask)
    files = rotated_files(log_file.path)
    assert len(files) >= 2
    assert {mode(p) for p in files} == {0o600}
    text = "".join(p.read_text(encoding="utf-8") for p in files)
    assert "Authorization: <redacted>" in text and "WWW-Authenticate: <redacted>" in text
    assert "0a4f113e" not in text and "5f2a9c" not in text and "77aa00ff" not in text


def test_existing_files_and_dirs_are_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    db = folder / "history.sqlite3"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.write_bytes(b"")
        os.chmod(path, 0o644)
    private_dir(folder)
    private_sqlite(db)
    assert mode(folder) == 0o700
    assert {mode(p) for p in folder.iterdir()} == {0o600}
    export = tmp_path / "logs.zip"
    export.write_bytes(b"old")
    os.chmod(export, 0o644)
    write_private(export, b"new")
    assert (mode(export), export.read_bytes()) == (0o600, b"new")
