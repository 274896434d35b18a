"""The account's advanced settings in Chromium: choosing SIP INFO for DTMF, then typed digits
arrive at the peer as SIP INFO. Real parts: the app, Kamailio, a pjsua2 peer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


def test_sip_info_chosen_in_advanced_settings_carries_typed_digits(
    page: Page,
    app: SoftphoneApp,
    kamailio: Kamailio,
    pj_peer_factory: Callable[..., PjPeer],
    artifacts: Path,
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Account").click()
    dialog = page.get_by_role("dialog")
    method = dialog.get_by_label("DTMF method")
    expect(method).to_be_hidden()  # the advanced section starts closed
    dialog.get_by_text("Advanced settings").click()
    expect(method).to_have_value("rfc4733")
    method.select_option("sip_info")
    dialog.get_by_label("Password").fill(kamailio.users["1001"])
    page.screenshot(path=str(artifacts / "e2e-account-advanced.png"))
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden(timeout=15_000)
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    account = app.settings.settings.account
    assert account is not None and account.dtmf_method.value == "sip_info"

    peer = pj_peer_factory("1002", mode="silent")
    page.get_by_label("Number", exact=True).fill("1002")
    page.get_by_role("button", name="Call", exact=True).click()
    card = page.locator(".call-card", has_text="1002")
    expect(card.get_by_role("button", name="Hold")).to_be_enabled(timeout=10_000)
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.type("42#")  # the computer keyboard, not the pad
    status = peer.wait_until(lambda st: any(c["dtmf"] == "42#" for c in st["calls"]))
    leg = next(c for c in status["calls"] if c["dtmf"] == "42#")
    assert leg["dtmf_methods"] == ["sip_info"] * 3
