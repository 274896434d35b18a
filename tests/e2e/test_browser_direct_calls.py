"""The account's advanced settings in Chromium: "Accept calls that do not come through the PBX"
is off by default, and ticking it lets an INVITE from another address (127.0.0.2) ring."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from pbx.sip_udp import parse
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


def _invite_from_elsewhere(app_port: int) -> int:
    """An INVITE from 127.0.0.2 (not the PBX, which is 127.0.0.1); the first status back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
        target = f"sip:1001@127.0.0.1:{app_port}"
        sdp = (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
            "m=audio 5998 RTP/AVP 0\r\n"
        )
        lines = [
            f"INVITE {target} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.2:{port};rport;branch=z9hG4bK{secrets.token_hex(6)}",
            "Max-Forwards: 70",
            f"From: <sip:1099@127.0.0.2:{port}>;tag={secrets.token_hex(4)}",
            f"To: <{target}>",
            f"Call-ID: {secrets.token_hex(8)}",
            "CSeq: 1 INVITE",
            f"Contact: <sip:1099@127.0.0.2:{port}>",
            "Content-Type: application/sdp",
            f"Content-Length: {len(sdp)}",
            "",
            sdp,
        ]
        sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", app_port))
        sock.settimeout(5)
        return parse(sock.recvfrom(65535)[0]).status


def test_direct_calls_are_refused_until_accepted_in_advanced_settings(
    page: Page, app: SoftphoneApp, kamailio: Kamailio, artifacts: Path
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    assert _invite_from_elsewhere(app.engine.sip_port) == 403
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Account").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Advanced settings").click()
    direct = dialog.get_by_label("Accept calls that do not come through the PBX")
    expect(direct).not_to_be_checked()
    direct.check()
    dialog.get_by_label("Password").fill(kamailio.users["1001"])
    page.screenshot(path=str(artifacts / "e2e-account-direct-calls.png"))
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden(timeout=15_000)
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    account = app.settings.settings.account
    assert account is not None and account.accept_direct_calls
    assert _invite_from_elsewhere(app.engine.sip_port) < 200  # 100 Trying / 180: it rings
    expect(page.locator(".call-card", has_text="1099")).to_be_visible(timeout=10_000)
