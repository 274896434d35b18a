"""A planted SIP password appears nowhere but the keyring: not in files, logs, wire or argv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pbx.kamailio import Kamailio
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

PLANTED = "Pl4nted-S3cret-Passw0rd"


def test_password_never_leaks_into_files_logs_wire_or_command_lines(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    kamailio.set_password("1006", PLANTED)
    data_dir = tmp_path / "app"
    log_file = tmp_path / "stderr.log"
    with open(log_file, "w") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "softphone",
                "--browser",
                "--data-dir",
                str(data_dir),
                "--sip-bind",
                "127.0.0.1",
                "--sip-log-level",
                "5",
                "--log-level",
                "DEBUG",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
        )
    try:
        assert proc.stdout is not None
        base, token = proc.stdout.readline().strip().removeprefix("Open ").split("/#token=")
        ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
        reply = ui.command(
            "account.setup",
            server=f"127.0.0.1:{kamailio.port}",
            user="1006",
            password=PLANTED,
            transport="udp",
        )
        assert reply["ok"], reply
        ui.command("call.dial", number="1001")  # some SIP traffic with auth challenges
        ui.wait_for(lambda e: e.get("type") == "call_removed", timeout=15)
        wire_text = json.dumps(ui.events)
        ui.close()
        processes = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        command_lines = [" ".join(p.cmdline()) for p in processes]
        environments = [" ".join(p.environ().values()) for p in processes]
    finally:
        proc.terminate()
        proc.wait(15)

    assert PLANTED not in wire_text
    for line in command_lines + environments:
        assert PLANTED not in line
    written = [p for p in data_dir.rglob("*") if p.is_file()] + [log_file]
    assert any(p.name == "engine.log" and p.stat().st_size > 1000 for p in written)  # logs exist
    for path in written:
        assert PLANTED.encode() not in path.read_bytes(), f"password found in {path}"
