"""The colleagues dialog fills the BLF list from the company directory (Radicale CardDAV):
"Add from directory", an accent-blind search, checkboxes, saved to settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dirservers.radicale import PASSWORD, USER, Radicale
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, radicale: Radicale) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        try:
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
            reply = ui.command(
                "directory.configure",
                carddav={"url": radicale.url, "user": USER},
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


def test_pick_colleagues_from_the_directory(page: Page, app: SoftphoneApp, artifacts: Path) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Edit colleagues").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Add from directory").click()
    picker = dialog.get_by_test_id("blf-directory")
    # 300 people, every 5th internal: 60 with an extension; 50 are shown before searching.
    expect(picker.get_by_role("checkbox")).to_have_count(50)
    expect(picker).to_contain_text("50 of 60 shown")
    picker.get_by_role("searchbox").fill("helene du")
    expect(picker.get_by_role("checkbox")).to_have_count(1)
    picker.get_by_role("checkbox", name="Monitor Hélène Dupré (2020)").check()
    picker.get_by_role("searchbox").fill("2000")
    picker.get_by_role("checkbox", name="Monitor Hélène Müller (2000)").check()
    expect(dialog.locator(".blf-edit__row")).to_have_count(2)
    page.screenshot(path=str(artifacts / "e2e-blf-from-directory.png"))
    # Unchecking takes one off again; then save.
    picker.get_by_role("checkbox", name="Monitor Hélène Müller (2000)").uncheck()
    expect(dialog.locator(".blf-edit__row")).to_have_count(1)
    dialog.get_by_label("Pickup code prefix").fill("**")  # saved with the list
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.locator(".blf-row", has_text="Hélène Dupré")
    expect(row).to_contain_text("2020")
    users = app.settings.settings.blf_users
    assert [(u.extension, u.name) for u in users] == [("2020", "Hélène Dupré")]
    assert app.settings.settings.feature_codes.pickup_prefix == "**"
