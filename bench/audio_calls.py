"""Call audio benchmarks on real device paths (a private PulseAudio with null devices):
mouth-to-ear delay, glitches over a long call with a busy UI, CPU with echo cancellation on
and off next to baresip's in the same call.

Mouth-to-ear: a duplex measurement stream plays a chirp into the app's microphone and records
the app's speaker; the app is in a call with an echoing pjsua2 peer, so the chirp comes back
after one trip through the app's capture path, the network and jitter buffers both ways, and
the app's playback path. The measurement's own device loop (the same duplex stream from a
null sink to its monitor, no app) is measured first and subtracted.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import sounddevice as sd

from audiolab.pipewire import PipeWireServer
from audiolab.pulse import PulseServer, pulse_server_env
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.commands import SetAudioRoute
from softphone.domain.events import AudioStatusReported
from support.app_harness import UiClient, running_app, sign_in

RATE = 16000
CHIRP_S = 0.4
PERIOD_S = 1.5


@dataclass(frozen=True)
class MouthToEar:
    round_trip_ms: float  # median, measurement loop subtracted
    round_trip_p90_ms: float
    loop_ms: float  # the measurement's own device loop, subtracted
    loop_drift_ms: float  # how much that loop differed before and after the call
    chirps: int


@dataclass(frozen=True)
class Glitches:
    minutes: float
    underruns: int
    overruns: int
    frames: int
    ui_commands: int


@dataclass(frozen=True)
class CallCpu:
    ec_on: float
    ec_off: float
    baresip_on: float
    baresip_off: float


def _chirp() -> np.ndarray:
    t = np.arange(int(CHIRP_S * RATE)) / RATE
    f0, f1 = 300.0, 3000.0
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / (2 * CHIRP_S) * t * t)
    return (np.sin(phase) * np.hanning(len(t)) * 0.5).astype(np.float32)


def _loop_lags(
    sink: str,
    source: str,
    seconds: float,
    started: threading.Event | None = None,
    timed: list[tuple[float, float]] | None = None,
) -> list[float]:
    """Play chirps to `sink` and record `source`; the delay of each chirp, ms.

    Two single-direction streams (ALSA's pulse plugin drops duplex streams, seen); PortAudio
    stamps every block with the time its first sample leaves the DAC / left the ADC, on one
    clock, so the delay is the difference of the two stamps of the chirp's samples."""
    chirp = _chirp()
    period = int(PERIOD_S * RATE)
    total = int(seconds * RATE)
    played = np.zeros(total, dtype=np.float32)
    starts = list(range(RATE // 2, total - period, period))
    for start in starts:
        played[start : start + len(chirp)] = chirp
    recorded = np.zeros(total + RATE * 2, dtype=np.float32)
    out_pos, in_pos = [0], [0]
    out_stamps: list[tuple[int, float]] = []  # (sample index, DAC time of that sample)
    in_stamps: list[tuple[int, float]] = []  # (sample index, ADC time of that sample)
    offsets: list[float] = []  # time.monotonic() minus PortAudio's stream time

    def on_output(outdata: Any, frames: int, t: Any, _s: Any) -> None:
        a = out_pos[0]
        b = min(a + frames, total)
        outdata[:] = 0
        outdata[: b - a, 0] = played[a:b]
        out_stamps.append((a, float(t.outputBufferDacTime)))
        offsets.append(time.monotonic() - float(t.currentTime))
        out_pos[0] = a + frames

    def on_input(indata: Any, frames: int, t: Any, _s: Any) -> None:
        a = in_pos[0]
        b = min(a + frames, len(recorded))
        recorded[a:b] = indata[: b - a, 0]
        in_stamps.append((a, float(t.inputBufferAdcTime)))
        in_pos[0] = a + frames

    saved = {k: os.environ.get(k) for k in ("PULSE_SINK", "PULSE_SOURCE")}
    os.environ["PULSE_SINK"], os.environ["PULSE_SOURCE"] = sink, source
    try:
        pulse = next(i for i, d in enumerate(sd.query_devices()) if d["name"] == "pulse")
        common: dict[str, Any] = {
            "samplerate": RATE,
            "blocksize": 320,
            "device": pulse,
            "channels": 1,
            "dtype": "float32",
            "latency": 0.1,
        }
        with (
            sd.InputStream(callback=on_input, **common),
            sd.OutputStream(callback=on_output, **common),
        ):
            deadline = time.monotonic() + seconds * 2 + 5
            if started is not None:
                started.set()
            while out_pos[0] < total + RATE:
                if time.monotonic() > deadline:
                    raise RuntimeError("the measurement streams stopped")
                time.sleep(0.1)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    lags = _chirp_delays(chirp, starts, recorded, out_stamps, in_stamps, timed=timed)
    if timed is not None and offsets:  # sent times on time.monotonic()'s clock
        offset = statistics.median(offsets)
        timed[:] = [(sent + offset, lag) for sent, lag in timed]
    return lags


def _chirp_delays(
    chirp: np.ndarray,
    starts: list[int],
    recorded: np.ndarray,
    out_stamps: list[tuple[int, float]],
    in_stamps: list[tuple[int, float]],
    *,
    timed: list[tuple[float, float]] | None = None,
) -> list[float]:
    period = int(PERIOD_S * RATE)
    out_index = np.array([i for i, _ in out_stamps])
    out_time = np.array([t for _, t in out_stamps])
    in_index = np.array([i for i, _ in in_stamps])
    in_time = np.array([t for _, t in in_stamps])
    lags = []
    for start in starts[1:]:  # the first chirp meets streams still starting up
        sent = float(np.interp(start, out_index, out_time))
        # The chirp comes back after the input stream's start: look for it by the clock.
        at = float(np.interp(sent, in_time, in_index))
        a = max(0, int(at))
        window = recorded[a : a + period]
        if len(window) < len(chirp):
            continue
        corr = np.correlate(window, chirp, mode="valid")
        peak = int(np.argmax(np.abs(corr)))
        if np.abs(corr[peak]) < 0.2 * float(np.dot(chirp, chirp)):
            continue  # lost
        heard = float(np.interp(a + peak, in_index, in_time))
        lags.append((heard - sent) * 1000)
        if timed is not None:
            timed.append((sent, (heard - sent) * 1000))
    return lags


@contextmanager
def _lab(work: Path, server_kind: str = "pulseaudio") -> Iterator[PulseServer]:
    """Null devices on a private audio server: PulseAudio, or PipeWire + pipewire-pulse +
    WirePlumber (`server_kind` "pipewire")."""
    pulse = (
        PipeWireServer(work / "pipewire")
        if server_kind == "pipewire"
        else PulseServer(work / "pulse")
    )
    pulse.start()
    try:
        pulse.add_output("speaker", "Bench Speaker")
        pulse.add_input("mic", "Bench Microphone")
        pulse.add_output("loop", "Measurement loop")
        pulse.set_default(sink="speaker", source="mic")
        with pulse_server_env(pulse):
            sd._terminate()  # PortAudio lists ALSA's "pulse" device only if it saw the server
            sd._initialize()
            yield pulse
    finally:
        pulse.stop()


@contextmanager
def _app_in_call(
    pbx: Kamailio, work: Path, number: str
) -> Iterator[tuple[SoftphoneApp, UiClient, str]]:
    with running_app(work / f"app-{number}", echo_cancellation=True) as app:
        ui = UiClient(app)
        try:
            assert sign_in(ui, pbx.port, "1001", pbx.users["1001"])["ok"]
            mark = ui.mark()
            call_id = str(ui.command("call.dial", number=number)["result"]["call_id"])
            ui.wait_call_state("connected", start=mark, timeout=15)
            time.sleep(2.5)  # the devices open and settle
            yield app, ui, call_id
            ui.command("call.hangup", call_id=call_id)
        finally:
            ui.close()


InCall = Callable[[Kamailio, Path, PulseServer], AbstractContextManager[object]]


def _app_caller(pbx: Kamailio, work: Path, _pulse: PulseServer) -> AbstractContextManager[object]:
    return _app_in_call(pbx, work, "1009")


def mouth_to_ear(
    pbx: Kamailio, work: Path, in_call: InCall = _app_caller, server_kind: str = "pulseaudio"
) -> MouthToEar:
    """`in_call`: the user agent measured, in a call with the echo peer (1009) on the lab's
    devices while the context is open; the app by default (bench_latency.py puts baresip
    there). `server_kind`: the lab's audio server (see _lab)."""
    with _lab(work, server_kind) as pulse:
        time.sleep(0.5)
        before = statistics.median(_loop_lags("loop", "loop.monitor", 8.0))
        with (
            PjPeer(pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=work / "echo"),
            in_call(pbx, work, pulse),
        ):
            lags = _loop_lags("mic_feed", "speaker.monitor", 20.0)
        # The loop after the call came back empty now and then (the streams still starting):
        # then the one before stands alone.
        after_lags = _loop_lags("loop", "loop.monitor", 8.0)
        after = statistics.median(after_lags) if after_lags else before
    loop = (before + after) / 2
    if not lags:
        raise RuntimeError("no chirp came back through the call")
    trips = sorted(lag - loop for lag in lags)
    return MouthToEar(
        statistics.median(trips),
        trips[int(len(trips) * 0.9)],
        loop,
        abs(after - before),
        len(trips),
    )


@dataclass(frozen=True)
class FirstSecond:
    first_ms: float  # round trip of the first chirp sent >= 0.3 s after "connected"
    first_at_s: float  # when that chirp was sent, after "connected"
    steady_ms: float  # median round trip of the chirps sent 8 s or more after "connected"
    early_ms: tuple[float, ...]  # every chirp of the first 5 s


def first_second(pbx: Kamailio, work: Path, server_kind: str = "pulseaudio") -> FirstSecond:
    """Chirps run before the call is dialled; each one's round trip by when it was sent,
    counted from the moment the app says "connected" (PortAudio's stamps put on
    time.monotonic()'s clock by the offset seen in the callbacks). `server_kind`: see _lab."""
    timed: list[tuple[float, float]] = []
    with _lab(work, server_kind) as _pulse:
        time.sleep(0.5)
        loop = statistics.median(_loop_lags("loop", "loop.monitor", 6.0))
        with (
            PjPeer(pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=work / "echo"),
            running_app(work / "app-first", echo_cancellation=True) as app,
        ):
            ui = UiClient(app)
            try:
                assert sign_in(ui, pbx.port, "1001", pbx.users["1001"])["ok"]
                started = threading.Event()
                chirps = threading.Thread(
                    target=_loop_lags,
                    args=("mic_feed", "speaker.monitor", 24.0, started, timed),
                    daemon=True,
                )
                chirps.start()
                started.wait(10)
                time.sleep(1.0)
                mark = ui.mark()
                call_id = str(ui.command("call.dial", number="1009")["result"]["call_id"])
                ui.wait_call_state("connected", start=mark, timeout=15)
                connected = time.monotonic()
                chirps.join(60)
                ui.command("call.hangup", call_id=call_id)
            finally:
                ui.close()
    after = sorted((sent - connected, lag - loop) for sent, lag in timed if sent >= connected)
    first = next(((at, lag) for at, lag in after if at >= 0.3), None)
    steady = [lag for at, lag in after if at >= 8.0]
    if first is None or not steady:
        raise RuntimeError(f"too few chirps came back: {after}")
    return FirstSecond(
        first[1], first[0], statistics.median(steady), tuple(lag for at, lag in after if at < 5)
    )


def glitches(pbx: Kamailio, work: Path, minutes: float) -> Glitches:
    """A long call with the UI busy (history and directory queries without pause)."""
    statuses: list[AudioStatusReported] = []
    with (
        _lab(work) as pulse,
        PjPeer(pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=work / "echo2"),
        _app_in_call(pbx, work, "1009") as (app, _ui, _call),
    ):
        app.bus.subscribe(AudioStatusReported, statuses.append)
        tone = work / "speech.wav"
        _write_noise_bursts(tone, minutes * 60 + 10)
        player = pulse.play("mic", tone)
        stop = threading.Event()
        count = [0]

        def busy() -> None:
            client = UiClient(app)
            try:
                while not stop.is_set():
                    client.command("history.list", limit=100)
                    client.command("directory.search", query="a")
                    count[0] += 2
            finally:
                client.close()

        worker = threading.Thread(target=busy, daemon=True)
        worker.start()
        time.sleep(8.0)  # let the status after the start-up land; counted from here
        start = statuses[-1] if statuses else AudioStatusReported(running=True)
        time.sleep(minutes * 60)
        stop.set()
        worker.join(10)
        player.terminate()
        player.wait(5)
        time.sleep(5.5)  # one more periodic report
        end = statuses[-1]
    return Glitches(
        minutes,
        end.underruns - start.underruns,
        end.overruns - start.overruns,
        end.frames - start.frames,
        count[0],
    )


def _write_noise_bursts(path: Path, seconds: float) -> None:
    """Speech-like input: bursts of filtered noise with pauses."""
    rng = np.random.default_rng(7)
    n = int(seconds * 48000)
    x = rng.normal(0, 0.15, n)
    envelope = (np.sin(np.arange(n) / 48000 * 2 * np.pi * 0.7) > 0).astype(np.float64)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes((x * envelope * 32767).clip(-32767, 32767).astype("<i2").tobytes())


def _cpu(procs: list[psutil.Process], seconds: float) -> list[float]:
    before = [sum(p.cpu_times()[:2]) for p in procs]
    time.sleep(seconds)
    return [
        100.0 * (sum(p.cpu_times()[:2]) - b) / seconds for p, b in zip(procs, before, strict=True)
    ]


def call_cpu(pbx: Kamailio, work: Path, seconds: float = 20.0) -> CallCpu:
    """One call to baresip: the engine process's CPU and baresip's, EC on then off."""
    with (
        _lab(work),
        Baresip(
            pbx.port, "1002", pbx.users["1002"], answermode="auto", work_dir=work / "bs"
        ) as peer,
        _app_in_call(pbx, work, "1002") as (app, _ui, _call),
    ):
        engine = psutil.Process(app.engine.pid or 0)
        baresip = psutil.Process(peer.pid or 0)
        on = _cpu([engine, baresip], seconds)
        app.engine.send(SetAudioRoute(echo_cancellation=False))
        time.sleep(3.0)
        off = _cpu([engine, baresip], seconds)
    return CallCpu(on[0], off[0], on[1], off[1])
