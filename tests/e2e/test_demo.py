"""`make demo` as a newcomer meets it, with no display: the printed URL opens a living phone
(colleagues on the phone, ringing and on do-not-disturb; a directory of a few hundred people;
answered and missed calls; voicemail waiting), and Ctrl-C stops every process it started."""

from __future__ import annotations

import ipaddress
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from playwright.sync_api import Browser, Page, expect

from support.app_harness import UiClient
from support.screenshots import screenshots_dir

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[1] / "pbx" / "demo.py"
START_S = 60.0  # servers, phones, the history's calls (~25 s on 2 busy cores), the app


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    url: str
    ui: UiClient


def _url(lines: queue.Queue[str], proc: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + START_S
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            assert proc.poll() is None, f"the demo exited ({proc.returncode}): {seen}"
            continue
        seen.append(line)
        if line.startswith("Open http://127.0.0.1:"):
            return line.removeprefix("Open ").strip()
    raise TimeoutError(f"no URL printed: {seen}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    headless = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--work-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        text=True,
        env=headless,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:  # to its end: the demo never blocks on a full pipe
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, name="demo-stdout", daemon=True).start()
    try:
        url = _url(lines, proc)
        base, token = url.split("/#token=")
        ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
        try:
            yield Demo(proc, url, ui)
        finally:
            ui.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, to the demo alone
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _eventually(read: Any, ok: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not ok(value := read()):
        assert time.monotonic() < deadline, value
        time.sleep(0.2)
    return value


def _lines(ui: UiClient) -> dict[str, tuple[str, bool]]:
    states = ui.command("blf.states")["result"]["states"]
    return {s["extension"]: (s["state"], s["dnd"]) for s in states}


def _check_living_state(ui: UiClient) -> None:
    want = {
        "1002": ("free", False),
        "1003": ("busy", False),  # in a call with 1004
        "1004": ("busy", False),
        "1005": ("ringing", False),  # 1006 calls, nobody answers
        "1006": ("busy", False),
        "1007": ("busy", True),  # do not disturb
        "1008": ("free", False),
        "1009": ("free", False),
        "1010": ("free", False),
    }
    _eventually(lambda: _lines(ui), lambda lines: lines == want)

    def carddav() -> dict[str, Any]:
        sources = ui.command("directory.status")["result"]["sources"]
        status: dict[str, Any] = next(s for s in sources if s["source"] == "carddav")
        return status

    # Synced again after the restart, with the password the document brought back.
    _eventually(carddav, lambda s: s["count"] >= 200 and s["error"] is None)
    found = ui.command("directory.search", query="Bernasconi")["result"]["contacts"]
    assert any(c["family"] == "Bernasconi" for c in found)
    assert all("Bernasconi" in c["name"] + c["org"] for c in found)  # people, or their firm
    (bob,) = ui.command("directory.search", query="Bob Meier")["result"]["contacts"]
    assert bob["internal"] and bob["extension"] == "1002"

    entries = ui.command("history.list")["result"]["entries"]
    seen = [(e["display_name"], e["direction"], e["outcome"]) for e in entries]
    assert seen == [
        ("Hugo Lefèvre", "incoming", "missed"),
        ("Carol Rossi", "incoming", "missed"),
        ("Inès Moreau", "incoming", "answered"),
        ("Bob Meier", "outgoing", "answered"),
    ]
    assert all(e["duration_s"] >= 2 for e in entries if e["outcome"] == "answered")

    snapshot = ui.wait_for(lambda e: e.get("type") == "snapshot")
    assert snapshot["settings"]["feature_codes"]["voicemail"] == "1009"
    # In the snapshot, or in an event once the PBX has sent it (the app may be quicker).
    ui.wait_for(lambda e: (e.get("voicemail") or {}).get("new") == 2)


def _shoot(browser: Browser, url: str, ui: UiClient, out: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page: Page = context.new_page()
    try:
        page.goto(url)
        panel = page.locator("#colleagues-panel")
        expect(panel.locator('[data-extension="1005"] .blf-dot--ringing')).to_be_visible()
        expect(panel.get_by_role("img", name="Do not disturb")).to_have_count(1)
        expect(panel.get_by_role("img", name="On the phone")).to_have_count(3)
        page.screenshot(path=str(out / "demo-colleagues.png"))
        tabs = page.locator("section.phone")
        page.get_by_role("tab", name="Directory").click()
        page.get_by_test_id("directory-search").fill("ro")
        found = ui.command("directory.search", query="ro")["result"]["contacts"]
        assert 10 < len(found) < 50  # Rossi, Rochat, Roth, Romano..., and their firms' people
        expect(tabs.locator(".directory__list > li")).to_have_count(len(found))
        page.screenshot(path=str(out / "demo-directory.png"))
        page.get_by_role("tab", name="History").click()
        expect(tabs.get_by_text("Hugo Lefèvre")).to_be_visible()
        page.screenshot(path=str(out / "demo-history.png"))
    finally:
        context.close()


def test_make_demo_starts_a_living_phone_and_ctrl_c_stops_everything(
    demo: Demo, browser: Browser, tmp_path: Path
) -> None:
    _check_living_state(demo.ui)
    _shoot(browser, demo.url, demo.ui, screenshots_dir(tmp_path))

    started = psutil.Process(demo.proc.pid).children(recursive=True)
    for process in started:
        for conn in process.net_connections(kind="inet"):
            if not conn.raddr:  # a listener, or a UDP socket anyone could send to
                assert ipaddress.ip_address(conn.laddr.ip).is_loopback, (process.name(), conn)
    assert {p.name() for p in started} >= {"kamailio", "baresip", "nginx", "dnsmasq"}

    demo.ui.close()
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(30) == 0
    _gone, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
