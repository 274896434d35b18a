"""Behaviour tests of the PBX harness itself: Kamailio, baresip and pjsua2 peers, no softphone."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pbx import tones
from pbx.baresip import Baresip
from pbx.baresip_ctrl import CtrlError
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipMessage, SipUdpClient, options_ping

pytestmark = pytest.mark.integration

TONE_A, TONE_B = 700, 1100


def _wait_file(path_fn: Callable[[], list[Path]], timeout: float = 3.0) -> Path:
    """The newest recording once it exists and has stopped growing."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        files = path_fn()
        if files:
            size = files[-1].stat().st_size
            if size == last and size > 44:
                return files[-1]
            last = size
        time.sleep(0.1)
    raise AssertionError(f"no finished recording: {path_fn()}")


def _notify_containing(text: str) -> Callable[[SipMessage], bool]:
    return lambda m: m.method == "NOTIFY" and text in m.body


def _call(caller: Baresip, callee: Baresip, seconds: float) -> None:
    """caller dials callee, callee accepts, audio flows for `seconds`, caller hangs up."""
    mark_a, mark_b = caller.mark(), callee.mark()
    caller.dial(callee.user)
    callee.wait_for_event("CALL_INCOMING", start=mark_b)
    callee.accept()
    caller.wait_for_event("CALL_ESTABLISHED", start=mark_a)
    callee.wait_for_event("CALL_ESTABLISHED", start=mark_b)
    time.sleep(seconds)
    caller.hangup()
    caller.wait_for_event("CALL_CLOSED", start=mark_a)
    callee.wait_for_event("CALL_CLOSED", start=mark_b)


def test_two_baresips_hear_each_others_tone(baresip_factory: Callable[..., Baresip]) -> None:
    a = baresip_factory("1001", tone_hz=TONE_A)
    b = baresip_factory("1002", tone_hz=TONE_B)
    _call(a, b, seconds=1.5)

    heard_by_a = _wait_file(a.received_wavs)
    heard_by_b = _wait_file(b.received_wavs)
    assert tones.duration(heard_by_a) > 1.0
    assert tones.dominant_frequency(heard_by_a) == pytest.approx(TONE_B, abs=15)
    assert tones.dominant_frequency(heard_by_b) == pytest.approx(TONE_A, abs=15)
    assert tones.tone_power_ratio(heard_by_a, TONE_B) > 0.9
    assert tones.tone_power_ratio(heard_by_b, TONE_A) > 0.9
    # Each side hears only the other: its own tone is absent from what it received.
    assert tones.tone_power_ratio(heard_by_a, TONE_A) < 0.01
    assert not tones.is_silent(heard_by_b)


def test_unknown_extension_404_and_offline_480(baresip_factory: Callable[..., Baresip]) -> None:
    a = baresip_factory("1001")
    mark = a.mark()
    a.dial("1999")
    closed = a.wait_for_event("CALL_CLOSED", start=mark)
    assert closed["param"].startswith("404")

    mark = a.mark()
    a.dial("1005")  # a subscriber, but nobody registered
    closed = a.wait_for_event("CALL_CLOSED", start=mark)
    assert closed["param"].startswith("480")


def test_wrong_password_fails_registration(
    kamailio: Kamailio, baresip_factory: Callable[..., Baresip]
) -> None:
    bad = baresip_factory("1003", "not-the-password", wait_registered=False)
    with pytest.raises(CtrlError, match=r"40[13]"):
        bad.wait_registered(timeout=5)
    # Same check without baresip: a raw REGISTER with wrong credentials is rejected.
    with SipUdpClient(kamailio.port, "1004", "wrong") as probe:
        reply = probe.request("REGISTER", "sip:127.0.0.1", "sip:1004@127.0.0.1", ["Expires: 60"])
        assert reply.status in (401, 403)
    with SipUdpClient(kamailio.port, "1004", kamailio.users["1004"]) as probe:
        reply = probe.request("REGISTER", "sip:127.0.0.1", "sip:1004@127.0.0.1", ["Expires: 0"])
        assert reply.status == 200


def test_echo_peer_returns_callers_tone_and_gets_dtmf(
    baresip_factory: Callable[..., Baresip], pj_peer_factory: Callable[..., PjPeer]
) -> None:
    echo = pj_peer_factory("1009", mode="echo")
    a = baresip_factory("1001", tone_hz=TONE_A)
    mark = a.mark()
    a.dial("1009")
    a.wait_for_event("CALL_ESTABLISHED", start=mark)
    time.sleep(1.0)
    a.send_dtmf("12#")
    time.sleep(0.5)
    a.hangup()
    a.wait_for_event("CALL_CLOSED", start=mark)
    status = echo.wait_until(lambda st: len(st["finished"]) == 1)

    heard_by_a = _wait_file(a.received_wavs)
    assert tones.tone_power_ratio(heard_by_a, TONE_A) > 0.9
    assert status["finished"][0]["dtmf"] == "12#"
    recorded = _wait_file(echo.recordings)
    assert tones.dominant_frequency(recorded) == pytest.approx(TONE_A, abs=15)


