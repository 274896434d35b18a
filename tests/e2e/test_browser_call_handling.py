"""A person in Chromium handles two calls: hold, double-click to resume, mute, DTMF pad.

Real parts only: the app (engine process, web server, built frontend), Kamailio, pjsua2 peers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


@pytest.fixture
def page(page: Page) -> Page:
    """The shared page (e2e/conftest.py), once the signed-in app shows it is registered."""
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


def _dial(page: Page, number: str) -> None:
    page.get_by_label("Number").fill(number)
    page.get_by_role("button", name="Call", exact=True).click()


def test_hold_resume_by_double_click_mute_and_the_card_keypad(
    page: Page, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    first_peer = pj_peer_factory("1002", mode="silent")
    pj_peer_factory("1003", mode="silent")
    _dial(page, "1002")
    first = page.locator(".call-card", has_text="1002")
    expect(first.get_by_role("button", name="Hold")).to_be_enabled(timeout=10_000)
    first.get_by_role("button", name="Hold").click()
    expect(first.get_by_role("button", name="Resume")).to_be_visible()
    expect(first.get_by_text("On hold")).to_be_visible()
    expect(first.get_by_role("button", name="DTMF keypad")).to_be_disabled()

    _dial(page, "1003")  # the first stays held; the second talks
    second = page.locator(".call-card", has_text="1003")
    expect(second.get_by_role("button", name="Hold")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Conference")).to_be_visible()
    first.locator(".call-card__name").dblclick()  # resumes it; the second goes on hold
    expect(first.get_by_role("button", name="Hold")).to_be_visible(timeout=10_000)
    expect(second.get_by_role("button", name="Resume")).to_be_visible()

    first.get_by_role("button", name="Mute").click()
    expect(first.get_by_role("button", name="Unmute")).to_be_visible()
    expect(first.get_by_text("Muted")).to_be_visible()
    first.get_by_role("button", name="DTMF keypad").click()
    pad = first.get_by_role("group", name="DTMF keypad")
    for digit in "42#":
        pad.get_by_role("button", name=digit, exact=True).click()
    page.screenshot(path=str(artifacts / "e2e-call-handling.png"))
    first_peer.wait_until(lambda st: any(c["dtmf"] == "42#" for c in st["calls"]))
