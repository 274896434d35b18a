"""Where the echo's delay jumps in a call, so the canceller's reference can follow at once."""

# Found by correlating the reference with the microphone (GCC-PHAT).
#
# Why: AEC3 takes about 2.5 s to find a new delay after the echo path's delay changes (measured
# offline at every delay from 20 to 290 ms, 0-24 dB let through meanwhile), and it has no
# setting to be quicker (livekit exposes four switches). Moved by as much as the echo moved, the
# reference keeps the delay AEC3 already knows, and its filter goes on cancelling: offline, 40 ms
# jumps at 20-250 ms (18 calls, with and without room reverberation), ERLE over the 2-8 s after
# the jump 41-57 dB (median 54) against 18-54 (median 40) with AEC3 alone; the reference
# moves 0.5-0.8 s after the jump (the time to be sure of it).
#
# Only changes are followed. Delaying the reference from the call's start so that AEC3 sees a
# short delay was tried and cost the first seconds (ERLE over 2-12 s 21-53 dB, median 38-45,
# against 35-53, median 52, in the same calls: AEC3 starts over when its delay changes), so the
# first delay found is AEC3's own and later ones are mirrored relative to it. An echo that comes
# sooner than that is met only with the speaker's audio already queued (read ahead); else it is
# left to AEC3. Each correlation's delay, measured between samples, also feeds the line the
# clocks' drift is followed by (engine/echo_drift.py).
#
# numpy is imported by livekit anyway when a call's canceller is made; this module is imported
# only then (engine/echo.py).

from __future__ import annotations

from collections import deque

import numpy as np

_RATE = 8000  # the correlation's rate: speech's energy is below 4 kHz
_WINDOW_S = 0.5  # microphone audio correlated each time
_MAX_DELAY_S = 0.5  # the longest echo looked for (behind the reference)
_EVERY_S = 0.1  # how often
_BAND_HZ = (150.0, 3600.0)
# PHAT-beta weighting: the cross spectrum divided by its magnitude to this power; with the
# second-peak rule below, 0.8 found no wrong delay in 24 offline calls (12 with double talk)
# and every jump within 0.6 s; pure PHAT (1.0) without the rule found 5 wrong ones (peaks at the
# range's ends in the far end's pauses), 0.8 without it 11.
_BETA = 0.8
# A delay counts when its peak stands out of the correlation (peak over RMS of the rest) and
# over the next highest peak (a periodic signal, a tone, has many equal ones)...
_MIN_PROMINENCE = 8.0
_MIN_OVER_SECOND = 1.5
# ...and the same delay (within _AGREE_S) comes out of correlations in a row: two if the
# microphone, moved back by it, is clearly the reference (correlation coefficient over
# _CLEAR), else five (0.5 s). Two speech-like signals that were not each other's echo (the
# bench's near end and far end, its echo cut off) gave one wrong delay 2-3 times in a row, at
# 0.26-0.30; a true echo gives 0.9-1.0 alone and 0.15-0.5 under near-end speech. Five in a row
# for all followed a jump 1.3-1.7 s after it in the bench, and AEC3 had begun to move its own
# delay by then (0-19 dB for 1.5 s after the reference moved); two clear ones take 0.5-0.7 s.
_CLEAR = 0.6
_CONFIRMATIONS_CLEAR = 2
_CONFIRMATIONS = 5
_AGREE_S = 0.001
_EDGE_S = 0.001  # peaks at the ends of the range are artefacts of the far end's pauses
# How far one stream may run ahead of the other (the canceller queues at most 200 ms).
_SLACK_S = 0.25
# Quieter than this (mean square, full scale 1) and there is nothing to correlate.
_MIN_REFERENCE_POWER = 1e-7  # -70 dBFS
_MIN_MICROPHONE_POWER = 1e-8  # -80 dBFS


