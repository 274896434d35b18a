"""Call history with real calls: Kamailio, baresip and the real app driven over its protocol.

Every finished call leaves exactly one entry with the right direction, outcome and duration,
and a call cut by `kill -9` of the app is still in the history at the next start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _entries(ui: UiClient, **args: Any) -> list[dict[str, Any]]:
    reply = ui.command("history.list", **args)
    assert reply["ok"], reply
    entries: list[dict[str, Any]] = reply["result"]["entries"]
    return entries


def _finished_entry(ui: UiClient, call_id: str, start: int) -> dict[str, Any]:
    event = ui.wait_for(
        lambda e: (
            e.get("type") == "history_changed"
            and e["entry"]["call_id"] == call_id
            and e["entry"]["outcome"] is not None
        ),
        start=start,
    )
    entry: dict[str, Any] = event["entry"]
    return entry


def test_each_call_leaves_one_entry_with_its_outcome_direction_and_duration(
    ui: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1002")

    # Answered outgoing: about two seconds of talk.
    mark, peer_mark = ui.mark(), peer.mark()
    call_id = ui.command("call.dial", number="1002")["result"]["call_id"]
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    time.sleep(2.2)
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    answered = _finished_entry(ui, call_id, mark)
    assert answered["direction"] == "outgoing" and answered["outcome"] == "answered"
    assert answered["number"] == "1002" and answered["internal"] is True
    assert 2 <= answered["duration_s"] <= 3
    assert answered["answered_at"] is not None and answered["ended_at"] > answered["answered_at"]

    # Rejected incoming.
    mark = ui.mark()
    peer.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    assert ui.command("call.reject", call_id=ringing["id"])["ok"]
    rejected = _finished_entry(ui, ringing["id"], mark)
    assert rejected["direction"] == "incoming" and rejected["outcome"] == "rejected"
    assert rejected["duration_s"] == 0 and rejected["answered_at"] is None

    # Missed incoming: the caller gives up; the badge count goes up.
    mark = ui.mark()
    peer.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    time.sleep(0.3)
    peer.hangup()
    missed = _finished_entry(ui, ringing["id"], mark)
    assert missed["direction"] == "incoming" and missed["outcome"] == "missed"
    assert missed["seen"] is False
    ui.wait_for(lambda e: e == {"type": "missed_count", "count": 1}, start=mark)

    # Unknown extension: failed, nothing answered.
    mark = ui.mark()
    unknown_id = ui.command("call.dial", number="1999")["result"]["call_id"]
    failed = _finished_entry(ui, unknown_id, mark)
    assert failed["direction"] == "outgoing" and failed["outcome"] == "failed"
    assert failed["duration_s"] == 0

    entries = _entries(ui)
    assert [e["call_id"] for e in entries] == [
        unknown_id,
        missed["call_id"],
        rejected["call_id"],
        call_id,
    ]  # exactly one entry per call, newest first
    assert [e["call_id"] for e in _entries(ui, filter="missed")] == [missed["call_id"]]

    mark = ui.mark()
    assert ui.command("history.mark_seen")["ok"]
    ui.wait_for(lambda e: e == {"type": "missed_count", "count": 0}, start=mark)
    assert ui.command("history.delete_all")["ok"]
    ui.wait_for(lambda e: e == {"type": "history_cleared"}, start=mark)
    assert _entries(ui) == []


# --- a crash in the middle of a call ----------------------------------------------------


class _CliApp:
    """`python -m softphone --browser ...` as a subprocess, with the URL it prints."""

    def __init__(self, data_dir: Path, kamailio: Kamailio) -> None:
        env = dict(os.environ)
        env.update(
            SOFTPHONE_TEST_PASSWORD=kamailio.users["1001"],
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # no D-Bus probing
            PYTHONUNBUFFERED="1",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone", "--browser", "--data-dir", str(data_dir),
             "--server", f"127.0.0.1:{kamailio.port}", "--user", "1001",
             "--password-env", "SOFTPHONE_TEST_PASSWORD", "--sip-bind", "127.0.0.1"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        self.port, self.token = 0, ""
        for line in self.proc.stdout:  # the app prints the line once its server listens
            found = re.search(r"Open http://127\.0\.0\.1:(\d+)/#token=(\S+)", line)
            if found:
                self.port, self.token = int(found[1]), found[2]
                break
            if time.monotonic() > deadline:
                break
        assert self.port, "the app printed no URL"

    def connect(self) -> UiClient:
        return UiClient.at(self.port, self.token)

    def kill_hard(self) -> None:
        """SIGKILL the app and its engine process: no shutdown code runs anywhere."""
        parent = psutil.Process(self.proc.pid)
        family = [*parent.children(recursive=True), parent]
        for proc in family:
            proc.kill()
        psutil.wait_procs(family, timeout=5)
        self.proc.wait(5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_hard()


@pytest.fixture
def cli_apps() -> Iterator[list[_CliApp]]:
    apps: list[_CliApp] = []
    yield apps
    for app in apps:
        app.stop()


def test_a_call_cut_by_kill_9_is_in_the_history_after_restart(
    tmp_path: Path,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    cli_apps: list[_CliApp],
) -> None:
    peer = baresip_factory("1002", answermode="auto")
    data_dir = tmp_path / "cli-app"
    first = _CliApp(data_dir, kamailio)
    cli_apps.append(first)
    client = first.connect()
    client.wait_for(
        lambda e: (
            (e.get("type") == "registration_changed" and e["registration"]["state"] == "registered")
            or (e.get("type") == "snapshot" and e["registration"]["state"] == "registered")
        ),
        timeout=15,
    )
    mark = client.mark()
    call_id = client.command("call.dial", number="1002")["result"]["call_id"]
    client.wait_call_state("connected", start=mark)
    # The row is on disk from the moment the call exists, answer time included.
    client.wait_for(
        lambda e: e.get("type") == "history_changed" and e["entry"]["answered_at"] is not None,
        start=mark,
    )
    time.sleep(0.5)
    client.sio.disconnect()
    first.kill_hard()

    second = _CliApp(data_dir, kamailio)
    cli_apps.append(second)
    client = second.connect()
    reply = client.command("history.list")
    client.sio.disconnect()
    assert reply["ok"], reply
    [entry] = reply["result"]["entries"]
    assert entry["call_id"] == call_id and entry["direction"] == "outgoing"
    assert entry["outcome"] == "failed"  # cut, however long it had lasted
    assert entry["answered_at"] is not None and entry["ended_at"] == entry["answered_at"]
    assert entry["duration_s"] == 0
    peer.hangup()
