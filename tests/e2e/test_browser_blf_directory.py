"""The colleagues dialog fills the BLF list from the company directory (Radicale CardDAV):
every internal user listed with a checkbox, an accent-blind search, "Select all"/"Clear", saved
to settings; the panel's row as in the manual (green phone left, state dot right)."""

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


def test_select_all_clear_and_the_manual_row(page: Page, app: SoftphoneApp) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    # The empty panel offers a real button, not only the pencil.
    page.get_by_role("button", name="Choose colleagues").click()
    dialog = page.get_by_role("dialog")
    picker = dialog.get_by_test_id("blf-directory")
    expect(picker).to_contain_text("0 of 200 selected")
    # "Select all" takes every match of the search, also those beyond the 50 rows shown.
    picker.get_by_role("searchbox").fill("helene")
    matches = picker.get_by_role("checkbox").count()
    assert matches >= 2
    picker.get_by_role("button", name="Select all").click()
    expect(picker).to_contain_text(f"{matches} of 200 selected")
    picker.get_by_role("searchbox").fill("")
    picker.get_by_role("button", name="Select all").click()
    expect(picker).to_contain_text("60 of 200 selected")
    expect(picker.get_by_role("button", name="Select all")).to_be_disabled()
    # "Clear" unticks the search's matches only: a colleague typed by hand stays.
    dialog.get_by_label("Extension", exact=True).fill("1002")
    dialog.get_by_label("Name", exact=True).fill("Bob")
    dialog.get_by_role("button", name="Add", exact=True).click()
    picker.get_by_role("button", name="Clear").click()
    expect(picker).to_contain_text("1 of 200 selected")
    expect(dialog.locator(".blf-edit__row")).to_have_count(1)
    picker.get_by_role("searchbox").fill("2020")
    picker.get_by_role("checkbox", name="Monitor Hélène Dupré (2020)").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    assert [u.extension for u in app.settings.settings.blf_users] == ["1002", "2020"]
    # The manual's row: the green phone on the left of the name, the state dot on its right.
    row = page.locator(".blf-row", has_text="Hélène Dupré")
    call = row.get_by_role("button", name="Call Hélène Dupré").bounding_box()
    name = row.locator(".blf-row__name").bounding_box()
    dot = row.locator(".blf-dot").bounding_box()
    assert call and name and dot
    assert call["x"] + call["width"] <= name["x"], (call, name)
    assert name["x"] + name["width"] <= dot["x"], (name, dot)
    colour = row.get_by_role("button", name="Call Hélène Dupré").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert colour == "rgb(22, 163, 74)", colour  # --green-500