def test_pj_peer_tone_mode_dials_out(
    baresip_factory: Callable[..., Baresip], pj_peer_factory: Callable[..., PjPeer]
) -> None:
    b = baresip_factory("1002", tone_hz=TONE_B, answermode="auto")
    peer = pj_peer_factory("1010", mode="tone", tone_hz=600)
    mark = b.mark()
    peer.dial("1002")
    b.wait_for_event("CALL_ESTABLISHED", start=mark)
    time.sleep(1.0)
    assert peer.hangup() == 1
    b.wait_for_event("CALL_CLOSED", start=mark)
    peer.wait_until(lambda st: len(st["finished"]) == 1)
    assert tones.dominant_frequency(_wait_file(b.received_wavs)) == pytest.approx(600, abs=15)
    assert tones.tone_power_ratio(_wait_file(peer.recordings), TONE_B) > 0.9


def test_tcp_peers_and_reregister_after_restart(
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    pj_peer_factory: Callable[..., PjPeer],
) -> None:
    echo = pj_peer_factory("1008", mode="echo", transport="tcp")
    a = baresip_factory("1001", tone_hz=TONE_A, transport="tcp")
    mark = a.mark()
    a.dial("1008")
    a.wait_for_event("CALL_ESTABLISHED", start=mark)
    time.sleep(1.0)
    assert echo.hangup() == 1  # BYE must find A's TCP connection through Kamailio
    a.wait_for_event("CALL_CLOSED", start=mark)
    assert tones.tone_power_ratio(_wait_file(a.received_wavs), TONE_A) > 0.9

    # Registrations live in memory, so a restart forgets them. A raw UDP client shows it
    # deterministically (pjsua re-registers by itself when its TCP connection drops).
    with SipUdpClient(kamailio.port, "1007", kamailio.users["1007"]) as phone:
        reg = phone.request("REGISTER", "sip:127.0.0.1", "sip:1007@127.0.0.1", ["Expires: 60"])
        assert reg.status == 200
        kamailio.restart()
        with SipUdpClient(kamailio.port, "1003", kamailio.users["1003"]) as probe:
            reply = probe.request("OPTIONS", "sip:1007@127.0.0.1", "sip:1007@127.0.0.1")
            assert reply.status == 480
            a.reregister()
            reply = probe.request("OPTIONS", "sip:1001@127.0.0.1", "sip:1001@127.0.0.1")
            assert reply.status == 200  # routed to A over its new TCP connection


def test_dialog_and_presence_subscriptions(
    kamailio: Kamailio, baresip_factory: Callable[..., Baresip]
) -> None:
    a = baresip_factory("1001")
    b = baresip_factory("1002")
    with SipUdpClient(kamailio.port, "1003", kamailio.users["1003"]) as watcher:
        sub = watcher.request(
            "SUBSCRIBE",
            "sip:1002@127.0.0.1",
            "sip:1002@127.0.0.1",
            ["Event: dialog", "Accept: application/dialog-info+xml", "Expires: 60"],
        )
        assert sub.status == 200
        watcher.wait_request(lambda m: m.method == "NOTIFY")  # initial, empty state
        _call(a, b, seconds=0.2)
        for state in ("early", "confirmed", "terminated"):
            note = watcher.wait_request(_notify_containing(f"<state>{state}</state>"))
            assert note.header("Content-Type") == "application/dialog-info+xml"
            assert 'entity="sip:1002@127.0.0.1"' in note.body

    with (
        SipUdpClient(kamailio.port, "1004", kamailio.users["1004"]) as presentity,
        SipUdpClient(kamailio.port, "1005", kamailio.users["1005"]) as watcher,
    ):
        pidf = (
            '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'entity="sip:1004@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
            "</status><note>harness-busy</note></tuple></presence>"
        )
        pub = presentity.request(
            "PUBLISH",
            "sip:1004@127.0.0.1",
            "sip:1004@127.0.0.1",
            ["Event: presence", "Expires: 60", "Content-Type: application/pidf+xml"],
            body=pidf,
        )
        assert pub.status == 200 and pub.header("SIP-ETag")
        sub = watcher.request(
            "SUBSCRIBE",
            "sip:1004@127.0.0.1",
            "sip:1004@127.0.0.1",
            ["Event: presence", "Accept: application/pidf+xml", "Expires: 60"],
        )
        assert sub.status == 200
        note = watcher.wait_request(_notify_containing("harness-busy"))
        assert "<basic>open</basic>" in note.body


def test_restart_keeps_ports_and_users_and_tls_answers(kamailio: Kamailio) -> None:
    old_pid = kamailio.pid
    kamailio.restart()
    assert kamailio.pid != old_pid
    assert options_ping(kamailio.port) == 200
    with SipUdpClient(kamailio.port, "1006", kamailio.users["1006"]) as probe:
        reply = probe.request("REGISTER", "sip:127.0.0.1", "sip:1006@127.0.0.1", ["Expires: 60"])
        assert reply.status == 200

    # TLS: the self-signed certificate verifies as its own CA; OPTIONS gets 200.
    ctx = ssl.create_default_context(cafile=str(kamailio.cert_path))
    with (
        socket.create_connection(("127.0.0.1", kamailio.tls_port), timeout=3) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        port = tls.getsockname()[1]
        tls.sendall(
            (
                f"OPTIONS sip:127.0.0.1:{kamailio.tls_port};transport=tls SIP/2.0\r\n"
                f"Via: SIP/2.0/TLS 127.0.0.1:{port};branch=z9hG4bKtls1;rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=t1\r\n"
                "To: <sip:127.0.0.1>\r\nCall-ID: tls-probe\r\nCSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode()
        )
        assert tls.recv(4096).startswith(b"SIP/2.0 200")
