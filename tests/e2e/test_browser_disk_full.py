"""Disk full while a real call is written to the history: the window says so, nothing is lost.

The full disk is SQLite's real SQLITE_FULL: the app's own history connection is capped with
`PRAGMA max_page_count` and the space left is filled (as in tests/unit/test_history_store.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from softphone.app import SoftphoneApp
from support.app_harness import UiClient
from support.raw_caller import RawCaller

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BANNER = "The disk is full: the call history could not be saved"


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


@pytest.fixture
def page(page: Page) -> Page:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


def _missed_call(app: SoftphoneApp, ui: UiClient, name: str) -> None:
    caller = RawCaller(app.engine.sip_port)
    try:
        mark = ui.mark()
        assert caller.invite(name.encode()) < 300
        ui.wait_call_state("ringing_in", start=mark)
        caller.cancel()
        ui.wait_call_state("ended", start=mark)
    finally:
        caller.close()


def _fill_the_disk(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA max_page_count = 1")  # clamps to the pages in use
    for size in (2000, 200, 20, 1):
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for n in range(10_000):
                db.execute(
                    "INSERT INTO history (call_id, direction, number, display_name, remote_uri,"
                    " started_at, internal, seen) VALUES (?, 'incoming', '', ?, '', 0, 0, 1)",
                    (f"fill{size}-{n}", "x" * size),
                )


def test_a_full_disk_is_shown_and_no_stored_call_is_lost(
    page: Page, app: SoftphoneApp, artifacts: Path
) -> None:
    ui = UiClient(app)
    try:
        page.get_by_role("tab", name="History").click()
        names = page.locator(".history-row__name")
        _missed_call(app, ui, "Before Full")
        expect(names).to_have_text(["Before Full"], timeout=10_000)

        db = app.history._db  # the app's own connection: max_page_count is per connection
        _fill_the_disk(db)
        mark = ui.mark()
        _missed_call(app, ui, "While Full")
        failed = ui.wait_for(lambda e: e.get("type") == "history_write_failed", 5.0, mark)
        assert failed["error"] == "storage_full"
        expect(page.get_by_text(BANNER)).to_be_visible(timeout=5_000)
        page.screenshot(path=str(artifacts / "e2e-history-disk-full.png"))
        stored = app.history.list().entries
        assert [e.display_name for e in stored if not e.call_id.startswith("fill")] == [
            "Before Full"
        ]

        db.execute("DELETE FROM history WHERE call_id LIKE 'fill%'")
        db.execute("PRAGMA max_page_count = 1073741823")
        _missed_call(app, ui, "After Space")  # the pending entry is written with it
        page.reload()
        expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
        page.get_by_role("tab", name="History").click()
        expect(page.locator(".history-row__name")).to_have_text(
            ["After Space", "While Full", "Before Full"], timeout=10_000
        )
    finally:
        ui.close()
