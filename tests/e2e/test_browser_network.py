"""Browser: the network check from the user menu, advanced network settings, call quality."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from support.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_network_check_explains_each_path_and_lists_ports(
    page: Page, kamailio: Kamailio, artifacts: Path
) -> None:
    sign_in(page, kamailio)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Network check").click()
    dialog = page.get_by_role("dialog", name="Network check")
    expect(dialog.get_by_text("Ports to open")).to_be_visible(timeout=30_000)
    # The test PBX answers over UDP and TCP on its port; nothing serves TLS on 5061 here.
    expect(dialog.get_by_text(f"127.0.0.1 answers on UDP port {kamailio.port} in")).to_be_visible()
    expect(dialog.get_by_text("Audio: UDP on local ports 40000-40099")).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-network-check.png"))


def test_network_settings_refuse_a_bad_range_and_save_a_good_one(
    page: Page, kamailio: Kamailio
) -> None:
    sign_in(page, kamailio)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.get_by_label("Last audio (RTP) port").fill("40002")
    page.get_by_role("button", name="Save and reconnect").click()
    expect(page.get_by_label("Last audio (RTP) port")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Last audio (RTP) port").fill("40199")
    page.get_by_label("Keep-alive interval (seconds)").fill("20")
    page.get_by_role("button", name="Save and reconnect").click()
    expect(page.get_by_text("Saved. The phone has registered again.")).to_be_visible()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)


def test_a_connected_call_shows_its_quality_and_statistics(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip]
) -> None:
    sign_in(page, kamailio)
    peer = baresip_factory("1002", answermode="auto")
    for digit in "1002":
        page.get_by_role("button", name=digit, exact=True).click()
    page.get_by_role("button", name="Call", exact=True).click()
    calls = page.get_by_role("region", name="Calls")
    quality = calls.get_by_role("button", name="Call statistics")
    expect(quality).to_be_visible(timeout=15_000)
    quality.click()
    stats = calls.get_by_label("Call statistics", exact=True).last
    expect(stats.get_by_text("Codec")).to_be_visible()
    expect(stats.get_by_text("Packets received / sent")).to_be_visible()
    buffer = stats.locator(".call-stats__row", has_text="Jitter buffer").locator("dd")
    expect(buffer).to_have_text(re.compile(r"^\d+ ms$"))
    peer.hangup()
