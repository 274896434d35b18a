"""Being transferred: the peer's REFER makes a new call of our own, through the PBX.

The app plays 1000 Hz into every call; the transfer target records what it receives. The
new call must show as its own card (transferred_by), carry our audio to the target, end
cleanly when the target hangs up, and the engine must never restart on the way (pjsua2
crashed when the new call reused the old Call object: docs/pjsua2-facts.md).
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.events import EngineFailed
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

APP_TONE = 1000
HOST = "127.0.0.1"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(tmp_path / "app", play_wav=wav, record_dir=tmp_path / "rec") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    client = UiClient(app)
    assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    yield client
    client.close()


def _new_call(ui: UiClient, old_id: str, state: str, start: int) -> dict[str, Any]:
    event = ui.wait_for(
        lambda e: (
            e.get("type") == "call_changed"
            and e["call"]["id"] != old_id
            and e["call"]["state"] == state
        ),
        timeout=15.0,
        start=start,
    )
    call: dict[str, Any] = event["call"]
    return call


def _target_hears_us_then_hangs_up(ui: UiClient, target: PjPeer, call_id: str) -> None:
    target.wait_until(lambda st: any(c["state"] == "CONFIRMED" for c in st["calls"]))
    time.sleep(1.5)
    mark = ui.mark()
    target.hangup()
    ended = ui.wait_call(call_id, "ended", mark)
    assert ended["end_reason"] == "hangup_remote"
    status = target.wait_until(
        lambda st: any("sip1001" in Path(c["recording"]).name for c in st["finished"])
    )
    time.sleep(0.3)  # the WAV is complete a tick after the call
    # Its call with us (the recording is named after the far end).
    wav = next(
        Path(c["recording"]) for c in status["finished"] if "sip1001" in Path(c["recording"]).name
    )
    assert tones.tone_power_ratio(wav, APP_TONE, 0.3, None) > 0.5


def _assert_transferred(
    ui: UiClient, app: SoftphoneApp, old_id: str, mark: int, *, by: str, target: PjPeer
) -> None:
    pid = app.engine.pid
    failures: list[EngineFailed] = []
    unsubscribe = app.bus.subscribe(EngineFailed, failures.append)
    new = _new_call(ui, old_id, "connected", mark)
    assert new["transferred_by"] == by
    assert new["number"] == target.user
    assert new["direction"] == "outgoing"
    assert ui.wait_call(old_id, "ended", mark)["end_reason"] == "transferred"
    _target_hears_us_then_hangs_up(ui, target, new["id"])
    time.sleep(0.5)
    unsubscribe()
    assert app.engine.pid == pid  # never restarted (the harness also fails on a crash)
    assert failures == []


def test_blind_transfer_by_baresip_makes_a_new_call_card_with_our_audio_to_the_target(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    pj_peer_factory: Callable[..., PjPeer],
) -> None:
    transferor = baresip_factory("1006", answermode="auto")
    target = pj_peer_factory("1002", mode="silent")
    old_id = ui.dial_connected("1006")
    mark = ui.mark()
    transferor.command("transfer", f"sip:1002@{HOST}:{kamailio.port}")
    _assert_transferred(ui, app, old_id, mark, by="1006", target=target)


def test_a_scripted_refer_makes_a_new_call_and_the_referrer_hears_it_succeed(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    pj_peer_factory: Callable[..., PjPeer],
) -> None:
    transferor = pj_peer_factory("1006", mode="silent")
    target = pj_peer_factory("1002", mode="silent")
    old_id = ui.dial_connected("1006")
    mark = ui.mark()
    assert transferor.xfer(f"sip:1002@{HOST}:{kamailio.port}") == 1
    _assert_transferred(ui, app, old_id, mark, by="1006", target=target)
    status = transferor.status()
    codes = [c for leg in (*status["calls"], *status["finished"]) for c in leg["xfer_codes"]]
    assert 200 in codes  # the NOTIFY said the new call was answered


def test_a_refer_to_another_server_is_refused_and_the_call_goes_on(
    ui: UiClient, kamailio: Kamailio, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((HOST, 0))
    other.settimeout(0.2)
    try:
        transferor = pj_peer_factory("1006", mode="silent")
        old_id = ui.dial_connected("1006")
        mark = ui.mark()
        assert transferor.xfer(f"sip:1002@{HOST}:{other.getsockname()[1]}") == 1
        status = transferor.wait_until(
            lambda st: any(leg["xfer_codes"] for leg in st["calls"]), timeout=5.0
        )
        assert [leg["xfer_codes"] for leg in status["calls"]] == [[403]]
        time.sleep(0.5)
        with pytest.raises(TimeoutError):
            other.recvfrom(65535)
        calls = [e["call"] for e in ui.events[mark:] if e.get("type") == "call_changed"]
        assert all(c["id"] == old_id for c in calls)
        assert all(c["state"] != "ended" for c in calls)
        assert ui.command("call.hangup", call_id=old_id)["ok"]
    finally:
        other.close()


def test_a_refer_outside_any_call_is_refused(app: SoftphoneApp, ui: UiClient) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(3.0)
    try:
        port = sock.getsockname()[1]
        engine = (HOST, app.engine.sip_port)
        for to_tag in (f";tag={secrets.token_hex(4)}", ""):
            call_id = secrets.token_hex(8)
            request = (
                f"REFER sip:1001@{HOST}:{engine[1]} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {HOST}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:1006@{HOST}>;tag={secrets.token_hex(4)}\r\n"
                f"To: <sip:1001@{HOST}>{to_tag}\r\n"
                f"Call-ID: {call_id}\r\n"
                "CSeq: 1 REFER\r\n"
                f"Contact: <sip:1006@{HOST}:{port}>\r\n"
                f"Refer-To: <sip:1002@{HOST}>\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            sock.sendto(request.encode(), engine)
            data = sock.recvfrom(65535)[0].decode()
            status = int(data.split(" ", 2)[1])
            assert status in (403, 481), data
        assert not any(
            e.get("type") == "call_changed" for e in ui.events
        )  # no call was made for it
    finally:
        sock.close()


def test_an_attended_transfer_by_our_peer_replaces_our_call_with_a_new_card(
    app: SoftphoneApp, ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    """1006 calls us and 1002, then transfers us to 1002 (REFER with Replaces to 1002, whose
    INVITE with Replaces takes over our call with 1006)."""
    transferor = pj_peer_factory("1006", mode="silent")
    target = pj_peer_factory("1002", mode="silent")
    mark = ui.mark()
    with_us = transferor.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    assert ui.command("call.answer", call_id=ringing["id"])["ok"]
    old_id = ringing["id"]
    ui.wait_call(old_id, "connected", mark)
    with_target = transferor.dial("1002")
    transferor.wait_until(
        lambda st: sum(c["state"] == "CONFIRMED" for c in st["calls"]) == 2, timeout=10.0
    )
    mark = ui.mark()
    pid = app.engine.pid
    transferor.xfer_replaces(with_target, with_us)
    new = _new_call(ui, old_id, "connected", mark)
    assert new["transferred_by"] == "1006"
    assert new["number"] == "1002"
    assert new["direction"] == "incoming"
    assert ui.wait_call(old_id, "ended", mark)["end_reason"] == "transferred"
    _target_hears_us_then_hangs_up(ui, target, new["id"])
    assert app.engine.pid == pid
