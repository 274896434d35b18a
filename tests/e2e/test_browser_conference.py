"""Conference at the engine's limit in Chromium: four calls turn purple when joined, and the
keypad refuses a fifth call with the limit message. Real app, Kamailio, pjsua2 peers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PEERS = ("1002", "1003", "1004", "1005")


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


def test_four_calls_join_a_purple_conference_and_a_fifth_is_refused(
    page: Page, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    for ext in PEERS:
        pj_peer_factory(ext, mode="silent")
    number = page.get_by_label("Number", exact=True)
    call = page.get_by_role("button", name="Call", exact=True)
    for ext in PEERS:
        number.fill(ext)
        call.click()
        card = page.locator(".call-card", has_text=ext)
        expect(card.get_by_role("button", name="Hold")).to_be_enabled(timeout=15_000)

    # Every slot in use: the keypad says so and its Call button is off.
    number.fill("1006")
    hint = page.get_by_test_id("keypad-hint")
    expect(hint).to_have_text("4 calls at once is the limit: hang up one to make another call")
    expect(call).to_be_disabled()

    page.get_by_role("button", name="Conference").click()
    cards = page.locator(".call-card")
    expect(cards).to_have_count(4)
    for ext in PEERS:
        card = page.locator(".call-card", has_text=ext)
        expect(card.get_by_text("In conference")).to_be_visible(timeout=15_000)
        expect(card).to_have_class(r"call-card call-card--connected call-card--conference")
    # The conference colour (purple) is what the card's state bar shows.
    colour = cards.first.evaluate("e => getComputedStyle(e).getPropertyValue('--state').trim()")
    purple = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--state-conference').trim()"
    )
    assert colour and colour == purple
    page.screenshot(path=str(artifacts / "e2e-conference-limit.png"))

    # One participant hung up: the slot is free and the keypad calls again.
    page.locator(".call-card", has_text="1005").get_by_role("button", name="Hang up").click()
    expect(call).to_be_enabled(timeout=10_000)
    expect(hint).not_to_contain_text("limit")
