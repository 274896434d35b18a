"""The residual echo suppressor after AEC3 (engine/echo_residual.py): its idea of the module's
lag is the installed module's, it passes audio unchanged half a window later while the echo's
delay is unknown, takes out what is coherent with the speaker's audio at that delay, and what
AEC3 added where the microphone heard only echo, and keeps what is not echo (near-end
speech)."""

from __future__ import annotations

import numpy as np
import pytest

from audiolab.echo_rig import level_db
from audiolab.speech import speech_like
from softphone.engine import echo_residual
from softphone.engine.echo import Aec3Canceller
from softphone.engine.echo_residual import MODULE_LAG, ResidualEchoSuppressor

RATE = 16000
TEN_MS = RATE // 100
HALF_WINDOW = RATE // 200


def _pcm(signal: np.ndarray) -> np.ndarray:
    return (np.clip(signal, -1, 1) * 32767).astype("<i2")


def _db(x: np.ndarray) -> float:
    return level_db(x.astype(float))  # 16-bit samples: squared as int16 they would overflow


def _late(signal: np.ndarray, samples: int) -> np.ndarray:
    return np.concatenate([np.zeros(samples, signal.dtype), signal[: len(signal) - samples]])


def _suppressed(
    reference: np.ndarray, microphone: np.ndarray, output: np.ndarray, delay: int | None
) -> np.ndarray:
    """`output` (AEC3's, 16-bit, from `microphone`) through the suppressor, 10 ms at a time
    after the same 10 ms of `reference` and `microphone`, moved back by the suppressor's half
    window."""
    suppressor = ResidualEchoSuppressor(RATE)
    result = np.zeros_like(output)
    for at in range(0, len(output) // TEN_MS * TEN_MS, TEN_MS):
        suppressor.reference(reference[at : at + TEN_MS].tobytes())
        suppressor.microphone(microphone[at : at + TEN_MS].tobytes())
        buffer = bytearray(output[at : at + TEN_MS].tobytes())
        suppressor.suppress(buffer, delay)
        result[at : at + TEN_MS] = np.frombuffer(bytes(buffer), "<i2")
    return np.concatenate([result[HALF_WINDOW:], np.zeros(HALF_WINDOW, result.dtype)])


@pytest.mark.parametrize("rate", sorted(MODULE_LAG))
def test_the_module_lag_is_the_installed_modules(rate: int) -> None:
    """What AEC3 (set up as the canceller sets it up) returns trails what it was given by
    MODULE_LAG samples: found by GCC-PHAT, nothing to cancel."""
    canceller = Aec3Canceller(rate, rate // 50, 0)
    sub = rate // 100
    speech = speech_like(3, 3, level=0.3)
    given = _pcm(np.interp(np.arange(3 * rate) * 16000 / rate, np.arange(len(speech)), speech))
    returned = np.zeros_like(given)
    for at in range(0, len(given) // sub * sub, sub):
        canceller._apm.process_reverse_stream(canceller._render)  # silence
        canceller._capture_buffer[:] = given[at : at + sub].tobytes()
        canceller._apm.process_stream(canceller._capture)
        returned[at : at + sub] = np.frombuffer(bytes(canceller._capture_buffer), "<i2")
    a, b = given[rate:].astype(float), returned[rate:].astype(float)
    cross = np.fft.rfft(b, 2 * len(a)) * np.conj(np.fft.rfft(a, 2 * len(a)))
    lag = int(np.argmax(np.fft.irfft(cross / (np.abs(cross) + 1e-9))[: rate // 10]))
    assert lag == MODULE_LAG[rate]


def test_while_the_delay_is_unknown_the_output_passes_unchanged() -> None:
    noise = _pcm(np.random.default_rng(1).normal(0, 0.2, RATE))
    out = _suppressed(_pcm(speech_like(1, 1)), noise, noise, None)
    assert np.max(np.abs(out[:-HALF_WINDOW].astype(int) - noise[:-HALF_WINDOW])) <= 1


def test_echo_coherent_with_the_reference_at_its_delay_is_taken_out() -> None:
    """AEC3 let a -10 dB echo 120 ms late through whole: 30 dB or more of it goes, from 0.1 s
    on."""
    far = speech_like(4, 4)
    delay = 120 * RATE // 1000
    echo = _pcm(0.316 * _late(far, delay))
    leaked = _late(echo, MODULE_LAG[RATE])
    out = _suppressed(_pcm(far), echo, leaked, delay)
    after = slice(RATE // 10 + delay + MODULE_LAG[RATE], len(far) - HALF_WINDOW)
    assert _db(leaked[after]) - _db(out[after]) >= 30


def test_what_aec3_adds_where_the_microphone_heard_only_echo_is_taken_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AEC3 subtracting its estimate 51 ms off the echo's delay (seen on the PulseAudio rig):
    the output holds the echo and an inverted copy of the speaker's audio further back, not
    coherent at the echo's delay. The microphone heard only the echo, so it goes: 30 dB or more
    of the output (measured 40.0); by the coherence at the echo's delay alone, under 10 (3.7)."""
    far = speech_like(4, 4)
    delay = 120 * RATE // 1000
    echo = 0.316 * _late(far, delay)
    added = _pcm(echo - 0.3 * _late(far, delay + 51 * RATE // 1000))
    leaked = _late(added, MODULE_LAG[RATE])
    out = _suppressed(_pcm(far), _pcm(echo), leaked, delay)
    after = slice(RATE // 10 + delay + 51 * RATE // 1000 + MODULE_LAG[RATE], len(far) - HALF_WINDOW)
    assert _db(leaked[after]) - _db(out[after]) >= 30
    monkeypatch.setattr(echo_residual, "_MARGIN", 1e30)  # no limit
    out = _suppressed(_pcm(far), _pcm(echo), leaked, delay)
    assert _db(leaked[after]) - _db(out[after]) < 10


def test_near_end_speech_is_kept_while_the_far_end_talks() -> None:
    """Another voice than the far end's, as loud as its echo would be: it keeps its level."""
    far = speech_like(4, 1)
    near = _pcm(0.316 * speech_like(4, 7))
    out = _suppressed(_pcm(far), near, _late(near, MODULE_LAG[RATE]), 100 * RATE // 1000)
    kept = slice(RATE // 2, len(far) - HALF_WINDOW)
    assert abs(_db(near[kept]) - _db(out[kept])) <= 1


def test_an_echo_further_back_than_the_audio_kept_is_left() -> None:
    far = speech_like(2, 4)
    leaked = _pcm(0.316 * far)
    out = _suppressed(_pcm(far), leaked, leaked, 2 * RATE)  # 2 s: longer than is kept
    assert np.max(np.abs(out[:-HALF_WINDOW].astype(int) - leaked[:-HALF_WINDOW])) <= 1
