"""The conference bridge keeps real time whatever the sound devices do: the audio the far end
gets during a call of N seconds is N seconds (RTP counted), with plain null devices, with a
PulseAudio loopback module in the path (an echo rig; PortAudio then called back faster than
real time and the bridge ran 2-4x fast), with a speaker that stalls for 2 s, and with the
speaker unplugged for 2 s and plugged back; on PulseAudio and on PipeWire."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from audiolab.pipewire import PipeWireServer
from audiolab.pulse import PulseServer
from pbx import tones
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.events import AudioStatusReported
from softphone.domain.network import CallQualityReported
from support.app_harness import UiClient, running_app

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

PACKET_S = 0.020  # G.722 at 20 ms per RTP packet
OPEN_S = 3.0  # devices open and settle; measured from here
MEASURE_S = 15.0


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def mic_speech(pulse: PulseServer, tmp_path: Path) -> Iterator[None]:
    wav = tones.write_tone_wav(tmp_path / "mic.wav", 1000, 60.0, rate=48000, amplitude=0.3)
    player = pulse.play("mic", wav)
    yield
    player.terminate()
    player.wait(5)


class _TxLog:
    """(arrival time, RTP packets sent) of every call quality sample."""

    def __init__(self, app: SoftphoneApp) -> None:
        self.samples: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        app.bus.subscribe(CallQualityReported, self._keep)

    def _keep(self, event: CallQualityReported) -> None:
        with self._lock:
            self.samples.append((time.monotonic(), event.quality.tx_packets))

    def seconds_sent_per_second(self, start: float, end: float) -> tuple[float, float]:
        with self._lock:
            window = [s for s in self.samples if start <= s[0] <= end]
        assert len(window) >= 5, self.samples
        # The slope of a least-squares fit: one sample's arrival time is off by as much as the
        # engine loop's turn (or a starved engine's 60 ms), the fit over all of them is not.
        times = np.array([t for t, _ in window])
        sent = np.array([n * PACKET_S for _, n in window])
        slope = float(np.polyfit(times - times[0], sent, 1)[0])
        return slope, float(times[-1] - times[0])


def _rig(pulse: PulseServer, rig: str, engine_pid: int) -> Callable[[float], None]:
    """Set the rig up; returns what to do every 0.1 s, given the time into the measurement."""
    if rig == "loopback":
        # The echo rigs: the speaker's monitor looped back into the microphone, on a busy
        # machine: the engine gets no CPU for 60 ms now and then, so the speaker underruns
        # (PortAudio through ALSA's pulse plugin then called back at ~3x real time).
        pulse.add_loopback("speaker.monitor", "mic_feed", latency_ms=60)
        return lambda _at: _starve(engine_pid, 0.06)
    done: list[float] = []
    if rig == "replug":

        def replug(at: float) -> None:
            if at >= 3.0 and not done:
                done.append(time.monotonic())
                pulse.remove("speaker")  # its stream moves to another output, or fails
                time.sleep(2.0)
                pulse.add_output("speaker", "Test Speaker")

        return replug
    if rig != "stall":
        return lambda _at: None

    def stall(at: float) -> None:
        if at >= 3.0 and not done:
            done.append(time.monotonic())
            pulse.suspend("speaker")
            time.sleep(2.0)
            pulse.suspend("speaker", False)

    return stall


def _starve(pid: int, seconds: float) -> None:
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.usefixtures("mic_speech")
@pytest.mark.parametrize(
    ("rig", "pulse"),
    [
        ("plain", "pulseaudio"),
        ("loopback", "pulseaudio"),
        ("stall", "pulseaudio"),
        ("replug", "pulseaudio"),
        ("plain", "pipewire"),
        ("loopback", "pipewire"),
        ("stall", "pipewire"),
        ("replug", "pipewire"),
    ],
    indirect=["pulse"],
)
def test_audio_sent_during_a_call_is_as_long_as_the_call(
    rig: str,
    ui: UiClient,
    app: SoftphoneApp,
    pulse: PulseServer,
    pj_peer_factory: Callable[..., PjPeer],
) -> None:
    pj_peer_factory("1009", mode="echo")
    during = _rig(pulse, rig, app.engine.pid or 0)
    log = _TxLog(app)
    statuses: list[AudioStatusReported] = []
    app.bus.subscribe(AudioStatusReported, statuses.append)
    call_id = ui.dial_connected("1009")
    start = time.monotonic() + OPEN_S
    end = start + MEASURE_S
    while (now := time.monotonic()) < end + 1.0:
        during(now - start)
        time.sleep(0.1)
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)

    rate, span = log.seconds_sent_per_second(start, end)
    assert span > MEASURE_S - 2.0
    assert abs(rate - 1.0) <= 0.01, f"{rate:.3f} s of audio sent per second of call ({rig})"
    # A speaker underrunning all the time is said so (status, hence the UI, and the log).
    bursts = [s for s in statuses if s.running and s.underrun_burst]
    if rig == "loopback" and not isinstance(pulse, PipeWireServer):
        assert bursts, statuses
    elif rig == "plain":
        assert not bursts, bursts
