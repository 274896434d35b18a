"""Call audio through real sound devices: PulseAudio null devices, PortAudio streams, the
engine's bridge driven by the speaker's clock, a baresip peer on Kamailio.

The test's "microphone" is a PulseAudio source fed with a 1000 Hz tone; the "speaker" is a
null sink whose monitor the test records. baresip sends 700 Hz and records what it gets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from audiolab.echo_rig import level_db
from audiolab.fixtures import AUDIO_SERVERS
from audiolab.pulse import PulseServer
from audiolab.speech import speech_like, write_wav
from pbx import tones
from pbx.baresip import Baresip
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.commands import SetAudioRoute
from softphone.domain.events import AudioStatusReported
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration

MIC_TONE, PEER_TONE = 1000, 700
RATE = 16000
SETTLE_S = 2.5  # PortAudio through ALSA's pulse plugin needs ~1.5 s before audio flows


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path) -> Iterator[SoftphoneApp]:
    # `pulse` first: the engine process inherits PULSE_SERVER and opens real devices.
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def statuses(app: SoftphoneApp) -> list[AudioStatusReported]:
    seen: list[AudioStatusReported] = []
    lock = threading.Lock()

    def keep(event: AudioStatusReported) -> None:
        with lock:
            seen.append(event)

    app.bus.subscribe(AudioStatusReported, keep)
    return seen


@pytest.fixture
def mic_tone(pulse: PulseServer, tmp_path: Path) -> Iterator[None]:
    wav = tones.write_tone_wav(tmp_path / "mic.wav", MIC_TONE, 60.0, rate=48000, amplitude=0.3)
    player = pulse.play("mic", wav)
    yield
    player.terminate()
    player.wait(5)


def _connect(ui: UiClient, peer: Baresip) -> str:
    mark, peer_mark = ui.mark(), peer.mark()
    reply = ui.command("call.dial", number=peer.user)
    assert reply["ok"], reply
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    return str(reply["result"]["call_id"])


def _hang_up(ui: UiClient, call_id: str) -> None:
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)


def _peer_heard(peer: Baresip, timeout: float = 5.0) -> tuple[np.ndarray, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wavs = peer.received_wavs()
        if wavs and wavs[-1].stat().st_size > 8000:
            time.sleep(0.3)  # sndfile finishes the file when the call closes
            return tones.read_wav(wavs[-1])
        time.sleep(0.1)
    raise AssertionError("the peer recorded nothing")


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)
@pytest.mark.usefixtures("mic_tone")
def test_microphone_reaches_the_peer_and_the_peer_comes_out_of_the_speaker(
    ui: UiClient,
    pulse: PulseServer,
    baresip_factory: Callable[..., Baresip],
    statuses: list[AudioStatusReported],
    tmp_path: Path,
) -> None:
    peer = baresip_factory("1002", tone_hz=PEER_TONE)
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    call_id = _connect(ui, peer)
    time.sleep(SETTLE_S + 2.0)
    heard = speaker.stop()
    _hang_up(ui, call_id)

    assert tones.tone_power_ratio((heard, RATE), PEER_TONE, start_s=len(heard) / RATE - 1.5) > 0.8
    peer_heard = _peer_heard(peer)
    last = len(peer_heard[0]) / peer_heard[1]
    assert tones.tone_power_ratio(peer_heard, MIC_TONE, start_s=last - 1.5) > 0.8

    running = [s for s in statuses if s.running]
    assert running, "the engine never reported call audio running"
    assert running[0].output is None and running[0].input is None  # the system defaults
    _wait_for(lambda: any(not s.running for s in statuses))  # devices closed after the call


@pytest.mark.usefixtures("mic_tone")
def test_mute_sends_silence_and_unmute_brings_the_microphone_back(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    # The pj peer records on its own clock (baresip writes only the packets it gets, and a
    # muted call sends none: VAD), so the recording's timeline is the call's.
    peer = pj_peer_factory("1005", mode="tone", tone_hz=PEER_TONE)
    mark = ui.mark()
    reply = ui.command("call.dial", number="1005")
    assert reply["ok"], reply
    call_id = str(reply["result"]["call_id"])
    ui.wait_call_state("connected", start=mark)
    connected_at = time.monotonic()
    time.sleep(SETTLE_S + 1.0)
    muted_at = time.monotonic() - connected_at
    assert ui.command("call.mute", call_id=call_id, muted=True)["ok"]
    time.sleep(2.5)
    unmuted_at = time.monotonic() - connected_at
    assert ui.command("call.mute", call_id=call_id, muted=False)["ok"]
    time.sleep(2.0)
    ended_at = time.monotonic() - connected_at
    _hang_up(ui, call_id)

    status = peer.wait_until(lambda st: len(st["finished"]) > 0)
    time.sleep(0.3)
    heard = Path(status["finished"][0]["recording"])
    assert tones.tone_power_ratio(heard, MIC_TONE, muted_at - 1.0, muted_at - 0.1) > 0.8
    assert tones.is_silent(heard, -45.0, muted_at + 0.3, unmuted_at - 0.1)
    assert tones.tone_power_ratio(heard, MIC_TONE, unmuted_at + 0.5, ended_at - 0.2) > 0.8


def test_automatic_gain_raises_a_quiet_microphone_for_the_far_end(
    ui: UiClient, pulse: PulseServer, pj_peer_factory: Callable[..., PjPeer], tmp_path: Path
) -> None:
    """A voice at -38 dBFS into the microphone, echo cancellation off (the harness's): the far
    end hears it at least 6 dB louder once "Automatic microphone level" is on (measured
    offline: 11 dB from the first second), through the engine's own gain control."""
    wav = write_wav(tmp_path / "quiet.wav", speech_like(60.0, 3, level=0.02))
    player = pulse.play("mic", wav)
    try:
        levels = []
        for auto_gain in (False, True):
            assert ui.command("audio.configure", auto_gain=auto_gain)["ok"]
            peer = pj_peer_factory("1005", mode="tone", tone_hz=PEER_TONE)
            mark = ui.mark()
            reply = ui.command("call.dial", number="1005")
            assert reply["ok"], reply
            ui.wait_call_state("connected", start=mark)
            time.sleep(SETTLE_S + 3.0)
            _hang_up(ui, str(reply["result"]["call_id"]))
            status = peer.wait_until(lambda st: len(st["finished"]) > 0)
            time.sleep(0.3)
            samples, rate = tones.read_wav(status["finished"][0]["recording"])
            levels.append(level_db(samples[-3 * rate :]))
            peer.stop()
    finally:
        player.terminate()
        player.wait(5)
    assert levels[1] - levels[0] >= 6, levels


def test_switching_the_output_during_a_call_moves_the_audio(
    ui: UiClient,
    app: SoftphoneApp,
    pulse: PulseServer,
    baresip_factory: Callable[..., Baresip],
    tmp_path: Path,
) -> None:
    pulse.add_output("headset", "USB Headset")
    peer = baresip_factory("1002", tone_hz=PEER_TONE)
    call_id = _connect(ui, peer)
    time.sleep(SETTLE_S)
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    headset = pulse.record("headset", tmp_path / "headset.wav")
    time.sleep(1.0)
    app.engine.send(SetAudioRoute(output="headset"))
    switched_at = time.monotonic()
    time.sleep(SETTLE_S + 1.5)
    on_speaker, on_headset = speaker.stop(), headset.stop()
    after = time.monotonic() - switched_at
    _hang_up(ui, call_id)

    # Before the switch the speaker had the call; after it, only the headset has.
    end = len(on_speaker) / RATE
    assert tones.tone_power_ratio((on_speaker, RATE), PEER_TONE, 0.0, end - after - 0.2) > 0.8
    assert tones.is_silent((on_speaker, RATE), start_s=end - 1.0)
    end_headset = len(on_headset) / RATE
    assert tones.tone_power_ratio((on_headset, RATE), PEER_TONE, end_headset - 1.0) > 0.8


@pytest.mark.usefixtures("mic_tone")
def test_plugging_a_usb_headset_during_a_call_keeps_the_audio(
    ui: UiClient,
    pulse: PulseServer,
    baresip_factory: Callable[..., Baresip],
    statuses: list[AudioStatusReported],
    tmp_path: Path,
) -> None:
    peer = baresip_factory("1002", tone_hz=PEER_TONE)
    call_id = _connect(ui, peer)
    time.sleep(SETTLE_S)
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    pulse.add_output("usb_headset", "Jabra Evolve2 65")
    pulse.add_input("usb_headset_mic", "Jabra Evolve2 65 Mono")
    time.sleep(2.0)
    heard = speaker.stop()
    _hang_up(ui, call_id)

    assert tones.tone_power_ratio((heard, RATE), PEER_TONE, start_s=len(heard) / RATE - 1.0) > 0.8
    last_running = [s for s in statuses if s.running][-1]
    assert last_running.error is None


@pytest.mark.parametrize(
    ("offered", "expected"), [(("G722/16000/1", "PCMU"), "G722"), (("PCMU",), "PCMU")]
)
def test_wideband_g722_is_used_when_the_other_side_offers_it(
    ui: UiClient,
    baresip_factory: Callable[..., Baresip],
    offered: tuple[str, ...],
    expected: str,
) -> None:
    peer = baresip_factory("1002", tone_hz=PEER_TONE, codecs=offered)
    mark = ui.mark()
    peer.dial("1001")  # the peer's INVITE carries its offer
    call_id = str(ui.wait_call_state("ringing_in", start=mark)["id"])
    assert ui.command("call.answer", call_id=call_id)["ok"]
    quality = ui.wait_for(
        lambda e: e.get("type") == "call_quality" and e["quality"]["call_id"] == call_id,
        start=mark,
    )
    _hang_up(ui, call_id)
    assert quality["quality"]["codec"] == expected
