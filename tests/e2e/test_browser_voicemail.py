"""A person in Chromium sees new voice messages in the top bar and calls the mailbox with a click.

Real parts: the app, Kamailio's presence_mwi (the test PUBLISHes the summary as a voicemail
server would) and Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from pbx.sip_udp import SipUdpClient
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> Iterator[SoftphoneApp]:
    yield signed_in_app


def test_new_voice_messages_show_a_count_and_one_click_calls_the_mailbox(
    page: Page, kamailio: Kamailio, artifacts: Path
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    button = page.locator(".topbar__voicemail")
    expect(button).to_have_attribute("title", "No new voice messages. Call voicemail")
    with SipUdpClient(kamailio.port, user="voicemail", domain="vm.invalid") as vm:
        reply = vm.request(
            "PUBLISH",
            kamailio.aor("1001"),
            kamailio.aor("1001"),
            [
                "Event: message-summary",
                "Expires: 300",
                "Content-Type: application/simple-message-summary",
            ],
            body=(
                "Messages-Waiting: yes\r\n"
                f"Message-Account: sip:*97@{kamailio.domain}\r\n"
                "Voice-Message: 3/0 (0/0)\r\n"
            ),
        )
        assert reply.status == 200, reply.first_line
    expect(button.locator(".topbar__voicemail-count")).to_have_text("3", timeout=10_000)
    expect(button).to_have_attribute("title", "3 new voice messages. Call voicemail")
    page.locator(".topbar").screenshot(path=str(artifacts / "voicemail-topbar.png"))
    button.click()
    expect(page.locator(".call-card").filter(has_text="*97").first).to_be_visible(timeout=10_000)