class EchoDelayTracker:
    """Fed the reference and the microphone as the canceller gets them (16-bit mono, the
    bridge's rate); `microphone()` returns the echo's delay in samples of the bridge's rate
    when a new one is confirmed, else None.

    The two streams are paired by count, the n-th reference sample with the n-th microphone
    sample, as AEC3 pairs them: when the reference comes in a burst (the canceller paying
    speaker audio it owed), AEC3 buffers it and keeps its delay (seen offline: no loss), so
    the ends of the two histories are not the same instant."""

    def __init__(self, clock_rate: int) -> None:
        self._step = max(1, clock_rate // _RATE)
        rate = clock_rate / self._step
        self._window = int(_WINDOW_S * rate)
        self._max_lag = int(_MAX_DELAY_S * rate)
        self._every = int(_EVERY_S * clock_rate)
        self._agree = max(1, round(_AGREE_S * rate))
        self._edge = max(1, round(_EDGE_S * rate))
        self._size = 1 << (2 * self._window + self._max_lag - 1).bit_length()
        freqs = np.fft.rfftfreq(self._size, 1 / rate)
        self._band = (freqs > _BAND_HZ[0]) & (freqs < _BAND_HZ[1])
        self._fine_size = 2 * self._window
        fine = np.fft.rfftfreq(self._fine_size, 1 / rate)
        self._fine_band = (fine > _BAND_HZ[0]) & (fine < _BAND_HZ[1])
        self._fine_omega = 2 * np.pi * fine[self._fine_band] / rate  # radians per sample
        slack = int(_SLACK_S * rate)
        self._reference = _History(self._window + self._max_lag + slack)
        self._microphone = _History(self._window + slack)
        self._since = 0  # bridge samples of microphone since the last correlation
        self._candidate: int | None = None
        self._agreeing = 0  # correlations in a row that gave the candidate
        self._clear = True  # all of them clearly
        self.delay: int | None = None  # the confirmed delay, bridge samples
        # This call's correlation: the delay (bridge samples, between correlation samples),
        # its likeness and where in the reference the matched audio was (its middle, bridge
        # samples); None when none ran or it found no delay. What engine/echo_drift.py follows.
        self.measurement: tuple[float, float, int] | None = None

    def reference(self, samples: bytes | bytearray) -> None:
        self._reference.push(self._decimate(samples))

    def microphone(self, samples: bytes | bytearray) -> int | None:
        self._microphone.push(self._decimate(samples))
        self._since += len(samples) // 2
        self.measurement = None
        if self._since < self._every:
            return None
        self._since = 0
        found = self._correlate()
        if found is None:
            self._candidate, self._agreeing = None, 0
            return None
        between, likeness, middle = found
        self.measurement = (between * self._step, likeness, middle * self._step)
        lag = round(between)
        agreed = self._candidate is not None and abs(lag - self._candidate) <= self._agree
        self._agreeing = self._agreeing + 1 if agreed else 1
        self._clear = (self._clear or not agreed) and likeness >= _CLEAR
        self._candidate = lag
        delay = lag * self._step
        confirmed = self._agreeing >= _CONFIRMATIONS or (
            self._clear and self._agreeing >= _CONFIRMATIONS_CLEAR
        )
        if confirmed and (self.delay is None or abs(delay - self.delay) > self._agree * self._step):
            self.delay = delay
            return delay
        return None

    def _decimate(self, samples: bytes | bytearray) -> np.ndarray:
        pcm = np.frombuffer(samples, "<i2").astype(np.float32) / 32768.0
        usable = len(pcm) // self._step * self._step
        decimated: np.ndarray = pcm[:usable].reshape(-1, self._step).mean(axis=1)
        return decimated

    def _correlate(self) -> tuple[float, float, int] | None:
        """The microphone's lag behind the reference (correlation samples, between two where
        the peak's neighbours say so), the correlation coefficient of the two at that lag and
        the reference's sample count at the middle of what matched, if the peak stands out."""
        end = min(self._reference.total, self._microphone.total)
        reference = self._reference.until(end, self._window + self._max_lag)
        microphone = self._microphone.until(end, self._window)
        if reference is None or microphone is None:
            return None
        if (
            float(np.mean(reference[-self._window - self._max_lag // 2 :] ** 2))
            < _MIN_REFERENCE_POWER
            or float(np.mean(microphone**2)) < _MIN_MICROPHONE_POWER
        ):
            return None
        cross = np.fft.rfft(reference, self._size) * np.conj(np.fft.rfft(microphone, self._size))
        weighted = np.where(self._band, cross / (np.abs(cross) ** _BETA + 1e-12), 0)
        # correlation[m]: the microphone matches the reference m samples into it, i.e. lags
        # it by max_lag - m.
        # Magnitudes: a speaker or microphone may invert the signal.
        correlation = np.abs(np.fft.irfft(weighted, self._size)[: self._max_lag + 1])
        best = int(np.argmax(correlation))
        if best < self._edge or best > self._max_lag - self._edge:
            return None
        rest = np.ones(len(correlation), bool)  # all but the peak itself (+-2 ms)
        rest[max(0, best - 2 * self._agree) : best + 2 * self._agree + 1] = False
        peak = float(correlation[best])
        if peak < _MIN_PROMINENCE * float(np.sqrt(np.mean(correlation[rest] ** 2))):
            return None
        if peak < _MIN_OVER_SECOND * float(np.max(correlation[rest])):
            return None
        aligned = reference[best : best + self._window]
        energy = float(np.dot(microphone, microphone) * np.dot(aligned, aligned))
        likeness = abs(float(np.dot(microphone, aligned))) / np.sqrt(energy) if energy > 0 else 0.0
        # The peak's true place between two correlation samples, from the slope of the phase
        # of the matched audio's cross spectrum: a sample of the bridge's rate matters to AEC3
        # (engine/echo_drift.py).
        matched = (
            np.fft.rfft(aligned, self._fine_size)
            * np.conj(np.fft.rfft(microphone, self._fine_size))
        )[self._fine_band]
        phase = np.angle(matched)
        weight = np.abs(matched)
        offset = -float(
            np.sum(weight * self._fine_omega * phase) / np.sum(weight * self._fine_omega**2)
        )
        lag = self._max_lag - best
        return lag - offset, likeness, end - lag - self._window // 2


class _History:
    """The last `keep` or more samples of a stream, addressed by the stream's sample count."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._chunks: deque[np.ndarray] = deque()
        self._held = 0
        self.total = 0  # samples pushed since the start

    def push(self, chunk: np.ndarray) -> None:
        self._chunks.append(chunk)
        self._held += len(chunk)
        self.total += len(chunk)
        while self._held - len(self._chunks[0]) >= self._keep:
            self._held -= len(self._chunks.popleft())

    def until(self, end: int, count: int) -> np.ndarray | None:
        """Samples end - count .. end of the stream, None if not all are held."""
        first = self.total - self._held
        if end - count < first or end > self.total:
            return None
        held = np.concatenate(self._chunks)
        return held[end - count - first : end - first]
