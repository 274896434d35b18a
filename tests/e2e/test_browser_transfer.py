"""Transfer mode in Chromium: Transfer turns keypad, colleagues and directory into blue targets.

Real parts only: the app (engine process, web server, built frontend), Kamailio, pjsua2 peers.
The transferee (1002) must end up in a confirmed call with the target (1003) after a REFER.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BLUE = "rgb(47, 111, 237)"  # --blue-500: the colour of every transfer target


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        try:
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
            reply = ui.command(
                "contacts.create",
                given="Carol",
                family="Target",
                numbers=[{"label": "office", "number": "1003"}],
            )
            assert reply["ok"], reply
            reply = ui.command(
                "settings.update", blf_users=[{"extension": "1003", "name": "Carol Target"}]
            )
            assert reply["ok"], reply
        finally:
            ui.close()
        yield running


@pytest.fixture
def page(page: Page) -> Page:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


def _dial_connected(page: Page, number: str) -> Locator:
    page.get_by_label("Number", exact=True).fill(number)
    page.get_by_role("button", name="Call", exact=True).click()
    card = page.locator(".call-card", has_text=number)
    expect(card.get_by_role("button", name="Hold")).to_be_enabled(timeout=10_000)
    return card


def _transferred(card: Locator, transferee: PjPeer, target: PjPeer) -> None:
    """Our call ends as transferred; the target answers the call REFER made the transferee place."""
    expect(card.get_by_text("Transferred")).to_be_visible(timeout=10_000)
    target.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )
    transferee.wait_until(
        lambda st: any(not c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )


def test_transfer_to_a_directory_entry(
    page: Page, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    transferee = pj_peer_factory("1002", mode="silent")
    target = pj_peer_factory("1003", mode="silent")
    card = _dial_connected(page, "1002")
    card.get_by_role("button", name="Transfer").click()
    banner = page.get_by_test_id("transfer-banner")
    expect(banner).to_contain_text("Transfer 1002 to…")
    # Colleagues and keypad turn blue too, not just the directory.
    colleague = page.get_by_role("button", name="Transfer to Carol Target")
    expect(colleague).to_have_css("background-color", BLUE)
    expect(page.get_by_role("button", name="Transfer to number")).to_be_visible()

    page.get_by_role("tab", name="Directory").click()
    page.get_by_test_id("directory-search").fill("carol")
    entry = page.get_by_role("button", name="Transfer to Carol Target on 1003")
    expect(entry).to_have_css("background-color", BLUE)
    page.screenshot(path=str(artifacts / "e2e-transfer-mode.png"))
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(artifacts / "e2e-transfer-mode-dark.png"))
    page.emulate_media(color_scheme="light")
    entry.click()
    _transferred(card, transferee, target)
    expect(banner).to_be_hidden()
    # The mode is over: the same entry calls again.
    expect(page.get_by_role("button", name="Call Carol Target on 1003")).to_be_visible()


def test_transfer_to_a_number_typed_on_the_keypad_sends_no_dtmf(
    page: Page, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    transferee = pj_peer_factory("1002", mode="silent")
    target = pj_peer_factory("1003", mode="silent")
    card = _dial_connected(page, "1002")
    card.get_by_role("button", name="Transfer").click()
    expect(page.get_by_test_id("transfer-banner")).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 400})  # focus off the buttons
    page.keyboard.type("1003")  # the window-wide shortcut types into the keypad
    expect(page.get_by_label("Number", exact=True)).to_have_value("1003")
    page.screenshot(path=str(artifacts / "e2e-transfer-keypad.png"))
    page.get_by_role("button", name="Transfer to number").click()
    _transferred(card, transferee, target)
    # The caller heard none of the digits typed for the transfer target.
    status = transferee.status()
    assert all(leg["dtmf"] == "" for leg in status["calls"] + status["finished"]), status


def test_cancel_and_escape_leave_the_call_as_it_was(
    page: Page, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    peer = pj_peer_factory("1002", mode="silent")
    pj_peer_factory("1003", mode="silent")
    card = _dial_connected(page, "1002")
    banner = page.get_by_test_id("transfer-banner")

    card.get_by_role("button", name="Transfer").click()
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Cancel transfer").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_role("button", name="Call Carol Target")).to_be_visible()

    card.get_by_role("button", name="Transfer").click()
    expect(banner).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("Escape")  # leaves transfer mode; does not hang up
    expect(banner).to_be_hidden()
    expect(card.get_by_text("Connected")).to_be_visible()
    expect(card.get_by_role("button", name="Hold")).to_be_enabled()
    # Still the same call, and keys are DTMF to it again.
    page.keyboard.type("7")
    peer.wait_until(
        lambda st: any(c["dtmf"] == "7" and c["state"] == "CONFIRMED" for c in st["calls"])
    )


def test_transfer_on_one_call_then_on_the_other_connects_them(
    page: Page, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    """The manual's gesture: Transfer on the first call, then Transfer on the second call."""
    transferee = pj_peer_factory("1002", mode="silent")
    target = pj_peer_factory("1003", mode="silent")
    first = _dial_connected(page, "1002")
    second = _dial_connected(page, "1003")
    first.get_by_test_id("call-transfer").click()
    banner = page.get_by_test_id("transfer-banner")
    expect(banner).to_contain_text("Transfer 1002 to…")
    # Two ways to finish: the banner's button, and the other call's own Transfer, blue.
    expect(banner.get_by_role("button", name="Attended transfer to Carol Target")).to_be_visible()
    other = second.get_by_test_id("call-transfer")
    expect(other).to_have_accessible_name("Attended transfer to Carol Target")
    expect(other).to_have_css("background-color", BLUE)
    page.screenshot(path=str(artifacts / "e2e-transfer-gesture.png"))
    other.click()
    _transferred(first, transferee, target)
    expect(second.get_by_text("Transferred")).to_be_visible()
    transferee.wait_until(
        lambda st: any(not c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )
    expect(banner).to_be_hidden()
