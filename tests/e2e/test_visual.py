"""Visual regression of the main views: Chromium screenshots compared with tests/e2e/visual/.

The real app on Kamailio, signed in with three monitored colleagues and a Radicale company
directory (the colleague picker's list); fixed 1280x800 viewport,
DejaVu fonts (Debian's fonts-dejavu-core), animations and caret off, no clock or timestamp in
the compared views and the line-state dots masked (their state comes from the PBX's timing).
A view fails when more than MAX_SHARE of its pixels differ by more than PIXEL_TOLERANCE levels.
`SOFTPHONE_UPDATE_VISUAL=1 bash tests/run-pytest.sh tests/e2e/test_visual.py` rewrites the
baselines with the same capture code; look at them before committing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dirservers.data import people, vcard
from dirservers.radicale import PASSWORD, USER, Radicale
from e2e.visual_diff import compare_png
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BASELINES = Path(__file__).resolve().parent / "visual"
UPDATE = os.environ.get("SOFTPHONE_UPDATE_VISUAL") == "1"
PIXEL_TOLERANCE = 40  # per channel, out of 255: anti-aliasing stays below, a moved edge does not
# Of the view's pixels: two runs differ by 0 pixels here; the picker's toolbar losing its flex
# layout is 0.11 %, a BLF row reversed 0.6 %. 0.05 % (~500 px) leaves room for hinting changes.
MAX_SHARE = 0.0005
COLLEAGUES = [
    {"extension": "1002", "name": "Bob Meier"},
    {"extension": "1003", "name": "Claire Fontaine"},
    {"extension": "1004", "name": "David Keller"},
]


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Radicale]:
    """A small company directory: 40 people, 8 of them internal (a cheap sync)."""
    server = Radicale(tmp_path / "radicale")
    server.seed({p.key: vcard(p, "4.0") for p in people(40)})
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, directory: Radicale) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        try:
            assert sign_in(
                ui, kamailio.port, "1001", kamailio.users["1001"], display_name="Ann Agent"
            )["ok"]
            assert ui.command("settings.update", blf_users=COLLEAGUES)["ok"]
            # The picker's list comes from a real CardDAV directory.
            reply = ui.command(
                "directory.configure",
                carddav={"url": directory.url, "user": USER},
                carddav_password=PASSWORD,
            )
            assert reply["ok"], reply
            ui.wait_for(
                lambda e: (
                    e.get("type") == "directory_status"
                    and any(s["source"] == "carddav" and s["count"] > 0 for s in e["sources"])
                ),
                timeout=30,
            )
        finally:
            ui.close()
        yield running


def _shot(page: Page) -> bytes:
    return page.screenshot(animations="disabled", caret="hide", mask=[page.locator(".blf-dot")])


def capture(page: Page) -> dict[str, bytes]:
    """The compared views, in an order that leaves no focus ring or hover on a main view."""
    shots: dict[str, bytes] = {}
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    expect(page.locator(".blf-row")).to_have_count(len(COLLEAGUES))
    page.mouse.move(0, 799)
    shots["main-light"] = _shot(page)
    page.emulate_media(color_scheme="dark")
    shots["main-dark"] = _shot(page)
    page.get_by_role("button", name="Call forwarding").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    shots["forwarding-dark"] = _shot(page)
    page.keyboard.press("Escape")
    page.emulate_media(color_scheme="light")
    page.get_by_role("button", name="Edit colleagues").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("blf-directory").get_by_role("checkbox")).to_have_count(8)
    shots["colleagues-dialog-light"] = _shot(page)
    page.keyboard.press("Escape")
    return shots


def test_main_views_look_as_committed(browser: Browser, app: SoftphoneApp, artifacts: Path) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        page.goto(app.url)
        shots = capture(page)
        if UPDATE:
            BASELINES.mkdir(parents=True, exist_ok=True)
            for name, png in shots.items():
                (BASELINES / f"{name}.png").write_bytes(png)
            pytest.fail("baselines rewritten (SOFTPHONE_UPDATE_VISUAL=1): look, then commit")
        blank = context.new_page()  # about:blank: no app CSP to refuse the data: images
        broken = []
        for name, png in shots.items():
            baseline = (BASELINES / f"{name}.png").read_bytes()
            diff = compare_png(blank, baseline, png, PIXEL_TOLERANCE)
            print(f"visual {name}: {diff.differing} pixels differ ({diff.ratio:.4%})")
            if diff.ratio > MAX_SHARE:
                (artifacts / f"visual-{name}-actual.png").write_bytes(png)
                broken.append(f"{name}: {diff.ratio:.2%} of the pixels differ")
        assert not broken, f"views changed (see tests/artifacts/visual-*-actual.png): {broken}"
    finally:
        context.close()
