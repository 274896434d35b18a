"""In Chromium: a call our peer transferred us into is its own card, "Transferred by 1006 to
1002"; a SIP address on another server is refused with a translated reason until the
account's "Allow direct calls to other SIP domains" is on."""

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


def test_the_call_we_are_transferred_into_is_its_own_card_saying_who_transferred_us(
    page: Page,
    kamailio: Kamailio,
    pj_peer_factory: Callable[..., PjPeer],
    artifacts: Path,
) -> None:
    transferor = pj_peer_factory("1006", mode="silent")
    target = pj_peer_factory("1002", mode="silent")
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_label("Number", exact=True).fill("1006")
    page.get_by_role("button", name="Call", exact=True).click()
    old = page.locator(".call-card", has_text="1006").first
    expect(old.get_by_role("button", name="Hold")).to_be_enabled(timeout=10_000)

    assert transferor.xfer(f"sip:1002@127.0.0.1:{kamailio.port}") == 1
    note = page.get_by_test_id("call-transferred-by")
    expect(note).to_have_text("Transferred by \u20681006\u2069 to \u20681002\u2069", timeout=10_000)
    card = page.locator(".call-card", has=note)
    expect(card.get_by_role("button", name="Hold")).to_be_enabled(timeout=10_000)
    page.screenshot(path=str(artifacts / "e2e-transferred-by.png"))
    target.hangup()
    expect(note).to_have_count(0, timeout=15_000)


def test_a_sip_address_on_another_server_needs_the_direct_calls_setting(
    page: Page, app: SoftphoneApp, kamailio: Kamailio
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_label("Number", exact=True).fill("sip:1002@127.0.0.1:9")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.get_by_text("on another SIP server than your PBX")).to_be_visible(timeout=10_000)

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Account").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Advanced settings").click()
    allow = dialog.get_by_label("Allow direct calls to other SIP domains")
    expect(allow).not_to_be_checked()
    allow.check()
    dialog.get_by_label("Password").fill(kamailio.users["1001"])
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden(timeout=15_000)
    account = app.settings.settings.account
    assert account is not None and account.allow_direct_calls is True
    assert account.learned_realm == "127.0.0.1"  # kept across the new sign-in
