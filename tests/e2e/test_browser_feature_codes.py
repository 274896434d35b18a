"""Forwarding by PBX feature codes from the forwarding dialog in Chromium: the mode, the
templates, the code reaching the PBX (a pjsua2 peer registered as the code stands in
for the PBX's feature-code handler; Kamailio itself has none), and the PBX's answer shown:
accepted (answered, then hung up) or refused (the test Kamailio answers *403... with 403)."""

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
    card = page.locator(".call-card", has_text="*211004")
    expect(card).to_contain_text("Feature code: forwarding on")  # not an ordinary call
    codes = app.settings.settings.feature_codes
    assert codes.forwarding_mode is ForwardingMode.PBX
    assert codes.unconditional_on == "*21{number}"
    # Announcement playing: the top bar does not claim forwarding before the PBX confirms.
    forwarding = page.locator(".topbar__forwarding")
    expect(forwarding).to_have_text("Call forwarding")
    code_handler.hangup()  # the PBX hangs up after its announcement: accepted
    expect(page.get_by_text("Your PBX accepted the forwarding code *211004.")).to_be_visible()
    expect(forwarding).to_have_text("Forwarding to 1004")


def test_a_refused_feature_code_is_reported_and_forwarding_stays_off(
    page: Page, app: SoftphoneApp, artifacts: Path
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Call forwarding").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("The PBX (feature codes)").check()
    dialog.get_by_label("Always: on").fill("*403{number}")  # the test PBX answers 403
    dialog.locator(".forwarding__unconditional").check()
    dialog.locator(".forwarding__unconditional-to").fill("1004")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    notice = page.get_by_role("alert").filter(has_text="Your PBX refused the forwarding code")
    expect(notice).to_have_text(
        "Your PBX refused the forwarding code *4031004 (SIP 403). "
        "Call forwarding is shown as the PBX last confirmed it."
    )
    page.screenshot(path=str(artifacts / "e2e-feature-code-refused.png"))
    expect(page.locator(".topbar__forwarding")).to_have_text("Call forwarding")
    assert app.settings.settings.forwarding.unconditional_target == ""
    # The refusal stays until the user closes it.
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_hidden()
