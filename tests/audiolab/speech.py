"""Speech-like test signals (16 kHz, float in -1..1) for the echo canceller's tests and bench.

Syllables of 120-300 ms with pauses: harmonics of a gliding pitch shaped by two formants,
some with a fricative. A steady tone would not do: its echo repeats every period, and no
canceller (nor a correlation that checks the echo path) can tell the delay of a periodic
signal."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16000


def speech_like(seconds: float, seed: int, level: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    pos = int(rng.uniform(0, 0.2) * RATE)
    while pos < len(out):
        n = int(rng.uniform(0.12, 0.3) * RATE)
        t = np.arange(n) / RATE
        f0 = rng.uniform(90, 230) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        formants = (rng.uniform(300, 900), rng.uniform(900, 2500))
        syllable = np.zeros(n)
        for k in range(1, 40):
            fk = k * float(f0.mean())
            if fk > 7000:
                break
            gain = sum(np.exp(-((fk - f) ** 2) / (2 * 150.0**2)) for f in formants) + 0.02
            syllable += gain / k**0.5 * np.sin(k * phase)
        envelope = np.sin(np.pi * np.arange(n) / n) ** 0.7
        syllable *= envelope
        if rng.random() < 0.4:
            syllable += np.diff(rng.normal(0, 1, n), prepend=0.0) * envelope * 0.3
        end = min(len(out), pos + n)
        out[pos:end] = syllable[: end - pos] / np.sqrt(np.mean(syllable**2))
        pos = end + int(rng.uniform(0.05, 0.6) * RATE)
    return np.clip(level * out, -1, 1)


def write_wav(path: Path, signal: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as src:
        rate = src.getframerate()
        data = np.frombuffer(src.readframes(src.getnframes()), "<i2")
        if src.getnchannels() > 1:
            data = data[:: src.getnchannels()]
    return data.astype(np.float64) / 32768.0, rate
