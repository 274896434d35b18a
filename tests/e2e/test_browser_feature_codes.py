"""Forwarding by PBX feature codes from the forwarding dialog in Chromium: the mode, the
templates, and the code reaching the PBX (a pjsua2 peer registered as the code stands in
for the PBX's feature-code handler; Kamailio itself has none)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio, default_users
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.feature_codes import ForwardingMode

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    pbx = Kamailio(work_dir=tmp_path / "kamailio", users=default_users() | {"*211004": "pwc"})
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


def test_forwarding_set_on_the_pbx_by_a_feature_code(
    page: Page, app: SoftphoneApp, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    code_handler = pj_peer_factory("*211004", mode="silent")
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Call forwarding").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("it works only while the softphone is running")
    dialog.get_by_label("The PBX (feature codes)").check()
    expect(dialog).to_contain_text("also when the softphone is closed")
    dialog.get_by_label("Always: on").fill("*21{number}")
    dialog.locator(".forwarding__unconditional").check()
    dialog.locator(".forwarding__unconditional-to").fill("1004")
    page.screenshot(path=str(artifacts / "e2e-forwarding-feature-codes.png"))
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    # The code call reaches the PBX's handler; the app shows it like any call.
    code_handler.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )
    expect(page.locator(".call-card", has_text="*211004")).to_be_visible()
    codes = app.settings.settings.feature_codes
    assert codes.forwarding_mode is ForwardingMode.PBX
    assert codes.unconditional_on == "*21{number}"
