"""The echo AEC3 still lets through, taken out where the canceller's output moves with the
speaker's audio at the echo's delay."""

# Why: in a call's first seconds AEC3's linear filter has learned only the frequencies the far
# end has used so far. A syllable with new ones (a lower voice, another vowel) is echoed back
# almost whole for 100-200 ms: AEC3 estimates the echo left after its filter from that filter,
# which knows nothing there yet, so its suppressor lets it pass. Offline, 36 calls (6 voices,
# echo at 20-250 ms, with and without 0.3 s of room reverberation): ERLE over 2-14 s at worst
# 17.6 dB (one half second at 7), 2 calls under 25; the PipeWire rig showed the same half
# second at 12-15 dB (docs/audio.md). livekit exposes no AEC3 setting to change it.
#
# How: the output's short spectra (10 ms windows, every 5 ms) are compared with the speaker's
# audio at the echo's delay (the drift line's, engine/echo_drift.py): where, frequency by
# frequency, the two are coherent over the last ~30 ms (the magnitude-squared coherence;
# near-end speech and noise are not coherent with the far end's voice), that part of the
# output is echo, and is attenuated in proportion. Above _COHERENT it is attenuated down to
# _FLOOR; under it, left.
# Offline, the same 36 calls through the canceller: worst 30.7 dB, none under 25, median 47.8 ->
# 52.1; near-end speech in double talk (as loud as the echo) lost 1.6 dB (median; worst 2.9)
# against 1.5 (2.7) without it. It costs 5 ms of latency on the microphone's path (the second
# half of each window).
#
# AEC3 can also add echo: on the PulseAudio rig, at 3.3 s into a call with the echo steady 85 ms
# back, it subtracted its estimate 51 ms off (the output held the speaker's audio 136 ms back,
# inverted: 16 dB for that half second). That is not coherent at the echo's delay, so the
# coherence above left it. The microphone's own audio, before AEC3, tells it: its part not
# coherent with the speaker's audio at the echo's delay, (1 - coherence) times its power, is
# what is not echo (near-end speech, noise), and the output is kept within _MARGIN of that,
# frequency by frequency. Replayed from that call's recorded inputs: 26.0 dB over 2-12 s ->
# 29.1 with the coherence alone -> 58.2 with the limit too (the 3 s half second 16 -> 19 -> 50);
# offline, the 36 calls through the canceller: worst 30.7 -> 31.6, median 52.1 -> 53.3, double
# talk's loss unchanged (median 1.6, worst 2.9). Where the room spreads the echo over more than
# a window (0.3 s of reverberation) neither sees it as coherent: those calls are AEC3's alone.
#
# numpy is imported with the canceller only (engine/echo.py).

from __future__ import annotations

import functools

import numpy as np

# The magnitude-squared coherence's smoothing per 5 ms step (0.7: ~30 ms of memory) and the
# coherence over which a frequency is taken to be echo. Offline (36 calls, the worst's ERLE):
# smoothing 0.6/0.7 with 0.5 gave 32.1/31.0 dB, 0.8/0.9 with 0.3 gave 29.9/25.3 (slower
# estimates miss the start of a 150 ms burst); 0.4/0.5/0.6 at 0.7 gave 32.1/31.0/29.2; 10 ms
# steps (0.8, 0.3) 26.4. 0.7 and 0.5: the lower smoothing's gain is within the calls' spread.
_SMOOTHING = 0.7
_COHERENT = 0.5
_FLOOR = 0.01  # the most it is attenuated: -40 dB
# How much more power than the microphone's part that is not echo the output may keep: 3 dB.
# Offline (36 calls, with near-end speech as loud as the echo): margins of 1, 2 and 4 gave the
# same ERLE; 1 lost 0.2 dB more of the near end (its coherence is over-estimated on ~30 ms).
_MARGIN = 2.0
# How far behind the output the speaker's and the microphone's audio are kept (the echo's delay
# and the module's lag).
_KEPT_S = 1.0
_TINY = 1e-12

# Samples by which AEC3's output (with its noise suppressor, as the canceller runs it) trails
# its input, by clock rate: measured (GCC-PHAT of the module's input and output, echo
# cancellation on, nothing to cancel); tests/unit/test_echo_residual.py checks them against the
# installed module.
MODULE_LAG = {8000: 136, 16000: 224}


