"""Clock drift over a simulated 60-minute call: the microphone's clock runs ±500 ppm off the
speaker's, and the microphone-to-call delay must stay bounded (target: under 60 ms).

Drives the engine's real ConferenceClock (pjmedia's bridge and delay buffer) without devices
and without waiting: an hour of 20 ms frames takes seconds. Impulses every 0.5 s of
microphone time are looked for in what the bridge plays (the microphone is looped to the
speaker on the bridge), so each gives the delay at that moment.
"""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

import pjsua2 as pj  # noqa: E402

from softphone.engine.device_clock import ConferenceClock  # noqa: E402
from softphone.engine.sound import CLOCK_RATE, FRAME_MS, FRAME_SAMPLES  # noqa: E402

IMPULSE_EVERY = CLOCK_RATE // 2


@dataclass(frozen=True)
class DriftResult:
    ppm: float
    minutes: float
    first_10min_median_ms: float
    last_10min_median_ms: float
    max_ms: float


def _endpoint() -> pj.Endpoint:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    cfg.medConfig.clockRate = CLOCK_RATE
    cfg.medConfig.sndClockRate = CLOCK_RATE
    cfg.medConfig.audioFramePtime = FRAME_MS  # the engine's bridge frame (engine/sound.py)
    ep.libInit(cfg)
    ep.libStart()
    return ep


def measure(
    ppms: tuple[float, ...] = (500.0, -500.0, 0.0), minutes: float = 60.0
) -> list[DriftResult]:
    ep = _endpoint()
    results = []
    try:
        devices = ep.audDevManager()
        for ppm in ppms:
            devices.setNullDev()
            clock = ConferenceClock(CLOCK_RATE, FRAME_SAMPLES)
            clock.attach(echo=None, own_clock=False)
            devices.getCaptureDevMedia().startTransmit(devices.getPlaybackDevMedia())
            ep.libHandleEvents(10)  # the bridge applies connections on its next turn
            results.append(_run(clock, ppm, minutes))
            devices.getCaptureDevMedia().stopTransmit(devices.getPlaybackDevMedia())
            clock.detach()
    finally:
        ep.libDestroy()
    return results


def _run(clock: ConferenceClock, ppm: float, minutes: float) -> DriftResult:
    clock.enter_audio_thread()
    mic = (ctypes.c_int16 * FRAME_SAMPLES)()
    speaker = (ctypes.c_int16 * FRAME_SAMPLES)()
    speaker_np = np.frombuffer(speaker, dtype=np.int16)
    ratio = 1.0 + ppm / 1e6
    frames = int(minutes * 60 * CLOCK_RATE / FRAME_SAMPLES)
    mic_frames = 0
    heard: list[int] = []  # speaker sample index of each impulse heard
    for i in range(frames):
        while mic_frames < (i + 1) * ratio:  # the mic delivers `ratio` frames per speaker frame
            ctypes.memset(mic, 0, FRAME_SAMPLES * 2)
            offset = (-mic_frames * FRAME_SAMPLES) % IMPULSE_EVERY
            if offset < FRAME_SAMPLES:
                mic[offset] = 20000
            clock.put_capture(ctypes.addressof(mic))
            mic_frames += 1
        clock.tick()  # simulated time: the bridge clock ticks once per speaker frame
        clock.get_playback(ctypes.addressof(speaker))
        loud = np.flatnonzero(speaker_np > 5000)
        if len(loud):
            heard.append(i * FRAME_SAMPLES + int(loud[0]))
    at = np.array(heard, dtype=np.float64)
    period = IMPULSE_EVERY / ratio  # impulse spacing in speaker samples
    delays_ms = (at - np.round(at / period) * period) / CLOCK_RATE * 1000
    # The rounding above assumes |delay| < period / 2 (250 ms): any larger would be a failure
    # anyway, and shows as a jump of the median.
    minute = at / CLOCK_RATE / 60
    first = delays_ms[minute < 10]
    last = delays_ms[minute >= minutes - 10]
    return DriftResult(
        ppm,
        minutes,
        float(np.median(first)),
        float(np.median(last)),
        float(delays_ms[minute >= 1].max()),
    )


if __name__ == "__main__":
    for r in measure():
        print(r)
