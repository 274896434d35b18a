"""The echo canceller measured end to end: a far-end pjsua2 peer plays speech through
Kamailio to the app, whose speaker's monitor goes back into its microphone through an
EchoPath (a loopback in the audio server: known delay and gain); the peer records what the
app sends. Echo at the far end with cancellation on against off gives ERLE; near-end speech
mixed in during the far end's speech gives the double-talk loss.

The echo path is checked as each call runs (echo_path.py --probe records the speaker's
monitor and the microphone together): the echo's delay, gain and correlation, which the
numbers are reported against. Used by
tests/integration/test_echo_cancellation.py and bench/bench_echo.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from audiolab import echo_path
from audiolab.echo_path import RATE, EchoPath, EchoSpec, Timeline, marker
from audiolab.pulse import PulseServer
from audiolab.speech import read_wav
from pbx.pj_peer_proc import PjPeer
from support.app_harness import UiClient

PROBE_AFTER_S = 2.5  # after "connected": the app's devices run and the latencies settled
# The probe's streams open this long before the call is dialled and stay until it ended, so
# no stream joins or leaves the speaker's monitor mid-call (where it may move the server's
# latencies). Not shown to matter: the half second AEC3 lets through 1.5-2 s after the first
# sound came as well with the probe joining at 2.5 s (PipeWire, 2026-12-05).
PROBE_EARLY_S = 1.0
PROBE_CONNECT_S = 15.0  # the longest a call may take to connect
# The marker found at less than this normalised correlation is not the marker (36 bench calls
# with the far end silent around it: 0.74-1.0; 0.5-0.6 or nothing where a canceller had cut it).
MARKER_FOUND = 0.7
MARKER_SLIP_S = 0.02  # the halves of the marker this far apart: two different sounds
T = TypeVar("T")
MARKER_RETRIES = 1  # a pair whose recording the rig refused is made again this many times


@dataclass(frozen=True)
class PathCheck:
    delay_ms: float  # speaker to microphone, the measurement's own loop subtracted
    gain_db: float  # echo level against the speaker's
    correlation: float  # normalised peak of the cross-correlation (1: a pure delayed copy)
    # How far the delay moved over the probe (largest less smallest look): a loopback whose
    # latency creeps is no fixed echo, and the canceller's numbers would be the rig's.
    spread_ms: float = 0.0


@dataclass(frozen=True)
class FarEnd:
    """What the far end received in one call, laid on the echo path's timeline."""

    signal: np.ndarray
    offset: int  # index of the timeline's 0 in `signal` (found from the marker)
    path: PathCheck | None = None  # the echo path as measured during the call
    cpu_percent: float = 0.0  # of the process cpu_seconds gave, over the call
    late_ms: int = 0  # near end and marker the echo path dropped rather than play late

    def window(self, start_s: float, end_s: float) -> np.ndarray:
        a = self.offset + round(start_s * RATE)
        b = self.offset + round(end_s * RATE)
        if a < 0 or b > len(self.signal):
            raise ValueError(f"window {start_s}-{end_s} s outside the recording")
        return self.signal[a:b]


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-12))


def _lag(reference: np.ndarray, recorded: np.ndarray, max_lag: int) -> tuple[int, float, float]:
    """(lag in samples, normalised correlation, gain in dB) of `reference` in `recorded`."""
    n = len(reference)
    size = 1 << int(np.ceil(np.log2(n + max_lag + n)))
    spec = np.fft.irfft(
        np.fft.rfft(recorded[: n + max_lag], size) * np.conj(np.fft.rfft(reference, size)), size
    )[:max_lag]
    lag = int(np.argmax(np.abs(spec)))
    segment = recorded[lag : lag + n]
    corr = float(spec[lag] / (np.linalg.norm(reference) * np.linalg.norm(segment) + 1e-12))
    gain = level_db(segment) - level_db(reference)
    return lag, corr, gain


def _start_probe(pulse: PulseServer, seconds: float, events: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            echo_path.__file__,
            "--probe",
            "speaker.monitor,mic",
            "--seconds",
            str(seconds),
            "--events",
            str(events),
        ],
        env=pulse.env(),
    )