class ResidualEchoSuppressor:
    """Fed each 10 ms of the reference as AEC3 got it, each 10 ms of the microphone as AEC3 got
    it, and each 10 ms of AEC3's output, in place (16-bit mono); the output comes out half a
    window (5 ms) later. `delay`: the echo's delay behind the reference, in samples paired by
    count as AEC3 pairs them (the tracker's), or None while it is not known (the output then
    passes unchanged, with the same latency)."""

    def __init__(self, clock_rate: int) -> None:
        if clock_rate not in MODULE_LAG:
            raise ValueError(f"no measured module lag at {clock_rate} Hz")
        self._lag = MODULE_LAG[clock_rate]
        hop = clock_rate // 200
        self._hop = hop
        self._rate = clock_rate
        self._size = 2 * hop
        # Periodic Hann's square root, on analysis and synthesis: at half overlap the products
        # add up to one, so unattenuated audio comes out as it went in.
        self._window = np.sqrt(np.hanning(self._size + 1)[: self._size])
        kept = int(_KEPT_S * clock_rate) + self._lag + self._size
        self._reference = _Ring(kept)
        self._microphone = _Ring(kept)
        self._heard = 0  # output samples so far (paired with both by count)
        self._tail = np.zeros(hop)  # the last half window of output taken in
        self._overlap = np.zeros(hop)  # the last window's second half, synthesised
        bins = hop + 1
        self._cross = np.zeros(bins, complex)  # reference and output
        self._microphone_cross = np.zeros(bins, complex)  # reference and microphone
        self._reference_power = np.zeros(bins)
        self._output_power = np.zeros(bins)
        self._microphone_power = np.zeros(bins)
        self._taken_out = 0  # half windows that lost 3 dB or more

    @property
    def taken_out_ms(self) -> int:
        """How long the output lost 3 dB or more so far (echo let through by AEC3)."""
        return self._taken_out * self._hop * 1000 // self._rate

    def reference(self, samples: bytes | bytearray) -> None:
        self._reference.write(np.frombuffer(samples, "<i2"))

    def microphone(self, samples: bytes | bytearray) -> None:
        self._microphone.write(np.frombuffer(samples, "<i2"))

    def suppress(self, buffer: bytearray, delay: int | None) -> None:
        pcm = np.frombuffer(buffer, "<i2").astype(float)
        hops = len(pcm) // self._hop
        taken = np.concatenate([self._tail, pcm])
        self._tail = taken[-self._hop :]
        windows = _windows(taken, self._size, self._hop) * self._window
        spectra = np.fft.rfft(windows, axis=1)
        paired = self._paired(delay, hops)
        self._heard += len(pcm)
        if paired is not None:
            echo, heard = (
                np.fft.rfft(_windows(part, self._size, self._hop) * self._window, axis=1)
                for part in paired
            )
            for k in range(hops):
                spectra[k] *= self._gains(spectra[k], echo[k], heard[k])
        frames = np.fft.irfft(spectra, self._size, axis=1) * self._window
        out = np.empty(len(pcm))
        overlap = self._overlap
        for k in range(hops):
            out[k * self._hop : (k + 1) * self._hop] = overlap + frames[k, : self._hop]
            overlap = frames[k, self._hop :]
        self._overlap = overlap
        buffer[:] = np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()

    def _paired(self, delay: int | None, hops: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The reference and the microphone's audio that the windows of output about to be
        taken in would hold as echo and came from (one stretch each, the windows' overlapping
        span), None if the delay is not known or that audio not kept."""
        if delay is None or delay < 0:
            return None
        end = self._heard + hops * self._hop - self._lag
        span = self._size + (hops - 1) * self._hop
        echo = self._reference.stretch(end - delay, span)
        heard = self._microphone.stretch(end, span)
        if echo is None or heard is None:
            return None
        return echo, heard

    def _gains(self, output: np.ndarray, echo: np.ndarray, heard: np.ndarray) -> np.ndarray:
        keep = _SMOOTHING
        output_power = np.abs(output) ** 2
        self._cross = keep * self._cross + (1 - keep) * echo * np.conj(output)
        self._microphone_cross = keep * self._microphone_cross + (1 - keep) * echo * np.conj(heard)
        self._reference_power = keep * self._reference_power + (1 - keep) * np.abs(echo) ** 2
        self._output_power = keep * self._output_power + (1 - keep) * output_power
        self._microphone_power = keep * self._microphone_power + (1 - keep) * np.abs(heard) ** 2
        coherence = np.abs(self._cross) ** 2 / (self._reference_power * self._output_power + _TINY)
        heard_coherence = np.abs(self._microphone_cross) ** 2 / (
            self._reference_power * self._microphone_power + _TINY
        )
        not_echo = np.maximum(1.0 - heard_coherence, 0.0) * self._microphone_power
        limit = np.sqrt(_MARGIN * not_echo / (self._output_power + _TINY))
        gains = np.clip(np.minimum((1.0 - coherence) / (1.0 - _COHERENT), limit), _FLOOR, 1.0)
        before = float(np.sum(output_power))
        if before > 0 and float(np.dot(gains**2, output_power)) < 0.5 * before:
            self._taken_out += 1
        return gains


class _Ring:
    """The last `kept` samples of a stream, by their count in it: written twice, at n and
    n + kept (n the count modulo kept), so that any stretch of up to `kept` is one slice."""

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._samples = np.zeros(2 * kept)
        self.written = 0

    def write(self, pcm: np.ndarray) -> None:
        at = np.arange(self.written, self.written + len(pcm)) % self._kept
        self._samples[at] = pcm
        self._samples[at + self._kept] = pcm
        self.written += len(pcm)

    def stretch(self, end: int, span: int) -> np.ndarray | None:
        """Samples end - span to end of the stream, None unless all of them are kept."""
        if end > self.written or end - span < max(0, self.written - self._kept):
            return None
        start = (end - span) % self._kept
        return self._samples[start : start + span]


def _windows(samples: np.ndarray, size: int, hop: int) -> np.ndarray:
    """Windows of `size` every `hop` samples, one per row."""
    windows: np.ndarray = samples[_window_index(len(samples), size, hop)]
    return windows


@functools.cache
def _window_index(length: int, size: int, hop: int) -> np.ndarray:
    index: np.ndarray = np.arange(size) + hop * np.arange((length - size) // hop + 1)[:, None]
    return index
