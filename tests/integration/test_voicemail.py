"""Voicemail indicator against Kamailio's presence_mwi: subscribed summary, unsolicited NOTIFY."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from pbx.kamailio import Kamailio
from pbx.sip_udp import SipUdpClient
from softphone.app import SoftphoneApp
from support.app_harness import Event, UiClient

pytestmark = pytest.mark.integration

SUMMARY = (
    "Messages-Waiting: yes\r\nMessage-Account: sip:*97@{domain}\r\nVoice-Message: {new}/8 (0/0)\r\n"
)


def _voicemail(new: int) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == "voicemail" and e["voicemail"]["new"] == new


def _voicemail_server(kamailio: Kamailio) -> SipUdpClient:
    # The PBX's voicemail: trusted by the PBX's own rules (not one of its phones' domain).
    return SipUdpClient(kamailio.port, user="voicemail", domain="vm.invalid")


def test_a_published_summary_shows_the_count_and_the_button_calls_the_mailbox(
    app: SoftphoneApp, ui: UiClient, kamailio: Kamailio
) -> None:
    mark = ui.mark()
    body = SUMMARY.format(domain=kamailio.domain, new=2)
    with _voicemail_server(kamailio) as vm:
        reply = vm.request(
            "PUBLISH",
            kamailio.aor("1001"),
            kamailio.aor("1001"),
            [
                "Event: message-summary",
                "Expires: 300",
                "Content-Type: application/simple-message-summary",
            ],
            body=body,
        )
        assert reply.status == 200, reply.first_line
    event = ui.wait_for(_voicemail(2), timeout=10, start=mark)
    assert event["voicemail"] == {"waiting": True, "new": 2, "old": 8, "account": "*97"}
    fresh = UiClient(app)  # a window opened now learns it from the snapshot
    try:
        snap = fresh.wait_for(lambda e: e.get("type") == "snapshot", timeout=5)
        assert snap["voicemail"]["new"] == 2
    finally:
        fresh.close()

    mark = ui.mark()
    reply = ui.command("voicemail.call")
    assert reply["ok"], reply
    call = ui.wait_for(
        lambda e: e.get("type") == "call_changed" and e["call"]["id"] == reply["result"]["call_id"],
        start=mark,
    )
    assert call["call"]["number"] == "*97"


def test_an_unsolicited_notify_through_the_pbx_updates_the_indicator(
    ui: UiClient, kamailio: Kamailio
) -> None:
    mark = ui.mark()
    with _voicemail_server(kamailio) as vm:
        reply = vm.request(
            "NOTIFY",
            kamailio.aor("1001"),
            kamailio.aor("1001"),
            [
                "Event: message-summary",
                "Subscription-State: active",
                "Content-Type: application/simple-message-summary",
            ],
            body=SUMMARY.format(domain=kamailio.domain, new=5),
            call_id=secrets.token_hex(8),
        )
        assert reply.status == 200, reply.first_line  # answered by the app, relayed back
    ui.wait_for(_voicemail(5), timeout=10, start=mark)


def test_without_a_known_number_the_button_says_so(ui: UiClient) -> None:
    reply = ui.command("voicemail.call")
    assert reply == {"ok": False, "error": "no_voicemail_number", "field": None}
