"""Automatic gain on the microphone (engine/gain.py): a quiet voice comes out louder and a loud
one as it was, after the echo canceller's residual suppressor when both run (which would take
a gain raised before it back), and alone when echo cancellation is off."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from audiolab.echo_rig import level_db
from audiolab.speech import speech_like
from audiolab.two_clocks import cancelled_on_two_clocks
from softphone.engine.echo import Aec3Canceller
from softphone.engine.gain import AutomaticGain, GainOnly

RATE = 16000
FRAME = 320


def _through(gain: AutomaticGain | GainOnly, signal: np.ndarray) -> np.ndarray:
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    out = np.zeros(len(pcm) // FRAME * FRAME)
    frame = ctypes.create_string_buffer(FRAME * 2)
    for at in range(0, len(out), FRAME):
        ctypes.memmove(frame, pcm[at : at + FRAME].tobytes(), FRAME * 2)
        if isinstance(gain, GainOnly):
            gain.capture(ctypes.addressof(frame))
        else:
            gain.apply(ctypes.addressof(frame))
        out[at : at + FRAME] = np.frombuffer(frame.raw, "<i2") / 32767
    return out


def test_a_quiet_voice_is_raised_and_a_loud_one_kept() -> None:
    """Measured: -38.5 dBFS raised 11 dB from the first second on; -11.6 dBFS within 0.3."""
    quiet = speech_like(6, 3, level=0.02)
    raised = _through(AutomaticGain(RATE, FRAME), quiet)
    assert level_db(raised[RATE:]) - level_db(quiet[RATE : len(raised)]) >= 6
    loud = speech_like(6, 3, level=0.5)
    kept = _through(AutomaticGain(RATE, FRAME), loud)
    assert abs(level_db(kept[RATE:]) - level_db(loud[RATE : len(kept)])) <= 2


@pytest.mark.parametrize("auto_gain", [False, True])
def test_with_echo_cancellation_the_gain_comes_last(auto_gain: bool) -> None:
    """The same quiet near end, the far end silent: raised with the gain on (the suppressor
    ran before it); with a -10 dB echo at 120 ms the echo stays cancelled (measured 52.0 dB,
    67.4 without the gain: AEC3's residual is raised too)."""
    near = speech_like(6, 53, level=0.02)
    quiet = cancelled_on_two_clocks(
        Aec3Canceller(RATE, FRAME, 0, auto_gain), np.zeros(len(near)), near, 0, FRAME
    )
    raised = level_db(quiet[RATE:]) - level_db(near[RATE : len(quiet)])
    assert raised >= 6 if auto_gain else abs(raised) <= 2
    far = speech_like(8, 2, level=0.25)
    echo = 0.316 * np.concatenate([np.zeros(120 * RATE // 1000), far])[: len(far)]
    out = cancelled_on_two_clocks(Aec3Canceller(RATE, FRAME, 0, auto_gain), far, echo, 0, FRAME)
    assert level_db(echo[2 * RATE : len(out)]) - level_db(out[2 * RATE :]) >= 25


def test_the_gain_alone_cancels_no_echo_and_a_failure_leaves_the_microphone_as_it_was(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gain = GainOnly(RATE, FRAME)
    assert (gain.name, gain.cancels_echo, gain.auto_gain) == ("webrtc-agc", False, True)
    frame = ctypes.create_string_buffer(FRAME * 2)
    gain.playback(ctypes.addressof(frame))  # the speaker's audio is not needed: nothing kept
    quiet = speech_like(2, 3, level=0.02)
    assert level_db(_through(gain, quiet)[RATE:]) - level_db(quiet[RATE:]) >= 6

    def broken(_address: int) -> None:
        raise RuntimeError("module failed")

    assert gain._gain is not None
    gain._gain.apply = broken  # type: ignore[method-assign]
    out = _through(gain, quiet)
    assert np.max(np.abs(out - quiet[: len(out)])) <= 1 / 32767 + 1e-9
    assert "automatic gain control failed" in caplog.text
