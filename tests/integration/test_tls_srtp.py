"""TLS to the PBX (certificate verified, trusted explicitly) and SRTP calls end to end.

Kamailio listens on TLS with a self-signed certificate; peers are pjsua2 processes on TLS
with their own SRTP mode. Every pj peer reports, per call, whether each SDP it sent carried
SRTP keys (a=crypto), and records what it hears: so "hold, resume, transfer, conference and
DTMF work with SRTP" is judged on the far side.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pbx import tones
from pbx.certs import write_self_signed
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration

APP_TONE = 1000
PeerFactory = Callable[..., PjPeer]


def _fingerprint(pem_path: Path) -> str:
    cert = x509.load_pem_x509_certificate(pem_path.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _tls_account(kamailio: Kamailio, user: str, srtp: str) -> dict[str, Any]:
    return {
        "server": f"127.0.0.1:{kamailio.tls_port}",
        "user": user,
        "password": kamailio.users[user],
        "transport": "tls",
        "srtp": srtp,
    }


def _trust_pbx(ui: UiClient, kamailio: Kamailio) -> dict[str, Any]:
    server = f"127.0.0.1:{kamailio.tls_port}"
    shown = ui.command("account.server_certificate", server=server)
    assert shown["ok"], shown
    trusted = ui.command(
        "account.trust_certificate", server=server, sha256=shown["result"]["sha256"]
    )
    assert trusted["ok"], trusted
    result: dict[str, Any] = shown["result"]
    return result


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(tmp_path / "app", play_wav=wav, log_level=4) as running:
        yield running


@pytest.fixture
def tls_peer(kamailio: Kamailio, tmp_path: Path) -> Iterator[PeerFactory]:
    """make(user, srtp=..., mode=...) -> a pjsua2 peer registered over TLS; stopped after."""
    peers: list[PjPeer] = []

    def make(user: str, srtp: str = "mandatory", **kw: Any) -> PjPeer:
        peer = PjPeer(
            kamailio.tls_port,
            user,
            kamailio.users[user],
            transport="tls",
            srtp=srtp,
            work_dir=tmp_path / f"peer-{user}-{len(peers)}",
            **kw,
        )
        peers.append(peer)
        return peer.start()

    try:
        yield make
    finally:
        for peer in peers:
            peer.stop()


@pytest.fixture
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    """Signed in as 1001 over TLS with mandatory SRTP (the PBX certificate trusted)."""
    client = UiClient(app)
    _trust_pbx(client, kamailio)
    reply = client.command("account.setup", **_tls_account(kamailio, "1001", "mandatory"))
    assert reply == {"ok": True, "result": {}}, reply
    yield client
    client.close()


def _ok(reply: dict[str, Any]) -> None:
    assert reply == {"ok": True, "result": {}}, reply


def _confirmed(peer: PjPeer, incoming: bool | None = None) -> dict[str, Any]:
    """Wait for a CONFIRMED call on the peer (of the given direction); return its status."""
    status = peer.wait_until(
        lambda st: any(
            c["state"] == "CONFIRMED" and (incoming is None or c["incoming"] is incoming)
            for c in st["calls"]
        )
    )
    return next(c for c in status["calls"] if c["state"] == "CONFIRMED")


def _all_srtp(call: dict[str, Any]) -> bool:
    return bool(call["sdp_srtp"]) and all(call["sdp_srtp"])


# --- (a) certificate verification -------------------------------------------------------------


def test_self_signed_pbx_certificate_is_refused_until_the_user_trusts_it(
    app: SoftphoneApp, kamailio: Kamailio
) -> None:
    ui = UiClient(app)
    try:
        account = _tls_account(kamailio, "1001", "off")
        mark = ui.mark()
        reply = ui.command("account.setup", **account)
        assert reply == {"ok": False, "error": "tls_untrusted", "field": None}
        ui.wait_for(
            lambda e: (
                e.get("type") == "registration_changed"
                and e["registration"]["error"] == "tls_untrusted"
            ),
            start=mark,
        )
        assert app.accounts.account is None  # nothing saved

        server = account["server"]
        shown = ui.command("account.server_certificate", server=server)["result"]
        assert shown["sha256"] == _fingerprint(kamailio.cert_path)
        assert shown["subject"] == "CN=127.0.0.1"
        assert shown["self_signed"] is True and shown["trusted"] is False
        assert shown["name_matches"] is True
        # The user trusts exactly what was shown: another fingerprint is refused.
        wrong = ui.command("account.trust_certificate", server=server, sha256="00:" * 31 + "00")
        assert wrong == {"ok": False, "error": "certificate_changed", "field": None}
        assert ui.command("account.setup", **account)["error"] == "tls_untrusted"

        trusted = ui.command("account.trust_certificate", server=server, sha256=shown["sha256"])
        assert trusted["ok"] and trusted["result"]["trusted"] is True
        stored = list((app.options.paths.data_dir / "tls" / "trusted").glob("*.pem"))
        assert len(stored) == 1
        assert stored[0].read_text().strip() == kamailio.cert_path.read_text().strip()
        # The system's CAs stay trusted next to the user's choice.
        bundle = (app.options.paths.data_dir / "tls" / "ca-bundle.pem").read_text()
        assert bundle.count("BEGIN CERTIFICATE") > 50
        assert kamailio.cert_path.read_text().strip() in bundle

        mark = ui.mark()
        _ok(ui.command("account.setup", **account))
        assert app.accounts.registration.state.value == "registered"
        assert app.accounts.account is not None and app.accounts.account.transport == "tls"
        again = ui.command("account.server_certificate", server=server)["result"]
        assert again["trusted"] is True
    finally:
        ui.close()


def test_a_trusted_self_signed_leaf_certificate_without_ca_flag_is_accepted(
    app: SoftphoneApp, kamailio: Kamailio
) -> None:
    # What `openssl req -x509` with a CA:FALSE profile or many PBX installers make: the
    # pinned certificate is its own trust anchor, with no CA among the system's.
    write_self_signed(kamailio.cert_path, kamailio.key_path, ["127.0.0.1"], ca=False)
    kamailio.restart()
    ui = UiClient(app)
    try:
        account = _tls_account(kamailio, "1001", "off")
        assert ui.command("account.setup", **account)["error"] == "tls_untrusted"
        shown = _trust_pbx(ui, kamailio)
        assert shown["sha256"] == _fingerprint(kamailio.cert_path)
        _ok(ui.command("account.setup", **account))
    finally:
        ui.close()


def test_tls_to_nothing_or_to_a_plain_sip_port_fails_in_bounded_time(
    app: SoftphoneApp, kamailio: Kamailio
) -> None:
    ui = UiClient(app)
    try:
        with socket.create_server(("127.0.0.1", 0)) as closed:
            nobody = closed.getsockname()[1]
        account = {**_tls_account(kamailio, "1001", "off"), "server": f"127.0.0.1:{nobody}"}
        assert ui.command("account.setup", **account)["error"] == "server_unreachable"
        shown = ui.command("account.server_certificate", server=account["server"])
        assert shown["error"] == "server_unreachable"
        # A plain SIP port accepts the connection but never answers the TLS handshake: the
        # handshake times out (5 s), before the sign-in's own 10 s limit.
        account["server"] = kamailio.address
        started = time.monotonic()
        assert ui.command("account.setup", **account)["error"] == "server_unreachable"
        assert time.monotonic() - started < 8.5
        shown = ui.command("account.server_certificate", server=account["server"])
        assert shown["error"] in ("timeout", "tls_failed"), shown
    finally:
        ui.close()


def test_mandatory_srtp_needs_tls_signalling(app: SoftphoneApp, kamailio: Kamailio) -> None:
    ui = UiClient(app)
    try:
        reply = ui.command(
            "account.setup",
            server=kamailio.address,
            user="1001",
            password=kamailio.users["1001"],
            transport="udp",
            srtp="mandatory",
        )
        assert reply == {"ok": False, "error": "srtp_needs_tls", "field": "srtp"}
        bad = ui.command("account.setup", **{**_tls_account(kamailio, "1001", "always")})
        assert bad == {"ok": False, "error": "invalid_argument", "field": "srtp"}
    finally:
        ui.close()


# --- (b) every call feature with TLS + mandatory SRTP ------------------------------------------


def test_srtp_call_hold_resume_and_dtmf_reach_the_peer(
    app: SoftphoneApp, ui: UiClient, tls_peer: PeerFactory
) -> None:
    peer = tls_peer("1002", mode="silent")
    call_id = ui.dial_connected("1002")
    assert _all_srtp(_confirmed(peer))
    t0 = time.monotonic()
    time.sleep(1.2)
    t_hold, mark = time.monotonic() - t0, ui.mark()
    _ok(ui.command("call.hold", call_id=call_id))
    assert ui.wait_call(call_id, "held", mark)["held"] is True
    t_held = time.monotonic() - t0
    time.sleep(1.2)
    t_resume, mark = time.monotonic() - t0, ui.mark()
    _ok(ui.command("call.resume", call_id=call_id))
    assert ui.wait_call(call_id, "connected", mark)["held"] is False
    t_resumed = time.monotonic() - t0
    _ok(ui.command("call.dtmf", call_id=call_id, digits="19#*"))
    status = peer.wait_until(lambda st: st["calls"] and st["calls"][0]["dtmf"] == "19#*")
    call = status["calls"][0]
    assert call["state"] == "CONFIRMED"
    # Offer/answer for the call, the hold and the resume: all encrypted.
    assert len(call["sdp_srtp"]) >= 3 and _all_srtp(call), call["sdp_srtp"]
    time.sleep(1.2)
    t_end = time.monotonic() - t0
    mark = ui.mark()
    _ok(ui.command("call.hangup", call_id=call_id))
    ui.wait_call(call_id, "ended", mark)

    status = peer.wait_until(lambda st: len(st["finished"]) == 1)
    time.sleep(0.3)  # the WAV is complete one media tick after the call
    wav = Path(status["finished"][0]["recording"])
    # The peer decrypts our audio before the hold, hears silence on hold, and the audio is
    # back after the resume (new SRTP keys in the re-INVITE).
    assert tones.tone_power_ratio(wav, APP_TONE, 0.3, t_hold - 0.1) > 0.5
    assert tones.is_silent(wav, -45.0, t_held + 0.3, t_resume - 0.1)
    assert tones.tone_power_ratio(wav, APP_TONE, t_resumed + 0.4, t_end - 0.1) > 0.5
    assert app.options.engine.log_file is not None
    engine_log = app.options.engine.log_file.read_text(errors="replace")
    assert "RTP/SAVP" in engine_log and "a=crypto:" in engine_log
    # The SRTP master keys of both sides are in those SDPs: the log must not hold them.
    keys = re.findall(r"inline:([^|\s]+)", engine_log)
    assert keys and set(keys) == {"<redacted>"}, keys


def test_an_incoming_srtp_call_over_tls_rings_and_connects(
    app: SoftphoneApp, ui: UiClient, tls_peer: PeerFactory
) -> None:
    caller = tls_peer("1002", mode="tone", tone_hz=600)
    mark = ui.mark()
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    mark = ui.mark()
    _ok(ui.command("call.answer", call_id=ringing["id"]))
    ui.wait_call(ringing["id"], "connected", mark)
    assert _all_srtp(_confirmed(caller, incoming=False))
    time.sleep(1.5)
    mark = ui.mark()
    _ok(ui.command("call.hangup", call_id=ringing["id"]))
    ui.wait_call(ringing["id"], "ended", mark)
    status = caller.wait_until(lambda st: len(st["finished"]) == 1)
    time.sleep(0.3)
    # The caller decrypts our audio: it hears the app's tone.
    wav = Path(status["finished"][0]["recording"])
    assert tones.tone_power_ratio(wav, APP_TONE, 0.3, None) > 0.5


def test_srtp_blind_transfer_connects_the_peer_to_the_target(
    ui: UiClient, tls_peer: PeerFactory
) -> None:
    transferee = tls_peer("1002", mode="silent")
    target = tls_peer("1003", mode="silent")
    call_id = ui.dial_connected("1002")
    mark = ui.mark()
    _ok(ui.command("call.transfer", call_id=call_id, target="1003"))
    assert ui.wait_call(call_id, "ended", mark)["end_reason"] == "transferred"
    assert _all_srtp(_confirmed(target, incoming=True))
    assert _all_srtp(_confirmed(transferee, incoming=False))


def test_srtp_attended_transfer_connects_both_peers(ui: UiClient, tls_peer: PeerFactory) -> None:
    transferee = tls_peer("1002", mode="silent")
    target = tls_peer("1003", mode="tone", tone_hz=600)
    first = ui.dial_connected("1002")
    second = ui.dial_connected("1003")
    mark = ui.mark()
    _ok(ui.command("call.transfer_attended", call_id=first, to_call_id=second))
    for call_id in (first, second):
        assert ui.wait_call(call_id, "ended", mark)["end_reason"] == "transferred"
    assert _all_srtp(_confirmed(transferee, incoming=False))
    target.wait_until(lambda st: len(st["calls"]) == 1 and st["calls"][0]["state"] == "CONFIRMED")
    time.sleep(1.5)
    transferee.hangup()
    status = transferee.wait_until(lambda st: len(st["finished"]) == 2)
    time.sleep(0.3)
    # The transferee hears 1003's tone over the new (encrypted) call.
    wav = Path(status["finished"][1]["recording"])
    assert tones.tone_power_ratio(wav, 600, 0.3, None) > 0.5


def test_srtp_conference_mixes_both_peers_and_us(ui: UiClient, tls_peer: PeerFactory) -> None:
    talker = tls_peer("1002", mode="tone", tone_hz=600)
    listener = tls_peer("1003", mode="silent")
    first = ui.dial_connected("1002")
    second = ui.dial_connected("1003")
    t0 = time.monotonic()
    time.sleep(1.2)
    t_conf, mark = time.monotonic() - t0, ui.mark()
    _ok(ui.command("call.conference"))
    for call_id in (first, second):
        ui.wait_for(
            lambda e, cid=call_id: (
                e.get("type") == "call_changed"
                and e["call"]["id"] == cid
                and e["call"]["conference"] is True
                and e["call"]["state"] == "connected"
            ),
            start=mark,
        )
    t_mixed = time.monotonic() - t0
    time.sleep(1.5)
    t_end = time.monotonic() - t0
    assert _all_srtp(_confirmed(talker)) and _all_srtp(_confirmed(listener))
    _ok(ui.command("call.hangup", call_id=second))
    status = listener.wait_until(lambda st: len(st["finished"]) == 1)
    time.sleep(0.3)
    wav = Path(status["finished"][0]["recording"])
    assert tones.tone_power_ratio(wav, 600, 0.3, t_conf - 0.1) < 0.05
    assert tones.tone_power_ratio(wav, 600, t_mixed + 0.4, t_end - 0.1) > 0.2
    assert tones.tone_power_ratio(wav, APP_TONE, t_mixed + 0.4, t_end - 0.1) > 0.2


# --- (c) mandatory against a peer without SRTP ---------------------------------------------------


def test_mandatory_srtp_against_a_peer_without_srtp_ends_with_a_clear_reason(
    ui: UiClient, tls_peer: PeerFactory
) -> None:
    plain = tls_peer("1002", srtp="off", mode="silent")
    mark = ui.mark()
    reply = ui.command("call.dial", number="1002")
    assert reply["ok"], reply
    ended = ui.wait_call(reply["result"]["call_id"], "ended", mark)
    assert ended["end_reason"] == "encryption_refused"
    assert ended["sip_code"] == 488
    assert not plain.status()["calls"]
    # The history keeps why (the UI says the other phone cannot encrypt).
    entry = ui.wait_for(
        lambda e: e.get("type") == "history_changed" and e["entry"]["outcome"] is not None,
        start=mark,
    )["entry"]
    assert (entry["direction"], entry["outcome"]) == ("outgoing", "failed")
    assert entry["end_reason"] == "encryption_refused"
    # The other way round: the plain peer calling us is refused with 488 as well.
    plain.dial("1001")
    status = plain.wait_until(lambda st: len(st["finished"]) == 1)
    assert status["finished"][0]["last_code"] == 488


def test_a_caller_without_srtp_refused_by_mandatory_srtp_is_a_missed_call_saying_why(
    ui: UiClient, tls_peer: PeerFactory
) -> None:
    # pjsua answers this INVITE with 488 by itself, before onIncomingCall: the engine finds
    # it in its message log and reports an incoming call born ended.
    plain = tls_peer("1002", srtp="off", mode="silent")
    mark = ui.mark()
    plain.dial("1001")
    status = plain.wait_until(lambda st: len(st["finished"]) == 1)
    assert status["finished"][0]["last_code"] == 488
    changed = ui.wait_for(
        lambda e: e.get("type") == "call_changed" and e["call"]["direction"] == "incoming",
        start=mark,
    )
    call = changed["call"]
    assert call["state"] == "ended" and call["end_reason"] == "encryption_refused", call
    assert call["number"] == "1002" and call["sip_code"] == 488
    entry = ui.wait_for(lambda e: e.get("type") == "history_changed", start=mark)["entry"]
    assert entry["outcome"] == "missed" and entry["end_reason"] == "encryption_refused"
    assert entry["number"] == "1002" and entry["seen"] is False
    assert ui.wait_for(lambda e: e.get("type") == "missed_count", start=mark)["count"] == 1
    listed = ui.command("history.list", filter="missed")
    assert listed["ok"], listed
    assert [(e["number"], e["end_reason"]) for e in listed["result"]["entries"]] == [
        ("1002", "encryption_refused")
    ]
    # Ringing never showed: no incoming call other than the one born ended.
    events = [e for e in ui.events[mark:] if e.get("type") == "call_changed"]
    assert all(e["call"]["state"] == "ended" for e in events), events


# --- optional SRTP ------------------------------------------------------------------------------


def test_optional_srtp_encrypts_with_a_willing_peer_and_falls_back_to_plain_rtp(
    app: SoftphoneApp, kamailio: Kamailio, tls_peer: PeerFactory
) -> None:
    ui = UiClient(app)
    try:
        _trust_pbx(ui, kamailio)
        _ok(ui.command("account.setup", **_tls_account(kamailio, "1001", "optional")))
        willing = tls_peer("1002", srtp="optional", mode="silent")
        plain = tls_peer("1003", srtp="off", mode="silent")
        first = ui.dial_connected("1002")
        assert _all_srtp(_confirmed(willing))  # its answer carries keys: SRTP is on
        _ok(ui.command("call.hangup", call_id=first))
        second = ui.dial_connected("1003")
        call = _confirmed(plain)
        assert call["sdp_srtp"] and not any(call["sdp_srtp"])  # plain RTP, and it works
        _ok(ui.command("call.dtmf", call_id=second, digits="42"))
        plain.wait_until(lambda st: st["calls"] and st["calls"][0]["dtmf"] == "42")
    finally:
        ui.close()
