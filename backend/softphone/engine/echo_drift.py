"""The canceller's reference kept on the echo while the speaker's and microphone's clocks drift."""

# Why: two devices (a USB microphone and a laptop's speakers, a webcam's microphone, a
# Bluetooth speaker) each run on their own crystal, 10-300 ppm apart. AEC3 pairs the speaker's
# audio with the microphone's by count, so the echo's delay as AEC3 sees it creeps by that
# much: 100 ppm is 1.6 samples a second at 16 kHz. Offline (two clocks 100-300 ppm apart,
# echo at 40 and 120 ms, 30 s calls) AEC3 alone cancelled 12-25 dB over the call, half
# seconds at 0-8 dB; it is that sensitive: a reference re-aligned exactly in steps of 1, 2,
# 4 and 8 samples held 31-65, 30-63, 23-41 and 16-21 dB. So the delay is predicted sample by
# sample from the correlations of engine/echo_delay.py (a line through them: where it is and
# how fast it moves), and the reference is read that much later or sooner: 41-67 dB
# (docs/audio.md, "Two devices' clocks").

from __future__ import annotations

from collections import deque

_GATE_S = 0.001  # a correlation this far off the line is a jump (echo_delay), not the creep
_MIN_LIKENESS = 0.6  # only clear correlations (double talk blurs the peak)
# Alpha-beta filter: how much of each correlation's error goes into the delay and its rate
# (beta = alpha^2 / (2 - alpha), the usual pairing). Offline, the app's canceller at +-100 and
# +300 ppm, 40 and 120 ms, 2 voices: ERLE over the call 41-67 dB with 0.3, 33-68 with 0.2,
# 35-67 with 0.1, 20-67 with 0.05, 32-64 with 0.4; without drift no move (0.1, 0.3, 0.4 tried).
_ALPHA = 0.3
_BETA = _ALPHA**2 / (2 - _ALPHA)
_MAX_RATE = 1000e-6  # faster than this is not two crystals: kept at it
_HYSTERESIS = 0.75  # samples the prediction must be off the reference's shift to move it


class DriftingDelay:
    """The echo's delay (samples of the bridge's rate) as a line over the microphone's sample
    count, fed each clear correlation; `restart` after a jump keeps the clocks' rate."""

    def __init__(self, clock_rate: int) -> None:
        self.gate = clock_rate * _GATE_S
        self._delay: float | None = None
        self._rate = 0.0  # samples of delay per microphone sample
        self._at = 0

    def predict(self, at: int) -> float | None:
        if self._delay is None:
            return None
        return self._delay + self._rate * (at - self._at)

    def observe(self, at: int, delay: float, likeness: float) -> None:
        if likeness < _MIN_LIKENESS:
            return
        predicted = self.predict(at)
        if predicted is None:
            self._delay, self._at = delay, at
            return
        error = delay - predicted
        if abs(error) > self.gate:
            return
        elapsed = max(1, at - self._at)
        self._delay = predicted + _ALPHA * error
        self._rate = max(-_MAX_RATE, min(_MAX_RATE, self._rate + _BETA * error / elapsed))
        self._at = at

    def restart(self, at: int, delay: float) -> None:
        self._delay, self._at = delay, at

    @property
    def ppm(self) -> float:
        return self._rate * 1e6


class AlignedReference:
    """The reference handed to the canceller: its n-th sample is the speaker's sample
    n - `shift`. A positive shift repeats audio already given (kept up to `max_behind`
    samples); a negative one reads ahead, so the speaker's stream is fed as far as the next
    samples need (`wanted`): the speaker's audio is taken from its queue as fast as the
    reference uses it, and a speaker faster than the microphone leaves no backlog."""

    def __init__(self, max_behind: int, shifts_kept: int) -> None:
        self._max_behind = max_behind
        self._shifts_kept = shifts_kept  # samples back that shift_at() answers for
        self._history = bytearray()
        self._first = 0  # stream index of the history's first sample
        self.fed = 0  # stream samples fed
        self.taken = 0  # reference samples given out
        self.shift = 0
        self._shifts: deque[tuple[int, int]] = deque([(0, 0)])  # (from sample taken, shift)

    def wanted(self, count: int) -> int:
        """Stream samples still to feed before `count` samples can be taken."""
        return max(0, self.taken - self.shift + count - self.fed)

    def feed(self, samples: bytes) -> None:
        self._history += samples
        self.fed += len(samples) // 2

    def take(self, count: int) -> bytes:
        start = self.taken - self.shift - self._first  # never before the audio kept: follow()
        out = bytes(self._history[2 * start : 2 * (start + count)])
        # Always `count` samples (the caller copies them into a buffer a C frame points at):
        # short only if taken before wanted() said so.
        out += bytes(2 * count - len(out))
        self.taken += count
        keep_from = self.fed - self._max_behind
        if keep_from > self._first:
            del self._history[: 2 * (keep_from - self._first)]
            self._first = keep_from
        return out

    def follow(self, predicted: float, base: float) -> bool:
        """Shift to the predicted delay's distance from `base` (the delay the canceller knows)
        when it is more than a fraction of a sample off, back at most as far as the audio
        kept; whether it moved."""
        target = predicted - base
        if abs(target - self.shift) < _HYSTERESIS:
            return False
        shift = min(round(target), self.taken - self._first)
        if shift == self.shift:
            return False
        self.shift = shift
        self._shifts.append((self.taken, shift))
        while len(self._shifts) > 1 and self._shifts[1][0] < self.taken - self._shifts_kept:
            self._shifts.popleft()
        return True

    def shift_at(self, taken: int) -> int:
        """The shift the reference's sample `taken` was given with (the tracker's correlation
        is over audio of up to a second ago: measured against the shift now, the delay would
        take in the shift's own last moves, and the line would run away with them)."""
        for start, shift in reversed(self._shifts):
            if start <= taken:
                return shift
        return self._shifts[0][1]
