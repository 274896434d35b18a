"""BLF and directed pickup with real Kamailio (dialog-info + presence) and pjsua2 peers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipUdpClient
from support.app_harness import UiClient, sign_in, wait_lines

pytestmark = pytest.mark.integration


def _watch(ui: UiClient, *extensions: str) -> None:
    mark = ui.mark()
    users = [{"extension": e, "name": f"User {e}"} for e in extensions]
    assert ui.command("settings.update", blf_users=users)["ok"]
    for extension in extensions:
        _line(ui, extension, "free", mark)


def _line(ui: UiClient, extension: str, state: str, start: int, timeout: float = 5.0) -> Any:
    event = ui.wait_for(
        lambda e: (
            e.get("type") == "line_state"
            and e["line"]["extension"] == extension
            and e["line"]["state"] == state
        ),
        timeout,
        start,
    )
    return event["line"]


def test_a_colleague_dot_follows_ringing_talking_and_hangup(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    colleague = pj_peer_factory("1002", mode="silent", answer_delay=1.0)
    caller = pj_peer_factory("1003", mode="silent")
    _watch(ui, "1002")
    mark = ui.mark()
    caller.dial("sip:1002@127.0.0.1")
    ringing = _line(ui, "1002", "ringing", mark)
    assert ringing["pickup"] is True
    _line(ui, "1002", "busy", mark)
    mark = ui.mark()
    colleague.hangup()
    _line(ui, "1002", "free", mark)
    states = ui.command("blf.states")["result"]["states"]
    assert states == [{"extension": "1002", "state": "free", "dnd": False, "pickup": False}]


def test_directed_pickup_connects_the_caller_to_us_and_stops_the_colleague_ringing(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    colleague = pj_peer_factory("1002", mode="silent", answer_delay=60.0)
    caller = pj_peer_factory("1003", mode="tone", tone_hz=600)
    _watch(ui, "1002")
    mark = ui.mark()
    caller.dial("sip:1002@127.0.0.1")
    _line(ui, "1002", "ringing", mark)
    mark = ui.mark()
    reply = ui.command("blf.pickup", extension="1002")
    assert reply["ok"], reply
    connected = ui.wait_call_state("connected", start=mark)
    assert connected["id"] == reply["result"]["call_id"] and connected["number"] == "1003"
    colleague.wait_until(lambda st: not st["calls"] and len(st["finished"]) == 1)
    caller.wait_until(lambda st: any(c["state"] == "CONFIRMED" for c in st["calls"]))
    _line(ui, "1002", "free", mark)
    assert ui.command("blf.pickup", extension="1002")["error"] == "invalid_state"


def test_a_colleague_in_dnd_shows_busy(ui: UiClient, kamailio: Kamailio) -> None:
    _watch(ui, "1004")
    mark = ui.mark()
    with SipUdpClient(kamailio.port, "1004", kamailio.users["1004"]) as phone:
        pidf = (
            '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'entity="sip:1004@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
            "</status><note>dnd</note></tuple></presence>"
        )
        reply = phone.request(
            "PUBLISH",
            "sip:1004@127.0.0.1",
            "sip:1004@127.0.0.1",
            ["Event: presence", "Expires: 60", "Content-Type: application/pidf+xml"],
            body=pidf,
        )
        assert reply.status == 200
        line = _line(ui, "1004", "busy", mark)
        assert line["dnd"] is True


def test_200_colleagues_all_get_their_line_state_and_follow_changes(
    ui: UiClient, kamailio: Kamailio
) -> None:
    """Behaviour at scale; the timings (subscribe time, CPU, latency) are in bench/bench_blf.py."""
    extensions = ["1004"] + [str(2000 + i) for i in range(199)]
    mark = ui.mark()
    users = [{"extension": e, "name": f"User {e}"} for e in extensions]
    assert ui.command("settings.update", blf_users=users)["ok"]
    wait_lines(ui, extensions, "free", start=mark, timeout=30.0)

    with SipUdpClient(kamailio.port, "1004", kamailio.users["1004"]) as phone:
        etag = ""
        for i in range(4):
            note, want = ("dnd", "busy") if i % 2 == 0 else ("online", "free")
            headers = ["Event: presence", "Expires: 60", "Content-Type: application/pidf+xml"]
            if etag:
                headers.append(f"SIP-If-Match: {etag}")
            pidf = (
                '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
                'entity="sip:1004@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
                f"</status><note>{note}</note></tuple></presence>"
            )
            mark = ui.mark()
            reply = phone.request(
                "PUBLISH", "sip:1004@127.0.0.1", "sip:1004@127.0.0.1", headers, body=pidf
            )
            etag = reply.header("SIP-ETag") or ""
            _line(ui, "1004", want, mark)


def test_subscriptions_come_back_after_a_pbx_restart_and_re_registration(
    ui: UiClient, kamailio: Kamailio, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    _watch(ui, "1002")
    kamailio.restart()  # forgets every registration and subscription (all in memory)
    colleague = pj_peer_factory("1002", mode="silent", answer_delay=30.0)
    caller = pj_peer_factory("1003", mode="silent")
    mark = ui.mark()
    # What a network change or a failed refresh leads to: the account registers again.
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    _line(ui, "1002", "free", mark, timeout=10.0)
    mark = ui.mark()
    caller.dial("sip:1002@127.0.0.1")
    _line(ui, "1002", "ringing", mark)
    colleague.hangup()
