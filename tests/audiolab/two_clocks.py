"""What a microphone on one crystal hears of a speaker on another: the speaker's samples come
out `ppm` faster (or slower) than the microphone takes them, so the echo's delay creeps.

Each microphone sample reads the played audio at its own instant, between two of the
speaker's samples where it falls (windowed-sinc interpolation, 32 taps: flat to 7 kHz at
16 kHz, where linear interpolation would filter the echo differently at each instant)."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

_HALF_TAPS = 16


def heard_at(played: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`played` read at fractional sample `positions` (silence outside it)."""
    whole = np.floor(positions).astype(int)
    fraction = positions - whole
    padded = np.concatenate([np.zeros(2 * _HALF_TAPS), played, np.zeros(2 * _HALF_TAPS)])
    out = np.zeros(len(positions))
    for tap in range(1 - _HALF_TAPS, _HALF_TAPS + 1):
        x = tap - fraction
        weight = np.sinc(x) * (0.5 + 0.5 * np.cos(np.pi * x / (_HALF_TAPS + 0.5)))
        index = whole + tap + 2 * _HALF_TAPS
        inside = (index >= 0) & (index < len(padded))
        out[inside] += weight[inside] * padded[index[inside]]
    return out


def echo_on_another_clock(
    played: np.ndarray, seconds: float, rate: int, *, delay_ms: float, ppm: float, gain_db: float
) -> np.ndarray:
    """The microphone's `seconds` of echo: its sample m, taken at m / rate, hears what the
    speaker played delay_ms before, the speaker's sample (m / rate - delay) * rate * (1 + ppm)."""
    instants = np.arange(int(seconds * rate)) / rate - delay_ms / 1000
    return 10 ** (gain_db / 20) * heard_at(played, instants * rate * (1 + ppm * 1e-6))


def cancelled_on_two_clocks(
    canceller: Any, far: np.ndarray, mic: np.ndarray, ppm: float, frame: int
) -> np.ndarray:
    """The microphone's audio after `canceller`, fed as the device callbacks would: before
    the microphone's k-th frame the speaker has played (k + 1) * (1 + ppm) frames of `far`."""
    buffer = ctypes.create_string_buffer(frame * 2)
    far16 = (np.clip(far, -1, 1) * 32767).astype("<i2")
    mic16 = (np.clip(mic, -1, 1) * 32767).astype("<i2")
    out = np.zeros(len(mic) // frame * frame)
    played = 0
    for k in range(len(out) // frame):
        while played < (k + 1) * (1 + ppm * 1e-6) and (played + 1) * frame <= len(far16):
            ctypes.memmove(
                buffer, far16[played * frame : (played + 1) * frame].tobytes(), frame * 2
            )
            canceller.playback(ctypes.addressof(buffer))
            played += 1
        ctypes.memmove(buffer, mic16[k * frame : (k + 1) * frame].tobytes(), frame * 2)
        canceller.capture(ctypes.addressof(buffer))
        out[k * frame : (k + 1) * frame] = np.frombuffer(buffer.raw, "<i2") / 32767
    return out
