"""OS call notifications through a real notification server (dunst on Xvfb, D-Bus).

The app, Kamailio and baresip run for real. dunst is the notification server; a `script`
rule records every notification it shows, and its context menu (`dunstctl context`) runs a
scripted "dmenu" that picks the action named in a file: that is a click on a button, going
through the server and D-Bus like a user's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from e2e.window_harness import xvfb_display
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in
from support.private_bus import private_session_bus

pytestmark = pytest.mark.integration

DMENU = """#!/bin/sh
# dunst's menu: one action a line on stdin; print the one the test wants.
cat > "{dir}/menu.txt"
grep -F -- "$(cat "{dir}/want.txt")" "{dir}/menu.txt" | head -n 1
"""
RECORD = """#!/bin/sh
# Run by dunst for every notification it shows: one line each.
line=$(printf '%s|%s|%s' "$DUNST_SUMMARY" "$DUNST_BODY" "$DUNST_URGENCY" | tr '\\n' ' ')
echo "$line" >> "{dir}/shown.txt"
"""


class Dunst:
    """A dunst on its own config, in this test's D-Bus session; stopped by PID."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work, self.env = work, env
        work.mkdir()
        for name, body in (("dmenu.sh", DMENU), ("record.sh", RECORD)):
            path = work / name
            path.write_text(body.format(dir=work))
            path.chmod(0o755)
        (work / "dunstrc").write_text(
            f"[global]\ndmenu = {work}/dmenu.sh\nmarkup = full\n"
            f'[record]\nsummary = "*"\nscript = {work}/record.sh\n'
        )
        (work / "shown.txt").write_text("")
        self.proc = subprocess.Popen(
            ["dunst", "-config", str(work / "dunstrc")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "dunst.log").open("wb"),
        )
        deadline = time.monotonic() + 5.0
        while self._owner_pid() != self.proc.pid:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("dunst did not start: " + (work / "dunst.log").read_text())
            time.sleep(0.05)

    def _owner_pid(self) -> int | None:
        # Asks the bus itself: a call to the name would make D-Bus start the distribution's
        # dunst service (without our config and display) while ours is still starting.
        reply = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "string:org.freedesktop.Notifications",
            ],
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
            timeout=5,
        )
        fields = reply.stdout.split()
        return int(fields[-1]) if reply.returncode == 0 and fields else None

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["dunstctl", *args],
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
            timeout=5,
        )

    def shown(self) -> list[str]:
        lines = (self.work / "shown.txt").read_text().splitlines()
        return [line.strip() for line in lines if line.strip()]

    def wait_shown(self, text: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.shown() if text in line]
            if found:
                return found[-1]
            time.sleep(0.01)
        raise AssertionError(f"no notification with {text!r}; shown: {self.shown()}")

    def displayed(self) -> int:
        return int(self.ctl("count", "displayed").stdout.strip())

    def wait_displayed(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.displayed() != count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.displayed()} notifications displayed, not {count}")
            time.sleep(0.05)

    def click(self, label: str) -> None:
        """Choose the button `label` from the notification's menu, as a user would."""
        (self.work / "want.txt").write_text(f"#{label} (")
        assert self.ctl("context").returncode == 0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def dunst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dunst]:
    with private_session_bus() as address, xvfb_display() as display:
        # This process's notifier (the app runs here) connects to the same private bus.
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        env = {k: v for k, v in {**os.environ, **display.env}.items() if v is not None}
        server = Dunst(tmp_path / "dunst", env)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def app(tmp_path: Path, dunst: Dunst, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftphoneApp]:
    monkeypatch.setenv("SOFTPHONE_NOTIFICATIONS", "1")  # no display of its own: force it on
    with running_app(tmp_path / "app") as running:
        assert running.notifier is not None
        yield running


@pytest.fixture
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    client = UiClient(app)
    assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    assert client.command("settings.update", language="en")["ok"]
    yield client
    client.close()


def _ringing(ui: UiClient, peer: Baresip, dunst: Dunst) -> tuple[dict[str, object], float]:
    mark = ui.mark()
    dialed = time.monotonic()
    peer.dial("1001")
    line = dunst.wait_shown("1003")
    shown_after = time.monotonic() - dialed
    assert line.startswith("Incoming call|") and line.endswith("|CRITICAL")
    return ui.wait_call_state("ringing_in", start=mark), shown_after


