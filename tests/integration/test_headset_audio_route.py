"""Plugging a telephony headset moves call audio to its sound card (or offers to), matched by
USB ids; unplugging goes back to the devices chosen before.

Real: the app, PulseAudio (null sinks carrying the USB properties a real headset's card has),
PortAudio, the PBX and the peer. Faked: only hidapi (the Jabra EVOLVE LINK MS descriptor).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from audiolab.pulse import PulseServer
from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in
from support.fake_hid import FakeHidTransport

pytestmark = pytest.mark.integration

JABRA = "0b0e-0307"
JABRA_KEY = "0b0e:0307"
USB = {"device__bus": "usb", "device__vendor__id": "0b0e", "device__product__id": "0307"}
PEER_TONE, RATE = 700, 16000
SETTLE_S = 2.5  # PortAudio through ALSA's pulse plugin needs ~1.5 s before audio flows


@pytest.fixture
def hid() -> FakeHidTransport:
    return FakeHidTransport()  # nothing plugged in yet


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path, hid: FakeHidTransport) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app", hid_transport=hid) as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


def _plug_headset(pulse: PulseServer, hid: FakeHidTransport) -> None:
    pulse.add_output("jabra_out", "Jabra EVOLVE LINK MS", **USB)
    pulse.add_input("jabra_in", "Jabra EVOLVE LINK MS Mono", **USB)
    hid.plug(JABRA)


def _unplug_headset(pulse: PulseServer, hid: FakeHidTransport) -> None:
    hid.unplug(JABRA)
    pulse.remove("jabra_in")
    pulse.remove("jabra_out")


def _route(ui: UiClient, start: int, output: str | None) -> dict[str, Any]:
    return ui.wait_for(
        lambda e: e.get("type") == "audio_devices" and e["route"]["output"] == output,
        start=start,
        timeout=15.0,
    )


def test_always_switches_to_the_headset_and_unplug_goes_back(
    ui: UiClient, pulse: PulseServer, hid: FakeHidTransport
) -> None:
    assert ui.command("audio.configure", output="speaker", headset_audio="always")["ok"]
    mark = ui.mark()
    _plug_headset(pulse, hid)
    changed = ui.wait_for(
        lambda e: (
            e.get("type") == "settings_changed" and e["settings"]["audio_output"] == "jabra_out"
        ),
        start=mark,
        timeout=15.0,
    )
    assert changed["settings"]["audio_input"] == "jabra_in"
    assert changed["settings"]["audio_ringer"] == "jabra_out"
    assert changed["settings"]["headset_calls"] == JABRA_KEY
    route = _route(ui, mark, "jabra_out")["route"]
    assert route == {"input": "jabra_in", "output": "jabra_out", "ringer": "jabra_out"}
    jabra = [d for d in _route(ui, mark, "jabra_out")["devices"] if d["id"] == "jabra_out"]
    assert jabra, "the headset's sink is listed"

    mark = ui.mark()
    _unplug_headset(pulse, hid)
    back = _route(ui, mark, "speaker")
    assert back["route"]["input"] is None and back["fallbacks"] == []
    restored = ui.wait_for(
        lambda e: e.get("type") == "settings_changed" and e["settings"]["headset_calls"] is None,
        start=mark,
    )
    assert restored["settings"]["audio_output"] == "speaker"


def test_ask_offers_the_headset_and_accepting_moves_the_call_audio(
    ui: UiClient,
    pulse: PulseServer,
    hid: FakeHidTransport,
    *,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    tmp_path: Path,
) -> None:
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    mark = ui.mark()
    _plug_headset(pulse, hid)
    offer = ui.wait_for(
        lambda e: e.get("type") == "headset_audio_offer" and e["key"] is not None,
        start=mark,
        timeout=15.0,
    )
    assert offer == {
        "type": "headset_audio_offer",
        "key": JABRA_KEY,
        "name": "Jabra EVOLVE LINK MS",
    }
    state = ui.command("headset_audio.state")["result"]
    offered = {"key": JABRA_KEY, "name": "Jabra EVOLVE LINK MS"}
    assert state == {"offered": offered, "candidates": [JABRA_KEY]}
    time.sleep(1.0)
    assert not any(  # asking changes nothing by itself
        e.get("type") == "audio_devices" and e["route"]["output"] == "jabra_out"
        for e in ui.events[mark:]
    )

    peer = baresip_factory("1002", tone_hz=PEER_TONE)
    mark, peer_mark = ui.mark(), peer.mark()
    reply = ui.command("call.dial", number=peer.user)
    assert reply["ok"], reply
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    call_id = str(reply["result"]["call_id"])
    time.sleep(SETTLE_S)

    headset = pulse.record("jabra_out", tmp_path / "jabra.wav")
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    mark = ui.mark()
    assert ui.command("headset_audio.use", key=JABRA_KEY)["ok"]
    ui.wait_for(lambda e: e.get("type") == "headset_audio_offer" and e["key"] is None, start=mark)
    _route(ui, mark, "jabra_out")
    time.sleep(SETTLE_S + 1.5)
    on_headset, on_speaker = headset.stop(), speaker.stop()
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)

    end = len(on_headset) / RATE
    assert tones.tone_power_ratio((on_headset, RATE), PEER_TONE, end - 1.0) > 0.8
    assert tones.is_silent((on_speaker, RATE), start_s=len(on_speaker) / RATE - 1.0)

    mark = ui.mark()
    _unplug_headset(pulse, hid)
    back = _route(ui, mark, None)  # nothing was chosen before: the system default again
    assert back["fallbacks"] == []


def test_not_now_leaves_the_devices_alone(
    ui: UiClient, pulse: PulseServer, hid: FakeHidTransport
) -> None:
    mark = ui.mark()
    _plug_headset(pulse, hid)
    ui.wait_for(lambda e: e.get("type") == "headset_audio_offer" and e["key"], start=mark)
    assert ui.command("headset_audio.decline", key=JABRA_KEY)["ok"]
    ui.wait_for(lambda e: e.get("type") == "headset_audio_offer" and e["key"] is None, start=mark)
    time.sleep(1.0)
    assert not any(e.get("type") == "settings_changed" for e in ui.events[mark:])
    bad = ui.command("headset_audio.use", key="dead:beef")
    assert bad["ok"] is False and bad["error"] == "invalid_argument"