def _probed(events: Path, start: float, seconds: float) -> PathCheck:
    """The echo path over `seconds` of what the probe recorded from `start` (monotonic) on."""
    clocks = json.loads(events.read_text())
    x = np.load(events.with_suffix(".speaker.monitor.npy")) / 32768.0
    y = np.load(events.with_suffix(".mic.npy")) / 32768.0
    # y's sample taken when x's sample 0 was: the two fitted clocks' starts apart.
    shift = round((clocks["speaker.monitor"]["start"] - clocks["mic"]["start"]) * RATE)
    first = max(0, -shift, round((start - clocks["speaker.monitor"]["start"]) * RATE))
    last = min(len(x), first + round(seconds * RATE))
    looks = []  # second by second: a path that moved a few ms in between still counts
    for begin in range(first, last - 2 * RATE, RATE // 2):
        reference = x[begin : begin + RATE]
        if np.sqrt(np.mean(reference**2)) < 0.01:
            continue  # a pause in the far end's speech
        looks.append(_lag(reference, y[begin + shift :], RATE // 2))
    if len(looks) < 3:
        raise RuntimeError("the probe heard too little of the speaker")
    lag, corr, gain = (float(np.median([look[k] for look in looks])) for k in range(3))
    lags = [look[0] for look in looks]
    return PathCheck(lag * 1000 / RATE, gain, corr, (max(lags) - min(lags)) * 1000 / RATE)


def _probe_seconds(timeline: Timeline) -> float:
    """The probe covers the far end alone up to the jump (the ERLE window), else to the marker
    (near-end speech after `near_at` does not hide the speaker's copy in the microphone)."""
    until = timeline.jump_at if timeline.jump_at is not None else timeline.marker_at
    return max(3.0, until - PROBE_AFTER_S)


class MarkerNotFoundError(ValueError):
    """The far end's recording does not hold the marker whole: its timeline is unknown."""


def far_end_of(recording: Path, timeline: Timeline, path: PathCheck | None = None) -> FarEnd:
    signal, rate = read_wav(recording)
    if rate != RATE:
        raise ValueError(f"the far end recorded at {rate} Hz")
    chirp = marker()
    start = max(0, round((timeline.marker_at - 3.0) * RATE))
    # Each half of the chirp on its own: the path may slip a few samples inside it (pjmedia's
    # delay buffer, a drift correction: a 1.4 ms step between the halves took the whole
    # chirp's likeness to 0.63 while each half gave 0.997 and 1.0, seen in an off call).
    half = len(chirp) // 2
    looks = [_likeness(signal, start, chirp[:half]), _likeness(signal, start, chirp[half:])]
    (first, similar_first), (second, similar_second) = looks
    similar = min(similar_first, similar_second)
    slip = abs(second - half - first)
    if similar < MARKER_FOUND or slip > MARKER_SLIP_S * RATE:
        raise MarkerNotFoundError(
            f"no marker in {recording.name}: halves' likeness {similar_first:.2f} and"
            f" {similar_second:.2f}, {slip * 1000 / RATE:.1f} ms apart"
        )
    return FarEnd(signal, first - round(timeline.marker_at * RATE), path)


def _likeness(signal: np.ndarray, start: int, part: np.ndarray) -> tuple[int, float]:
    """Where `part` fits `signal` best after `start`, and how well (normalised, 0..1).
    Either polarity: some calls, with cancellation on or off, gave the far end everything
    inverted (peaks of -0.82 to -0.89); a sign nobody hears, left alone."""
    spec = np.abs(np.correlate(signal[start:], part, mode="valid"))
    found = start + int(np.argmax(spec))
    heard = signal[found : found + len(part)]
    norm = np.linalg.norm(part) * np.linalg.norm(heard) + 1e-12
    return found, float(spec[found - start] / norm)


def echo_call(
    ui: UiClient,
    pulse: PulseServer,
    peer: PjPeer,
    path: EchoPath,
    work: Path,
    *,
    echo_cancellation: bool,
    timeline: Timeline,
    cpu_seconds: Callable[[], float] = lambda: 0.0,
) -> FarEnd:
    """One call to `peer` (playing far-end speech) through the running echo path; returns what
    the peer received."""
    assert ui.command("audio.configure", echo_cancellation=echo_cancellation)["ok"]
    work.mkdir(parents=True, exist_ok=True)
    before, runs = len(peer.status().get("finished", [])), path.timelines_done()
    path.wait_ready(timeout=10)  # the timeline starts at the far end's first sound
    # The echo path as the call runs: the speaker's far-end speech against the microphone,
    # once the app's devices run (while they open, the server's latencies still move), up
    # to the jump (after it the path is another one) or the marker.
    measure_s = _probe_seconds(timeline)
    # Stopped once the call is over (its streams leaving mid-call would move latencies too).
    probe = _start_probe(
        pulse, PROBE_EARLY_S + PROBE_CONNECT_S + timeline.end + 30, work / "probe.json"
    )
    try:
        time.sleep(PROBE_EARLY_S)
        began, cpu = time.monotonic(), cpu_seconds()
        mark = ui.mark()
        reply = ui.command("call.dial", number=peer.user)
        assert reply["ok"], reply
        call_id = str(reply["result"]["call_id"])
        ui.wait_call_state("connected", start=mark, timeout=PROBE_CONNECT_S)
        connected = time.monotonic()
        path.wait(runs + 1, timeout=timeline.end + 30)
        time.sleep(0.5)  # the marker's last frames reach the far end
        mark = ui.mark()
        assert ui.command("call.hangup", call_id=call_id)["ok"]
        ui.wait_call_state("ended", start=mark)
    finally:
        probe.terminate()
        probe.wait(30)
    cpu_percent = 100 * (cpu_seconds() - cpu) / (time.monotonic() - began)
    peer.wait_until(lambda s: len(s.get("finished", [])) > before, timeout=10)
    measured = _probed(work / "probe.json", connected + PROBE_AFTER_S, measure_s)
    recording = Path(peer.status()["finished"][-1]["recording"])
    late_ms = path.late_ms(runs)
    try:
        far_end = far_end_of(recording, timeline, measured)
    except MarkerNotFoundError as exc:
        raise MarkerNotFoundError(f"{exc}; the rig dropped {late_ms} ms as late") from None
    return replace(far_end, cpu_percent=cpu_percent, late_ms=late_ms)


def calls_off_and_on(
    ui: UiClient,
    pulse: PulseServer,
    peer: PjPeer,
    work: Path,
    *,
    delay_ms: int,
    gain_db: float,
    timeline: Timeline,
    near: Path | None = None,
    cpu_seconds: Callable[[], float] = lambda: 0.0,
    refused: list[str] | None = None,
) -> dict[bool, FarEnd]:
    """A call with echo cancellation off and one with it on, through one echo path (a
    loopback in the server) whose delay is `delay_ms`; each FarEnd carries the path as
    measured in its call (within a few ms of what was asked: PulseServer.loopback_own_ms).

    A pair whose recording the rig refuses (the marker not whole, so no timeline: 2 bench
    runs of about 20 and one test call, in calls with cancellation on and off alike) is made
    again, up to MARKER_RETRIES times; why it was refused goes into `refused`. The pair says
    nothing of the app then, only that the rig lost its marker."""

    def pair(attempt_work: Path) -> dict[bool, FarEnd]:
        with EchoPath(
            pulse,
            "speaker.monitor",
            "mic_feed",
            spec=EchoSpec(delay_ms, gain_db),
            timeline=timeline,
            work=attempt_work / "path",
            near=near,
        ) as path:
            return {
                on: echo_call(
                    ui,
                    pulse,
                    peer,
                    path,
                    attempt_work / f"call-{'on' if on else 'off'}",
                    echo_cancellation=on,
                    timeline=timeline,
                    cpu_seconds=cpu_seconds,
                )
                for on in (False, True)
            }

    return made_again_if_refused(pair, work, refused)


def made_again_if_refused(
    make: Callable[[Path], T], work: Path, refused: list[str] | None = None
) -> T:
    """`make(work / "try-N")`, made again (up to MARKER_RETRIES times) while the rig refuses
    its recording; each refusal's reason goes into `refused`."""
    for attempt in range(MARKER_RETRIES + 1):
        try:
            return make(work / f"try-{attempt + 1}")
        except MarkerNotFoundError as exc:
            if refused is not None:
                refused.append(str(exc))
            if attempt == MARKER_RETRIES:
                raise
    raise AssertionError("unreachable")


def near_gain_db(
    far_end: FarEnd, near: np.ndarray, near_at: float, start_s: float, end_s: float
) -> float:
    """Level of near-end speech (mixed in from `near_at` on the timeline) in the far end's
    window against what was mixed in there, over the samples where the near end talks
    (aligned by correlation, within 50 ms of the timeline)."""
    window = far_end.window(start_s - 0.05, end_s + 0.05)
    sent = near[round((start_s - near_at) * RATE) : round((end_s - near_at) * RATE)]
    lag, _corr, _gain = _lag(sent, window, RATE // 10)
    got = window[lag : lag + len(sent)]
    talking = np.abs(sent) > 1e-3
    return level_db(got[talking]) - level_db(sent[talking])
