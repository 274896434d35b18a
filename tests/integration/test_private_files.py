"""After a real run, every file with call data is 0600 and every app directory 0700, and the
engine's SIP log holds no digest credentials (Authorization values, nonce, response)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from pbx.kamailio import Kamailio
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

OLD_FILES = (
    "config/settings.json",
    "data/history.sqlite3",
    "logs/softphone.log",
    "logs/softphone.log.1",
    "engine.log",
    "engine.log.2",
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_call_data_logs_and_settings_are_private_after_a_run(
    tmp_path: Path, kamailio: Kamailio
) -> None:
    root = tmp_path / "app"
    # What an older version left behind: world-readable files in world-listable dirs.
    old_umask = os.umask(0o022)
    try:
        for name in OLD_FILES:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).touch()
        (root / "config/settings.json").write_text("{}")
        (root / "data/history.sqlite3").unlink()  # SQLite wants an empty file or a database
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        with running_app(root, log_level=5) as app:
            ui = UiClient(app)
            try:
                assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
                reply = ui.command(
                    "contacts.create", given="Zoë", numbers=[{"label": "mobile", "number": "1002"}]
                )
                assert reply["ok"], reply
                assert ui.command("call.dial", number="1099")["ok"]  # a history entry
            finally:
                ui.close()
            running = {p.relative_to(root): mode(p) for p in root.rglob("*") if p.is_file()}
    finally:
        os.umask(old_umask)

    expected_files = [
        "config/settings.json",
        "data/history.sqlite3",
        "data/directory.sqlite3",
        "logs/softphone.log",
        "logs/softphone.log.1",
        "engine.log",
        "engine.log.2",
    ]
    for name in expected_files:
        assert mode(root / name) == 0o600, f"{name}: {oct(mode(root / name))}"
    # WAL and SHM exist while the databases are open: checked as they were then.
    sidecars = {str(p): m for p, m in running.items() if str(p).endswith(("-wal", "-shm"))}
    assert len(sidecars) >= 4 and set(sidecars.values()) == {0o600}, sidecars
    data_files = {
        str(p.relative_to(root)): mode(p)
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".log", ".sqlite3", ".json")
    }
    assert set(data_files.values()) == {0o600}, data_files
    for directory in (root, root / "config", root / "data", root / "logs", root / "run"):
        assert mode(directory) == 0o700, f"{directory}: {oct(mode(directory))}"

    engine_log = (root / "engine.log").read_text(encoding="utf-8", errors="replace")
    assert re.search(r"REGISTER sip:", engine_log), "the SIP log was not written at level 5"
    assert "Authorization: <redacted>" in engine_log
    assert not re.search(r"(?i)\b(response|nonce|cnonce)=\"?(?!<redacted>)[0-9a-f]", engine_log)
    assert not re.search(r"(?im)^\s*(Proxy-)?Authorization:\s*Digest", engine_log)
