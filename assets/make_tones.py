"""Synthesise the app's sounds (ringtone, call-waiting beep, test sound) into assets/*.wav.

Run `python assets/make_tones.py` after changing a sound; the WAVs are committed. Mono 16-bit
24 kHz: clean up to 12 kHz, a fraction of a 48 kHz file's size. The ringer adds the pauses
between rings itself (it loops a sound with a period), so the files hold only the sound.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 24000
HERE = Path(__file__).resolve().parent


def bell(freq: float, seconds: float, decay: float) -> np.ndarray:
    """A soft struck-bell note: a few inharmonic-free partials, fast attack, exponential decay."""
    t = np.arange(int(seconds * RATE)) / RATE
    partials = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12), (4.0, 0.05))
    note = sum(a * np.sin(2 * np.pi * freq * k * t) for k, a in partials)
    attack = np.minimum(t / 0.006, 1.0)  # 6 ms: no click, still a clear onset
    return np.asarray(note * attack * np.exp(-t / decay))


def place(total_s: float, notes: list[tuple[float, np.ndarray]]) -> np.ndarray:
    out = np.zeros(int(total_s * RATE))
    for start_s, note in notes:
        start = int(start_s * RATE)
        end = min(len(out), start + len(note))
        out[start:end] += note[: end - start]
    return out


def fade_out(x: np.ndarray, seconds: float = 0.02) -> np.ndarray:
    n = int(seconds * RATE)
    x[-n:] *= np.linspace(1.0, 0.0, n)
    return x


def write(name: str, x: np.ndarray, peak: float) -> None:
    x = fade_out(x / np.max(np.abs(x)) * peak)
    pcm = np.round(x * 32767).astype("<i2")
    with wave.open(str(HERE / name), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def main() -> None:
    e5, c5, g5, c6 = 659.26, 523.25, 783.99, 1046.50
    # Ringtone: two pairs of a falling major third (E5-C5), like a two-tone door chime; the
    # ringer repeats it every 3 s.
    ring = place(
        1.6,
        [
            (0.0, bell(e5, 0.6, 0.18)),
            (0.22, bell(c5, 0.6, 0.18)),
            (0.55, bell(e5, 0.6, 0.18)),
            (0.77, bell(c5, 0.8, 0.25)),
        ],
    )
    write("ringtone.wav", ring, 0.8)
    # Call waiting: two short quiet 440 Hz beeps in the call's ear, repeated every 5 s.
    t = np.arange(int(0.15 * RATE)) / RATE
    beep = np.sin(2 * np.pi * 440 * t) * np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    write("call-waiting.wav", place(0.45, [(0.0, beep), (0.3, beep)]), 0.2)
    # Speaker test: a rising C major arpeggio, long enough to find the device playing it.
    test = place(
        1.5,
        [
            (0.0, bell(c5, 0.9, 0.3)),
            (0.18, bell(e5, 0.9, 0.3)),
            (0.36, bell(g5, 0.9, 0.3)),
            (0.54, bell(c6, 0.95, 0.35)),
        ],
    )
    write("test-sound.wav", test, 0.7)


if __name__ == "__main__":
    main()
