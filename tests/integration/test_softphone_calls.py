"""The walking skeleton end to end: sign in on Kamailio, call baresip and be called by it.

The softphone runs for real (engine process with pjsua2, web server), driven through its
Socket.IO protocol exactly as the frontend drives it. Audio is proven with tones: the app
plays 1000 Hz into every call, baresip plays 700 Hz, each side records what it receives.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest

from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.ports import free_udp_tcp_port
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

APP_TONE, PEER_TONE = 1000, 700


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(tmp_path / "app", play_wav=wav, record_dir=tmp_path / "rec") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


@pytest.fixture
def signed_in(ui: UiClient, kamailio: Kamailio) -> UiClient:
    reply = sign_in(ui, kamailio.port, "1001", kamailio.users["1001"], display_name="Ann Agent")
    assert reply == {"ok": True, "result": {}}
    return ui


def _recording(rec_dir: Path, call_id: str, timeout: float = 5.0) -> Path:
    path = rec_dir / f"{call_id}.wav"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 8000:
            return path
        time.sleep(0.1)
    raise AssertionError(f"no recording at {path}")


def _newest(files: Callable[[], list[Path]], timeout: float = 5.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = files()
        if found and found[-1].stat().st_size > 8000:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("the peer recorded nothing")


def test_sign_in_registers_and_keeps_the_password_out_of_settings_and_wire(
    signed_in: UiClient, app: SoftphoneApp, kamailio: Kamailio
) -> None:
    event = signed_in.wait_for(
        lambda e: (
            e.get("type") == "registration_changed" and e["registration"]["state"] == "registered"
        )
    )
    assert event["registration"]["error"] is None
    settings_text = app.options.paths.settings_file.read_text()
    assert json.loads(settings_text)["account"]["user"] == "1001"
    password = kamailio.users["1001"]
    assert password not in settings_text
    assert password not in json.dumps(signed_in.events)
    assert keyring.get_password("softphone", f"1001@127.0.0.1:{kamailio.port}") == password


def test_wrong_password_is_auth_failed_and_nothing_is_kept(
    ui: UiClient, app: SoftphoneApp, kamailio: Kamailio
) -> None:
    # The keyring is the test process's: a test before this one on the same PBX (the
    # worker's Kamailio) may have signed in as 1001 and kept its password (CI run 25).
    key = f"1001@127.0.0.1:{kamailio.port}"
    keyring.delete_password("softphone", key)
    reply = sign_in(ui, kamailio.port, "1001", "not-the-password")
    assert reply == {"ok": False, "error": "auth_failed", "field": None}
    assert app.accounts.account is None
    assert keyring.get_password("softphone", key) is None


def test_unknown_host_is_server_unreachable(ui: UiClient) -> None:
    reply = ui.command(
        "account.setup", server="pbx.invalid", user="1001", password="x", transport="udp"
    )
    assert reply["error"] == "server_unreachable"


def test_nothing_listening_is_server_unreachable(ui: UiClient) -> None:
    port = free_udp_tcp_port()  # nobody listens there, over UDP or TCP
    for transport in ("tcp", "udp"):
        reply = ui.command(
            "account.setup",
            server=f"127.0.0.1:{port}",
            user="1001",
            password="x",
            transport=transport,
        )
        assert reply["error"] == "server_unreachable", transport


def test_bad_form_input_names_the_field(ui: UiClient) -> None:
    reply = ui.command(
        "account.setup", server="bad host", user="1001", password="x", transport="udp"
    )
    assert reply == {"ok": False, "error": "invalid_argument", "field": "server"}
    reply = ui.command(
        "account.setup", server="pbx", user="1001", password="x", transport="carrier-pigeon"
    )
    assert reply["field"] == "transport"


def test_outgoing_call_connects_with_audio_both_ways(
    signed_in: UiClient, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    peer = baresip_factory("1002", tone_hz=PEER_TONE)
    mark, peer_mark = signed_in.mark(), peer.mark()
    reply = signed_in.command("call.dial", number="1002")
    assert reply["ok"], reply
    call_id = reply["result"]["call_id"]
    assert signed_in.wait_call_state("dialing", start=mark)["id"] == call_id
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    signed_in.wait_call_state("ringing_out", start=mark)
    peer.accept()
    connected = signed_in.wait_call_state("connected", start=mark)
    assert connected["number"] == "1002" and connected["connected_at"] is not None
    time.sleep(2.0)
    assert signed_in.command("call.hangup", call_id=call_id)["ok"]
    ended = signed_in.wait_call_state("ended", start=mark)
    assert ended["end_reason"] == "hangup_local"
    signed_in.wait_for(lambda e: e == {"type": "call_removed", "call_id": call_id}, start=mark)
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)

    heard_by_app = _recording(tmp_path / "rec", call_id)
    assert tones.dominant_frequency(heard_by_app, start_s=0.5) == pytest.approx(PEER_TONE, abs=15)
    heard_by_peer = _newest(peer.received_wavs)
    assert tones.dominant_frequency(heard_by_peer, start_s=0.5) == pytest.approx(APP_TONE, abs=15)


def test_incoming_call_rings_shows_the_caller_and_is_answered(
    signed_in: UiClient, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    peer = baresip_factory("1003", tone_hz=PEER_TONE)
    mark, peer_mark = signed_in.mark(), peer.mark()
    peer.dial("1001")
    ringing = signed_in.wait_call_state("ringing_in", start=mark)
    assert ringing["direction"] == "incoming" and ringing["number"] == "1003"
    assert signed_in.command("call.answer", call_id=ringing["id"])["ok"]
    signed_in.wait_call_state("connected", start=mark)
    peer.wait_for_event("CALL_ESTABLISHED", start=peer_mark)
    time.sleep(2.0)
    peer.hangup()
    ended = signed_in.wait_call_state("ended", start=mark)
    assert ended["end_reason"] == "hangup_remote"

    heard_by_app = _recording(tmp_path / "rec", ringing["id"])
    assert tones.dominant_frequency(heard_by_app, start_s=0.5) == pytest.approx(PEER_TONE, abs=15)
    heard_by_peer = _newest(peer.received_wavs)
    assert tones.dominant_frequency(heard_by_peer, start_s=0.5) == pytest.approx(APP_TONE, abs=15)


def test_rejected_incoming_call_ends_for_the_caller(
    signed_in: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1004")
    mark, peer_mark = signed_in.mark(), peer.mark()
    peer.dial("1001")
    ringing = signed_in.wait_call_state("ringing_in", start=mark)
    assert signed_in.command("call.reject", call_id=ringing["id"])["ok"]
    assert signed_in.wait_call_state("ended", start=mark)["end_reason"] == "rejected"
    closed = peer.wait_for_event("CALL_CLOSED", start=peer_mark)
    assert "603" in json.dumps(closed) or "Decline" in json.dumps(closed)


def test_caller_hanging_up_before_answer_is_a_missed_call(
    signed_in: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1005")
    mark = signed_in.mark()
    peer.dial("1001")
    signed_in.wait_call_state("ringing_in", start=mark)
    peer.hangup()
    assert signed_in.wait_call_state("ended", start=mark)["end_reason"] == "cancelled"


def test_calling_an_unknown_extension_ends_as_not_found(signed_in: UiClient) -> None:
    mark = signed_in.mark()
    reply = signed_in.command("call.dial", number="1999")
    assert reply["ok"]
    assert signed_in.wait_call_state("ended", start=mark)["end_reason"] == "not_found"


def test_malformed_numbers_are_refused_with_a_key(signed_in: UiClient) -> None:
    for number in ("12ab", "<script>", ""):
        assert signed_in.command("call.dial", number=number)["ok"] is False
    assert signed_in.command("call.dial", number="12ab")["error"] == "invalid_number"
    assert signed_in.command("call.answer", call_id="nope")["error"] == "call_not_found"


def test_dialing_before_sign_in_is_refused(ui: UiClient) -> None:
    assert ui.command("call.dial", number="1002") == {
        "ok": False,
        "error": "no_account",
        "field": None,
    }
