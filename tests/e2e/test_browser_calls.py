"""A person in Chromium: sign in, dial with the keypad, talk, hang up; be called and answer.

Real parts only: the app (engine process, web server, built frontend), Kamailio, baresip.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.browser import open_sip_form
from support.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def sign_in(page: Page, kamailio: Kamailio, user: str = "1001") -> None:
    browser_sign_in(page, kamailio, user, display_name="Ann Agent")


def test_sign_in_dial_talk_and_hang_up(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip], artifacts: Path
) -> None:
    peer = baresip_factory("1002", answermode="auto")
    page.screenshot(path=str(artifacts / "e2e-account-setup.png"))
    sign_in(page, kamailio)
    for digit in "1002":
        page.get_by_role("button", name=digit, exact=True).click()
    expect(page.get_by_label("Number")).to_have_value("1002")
    page.get_by_role("button", name="Call", exact=True).click()

    calls = page.get_by_role("region", name="Calls")
    expect(calls.get_by_text("Connected")).to_be_visible(timeout=10_000)
    duration = calls.get_by_text(re.compile(r"^\d{2}:\d{2}$"))
    expect(duration).to_have_text(re.compile(r"^00:0[2-9]$"), timeout=6_000)  # it runs
    page.screenshot(path=str(artifacts / "e2e-call-connected.png"))
    peer.wait_for_event("CALL_ESTABLISHED")

    mark = peer.mark()
    calls.get_by_role("button", name="Hang up").click()
    peer.wait_for_event("CALL_CLOSED", start=mark)
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)


def test_incoming_call_is_answered_from_the_call_panel(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip], artifacts: Path
) -> None:
    sign_in(page, kamailio)
    peer = baresip_factory("1003")
    mark = peer.mark()
    peer.dial("1001")
    calls = page.get_by_role("region", name="Calls")
    answer = calls.get_by_role("button", name="Answer")
    expect(answer).to_be_visible(timeout=10_000)
    expect(calls.get_by_text("1003").first).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-incoming.png"))
    answer.click()
    peer.wait_for_event("CALL_ESTABLISHED", start=mark)
    expect(calls.get_by_text("Connected")).to_be_visible()
    peer.hangup()
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)


def test_incoming_call_is_rejected(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip]
) -> None:
    sign_in(page, kamailio)
    peer = baresip_factory("1004")
    mark = peer.mark()
    peer.dial("1001")
    page.get_by_role("region", name="Calls").get_by_role("button", name="Reject").click(
        timeout=10_000
    )
    peer.wait_for_event("CALL_CLOSED", start=mark)


def test_wrong_password_shows_the_error_in_the_form(page: Page, kamailio: Kamailio) -> None:
    open_sip_form(page)
    page.get_by_label("SIP server", exact=True).fill(f"127.0.0.1:{kamailio.port}")
    page.get_by_label("User", exact=True).fill("1001")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Authentication failed", exact=False)).to_be_visible(timeout=15_000)
    expect(page.get_by_label("User", exact=True)).to_have_value("1001")  # nothing typed is lost


def test_page_without_the_token_is_refused(browser: Browser, app: SoftphoneApp) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{app.web.port}/")
    # The server refuses the socket: the page says so and never shows the phone or the form.
    expect(page.get_by_text("This window cannot connect")).to_be_visible(timeout=10_000)
    expect(page.get_by_label("SIP server", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Call", exact=True)).to_have_count(0)
    context.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_foreign_origin_cannot_open_the_socket_even_with_the_token(
    browser: Browser, app: SoftphoneApp, tmp_path: Path
) -> None:
    """A web page elsewhere (another origin) that somehow knew the token still gets nothing."""
    (tmp_path / "evil.html").write_text("<!doctype html><title>evil</title>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/evil.html")
        outcome = page.evaluate(
            """([port, token]) => new Promise((resolve) => {
                const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
                const got = [];
                ws.onmessage = (m) => { got.push(m.data); if (got.length === 1) ws.send(
                    '40' + JSON.stringify({token})); };
                ws.onclose = () => resolve({opened: got.length > 0, got});
                ws.onerror = () => {};
                setTimeout(() => resolve({opened: got.length > 0, got}), 3000);
            })""",
            [app.web.port, app.web.token],
        )
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert outcome["opened"] is False, outcome