def test_accept_in_the_notification_answers_the_call(
    ui: UiClient, dunst: Dunst, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1003")
    peer_mark = peer.mark()
    call, shown_after = _ringing(ui, peer, dunst)
    mark = ui.mark()
    clicked = time.monotonic()
    dunst.click("Answer")
    connected = ui.wait_call_state("connected", start=mark)
    answered_after = time.monotonic() - clicked
    assert connected["id"] == call["id"]
    peer.wait_for_event("CALL_ESTABLISHED", start=peer_mark)
    dunst.wait_displayed(0)
    print(
        f"dial->shown {shown_after * 1000:.0f} ms, click->connected {answered_after * 1000:.0f} ms"
    )
    peer.hangup()
    ui.wait_call_state("ended", start=mark)
    time.sleep(0.3)
    assert not [line for line in dunst.shown() if line.startswith("Missed call")]


def test_reject_in_the_notification_rejects_the_call(
    ui: UiClient, dunst: Dunst, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1003")
    peer_mark = peer.mark()
    _ringing(ui, peer, dunst)
    mark = ui.mark()
    dunst.click("Reject")
    assert ui.wait_call_state("ended", start=mark)["end_reason"] == "rejected"
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)
    dunst.wait_displayed(0)


def test_caller_hanging_up_closes_it_and_shows_a_missed_call(
    ui: UiClient, dunst: Dunst, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1003")
    _ringing(ui, peer, dunst)
    dunst.wait_displayed(1)
    mark = ui.mark()
    peer.hangup()
    assert ui.wait_call_state("ended", start=mark)["end_reason"] == "cancelled"
    assert dunst.wait_shown("Missed call").startswith("Missed call|1003")
    # Only the missed call is left on screen: the incoming one was taken back.
    dunst.wait_displayed(1)
    history = dunst.ctl("history").stdout
    assert "Incoming call" in history  # closed notifications move to dunst's history


def test_notifications_off_shows_nothing(
    ui: UiClient, dunst: Dunst, baresip_factory: Callable[..., Baresip]
) -> None:
    mark = ui.mark()
    assert ui.command("settings.update", notifications=False)["ok"]
    changed = ui.wait_for(lambda e: e.get("type") == "settings_changed", start=mark)
    assert changed["settings"]["notifications"] is False
    peer = baresip_factory("1003")
    peer.dial("1001")
    ui.wait_call_state("ringing_in", start=mark)
    time.sleep(1.0)  # a notification comes within ~0.1 s when they are on
    assert dunst.shown() == [] and dunst.displayed() == 0
    peer.hangup()
    ui.wait_call_state("ended", start=mark)
    time.sleep(0.5)
    assert dunst.shown() == []


def test_first_run_test_notification_is_shown_in_the_settings_language(
    app: SoftphoneApp, dunst: Dunst
) -> None:
    client = UiClient(app)
    try:
        assert client.command("settings.update", language="fr")["ok"]
        shown = client.command("notifications.test")
        assert client.command("settings.update", notifications=False)["ok"]
        refused = client.command("notifications.test")
    finally:
        client.close()
    assert shown == {"ok": True, "result": {"shown": True}}
    assert dunst.wait_shown("Les notifications du Softphone fonctionnent").startswith("Les ")
    assert refused == {"ok": True, "result": {"shown": False}}  # off in Settings: said so


def test_a_call_answered_on_another_phone_of_the_user_is_not_missed(
    ui: UiClient, dunst: Dunst, baresip_factory: Callable[..., Baresip]
) -> None:
    # The user's desk phone: baresip registered as 1001 too, so Kamailio forks 1001's calls
    # to both bindings and, when the desk phone answers, CANCELs the app's branch with
    # `Reason: SIP;cause=200;text="Call completed elsewhere"`.
    desk = baresip_factory("1001")
    caller = baresip_factory("1003")
    desk_mark, caller_mark = desk.mark(), caller.mark()
    _ringing(ui, caller, dunst)
    dunst.wait_displayed(1)
    desk.wait_for_event("CALL_INCOMING", start=desk_mark)
    mark = ui.mark()
    desk.accept()
    caller.wait_for_event("CALL_ESTABLISHED", start=caller_mark)
    ended = ui.wait_call_state("ended", start=mark)
    assert ended["end_reason"] == "answered_elsewhere"
    entry = ui.wait_for(
        lambda e: (
            e.get("type") == "history_changed"
            and e["entry"]["call_id"] == ended["id"]
            and e["entry"]["outcome"] is not None
        ),
        start=mark,
    )["entry"]
    assert entry["outcome"] == "answered_elsewhere" and entry["seen"] is True
    assert entry["end_reason"] == "answered_elsewhere"
    dunst.wait_displayed(0)  # the incoming notification is taken back, nothing replaces it
    time.sleep(0.5)  # a missed-call notification comes within ~0.1 s
    assert not [line for line in dunst.shown() if line.startswith("Missed call")]
    assert dunst.displayed() == 0
    # No missed-call badge: no count above zero pushed, none in the history either.
    counts = [e["count"] for e in ui.events[mark:] if e.get("type") == "missed_count"]
    assert all(count == 0 for count in counts), counts
    missed = ui.command("history.list", filter="missed")
    assert missed["ok"] and missed["result"]["entries"] == []
    caller.hangup()
