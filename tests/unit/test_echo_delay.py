"""The echo's delay as engine/echo_delay.py finds it: right within a millisecond at short and
long delays, unmoved by the reference arriving in bursts, and silent where nothing is an echo
(the near end talking alone, a tone, silence); each correlation measures it between samples."""

from __future__ import annotations

import numpy as np
import pytest

from audiolab.speech import speech_like
from audiolab.two_clocks import heard_at
from softphone.engine.echo_delay import EchoDelayTracker

RATE = 16000
SUB = 160  # the canceller feeds 10 ms at a time


def _pcm(signal: np.ndarray) -> bytes:
    return bytes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())


def _delayed(signal: np.ndarray, delay_ms: float, gain_db: float = -10.0) -> np.ndarray:
    shift = int(delay_ms * RATE / 1000)
    return np.concatenate([np.zeros(shift), signal[: len(signal) - shift]]) * 10 ** (gain_db / 20)


def _confirmed(
    reference: np.ndarray, microphone: np.ndarray, burst: int = 1
) -> list[tuple[float, float]]:
    """(second, delay in ms) each time the tracker confirms a new delay; `burst`: the
    reference comes that many sub-frames at a time, then the microphone as many."""
    tracker = EchoDelayTracker(RATE)
    ref, mic = _pcm(reference), _pcm(microphone)
    found = []
    step = 2 * SUB
    for start in range(0, len(ref) - step * burst + 1, step * burst):
        for at in range(start, start + step * burst, step):
            tracker.reference(ref[at : at + step])
        for at in range(start, start + step * burst, step):
            delay = tracker.microphone(mic[at : at + step])
            if delay is not None:
                found.append((at / step * SUB / RATE, delay * 1000 / RATE))
    return found


@pytest.mark.parametrize("delay_ms", [20, 63, 120, 250, 400])
def test_the_echos_delay_is_found_within_a_millisecond(delay_ms: int) -> None:
    """Once a second of both is there (0.5 s correlated, 0.5 s of delays looked for), and
    confirmed by the next correlation 0.1 s later (four more if the echo were not clear)."""
    far = speech_like(6, 1, level=0.25)
    found = _confirmed(far, _delayed(far, delay_ms))
    assert found, "no delay found"
    assert found[0][0] <= 1.5
    assert [round(delay) for _, delay in found] == [delay_ms]


def test_a_jump_is_found_and_nothing_else() -> None:
    far = speech_like(12, 2, level=0.25)
    jump = 6 * RATE
    mic = np.concatenate([_delayed(far, 60)[:jump], _delayed(far, 100)[jump:]])
    found = _confirmed(far, mic)
    assert [round(delay) for _, delay in found] == [60, 100]
    assert 6.0 < found[1][0] <= 7.2


def test_near_end_speech_over_the_echo_leaves_the_delay_where_it_is() -> None:
    far = speech_like(12, 3, level=0.25)
    near = np.concatenate([np.zeros(4 * RATE), speech_like(8, 13, level=0.2)])
    found = _confirmed(far, _delayed(far, 90) + near)
    assert [round(delay) for _, delay in found] == [90]


def test_a_reference_in_bursts_is_paired_by_count_not_by_arrival() -> None:
    far = speech_like(6, 4, level=0.25)
    found = _confirmed(far, _delayed(far, 150), burst=5)
    assert [round(delay) for _, delay in found] == [150]


@pytest.mark.parametrize("case", ["near end alone", "a tone", "silence", "no echo"])
def test_nothing_is_found_where_there_is_no_echo(case: str) -> None:
    seconds = 6
    far = speech_like(seconds, 5, level=0.25)
    tone = 0.25 * np.sin(2 * np.pi * 425 * np.arange(seconds * RATE) / RATE)
    reference, microphone = {
        "near end alone": (np.zeros(seconds * RATE), speech_like(seconds, 6, level=0.2)),
        "a tone": (tone, _delayed(tone, 80)),
        "silence": (np.zeros(seconds * RATE), np.zeros(seconds * RATE)),
        "no echo": (far, speech_like(seconds, 7, level=0.2)),
    }[case]
    assert _confirmed(reference, microphone) == []


def test_an_inverted_echo_is_found_too() -> None:
    far = speech_like(6, 8, level=0.25)
    found = _confirmed(far, -_delayed(far, 70))
    assert [round(delay) for _, delay in found] == [70]


@pytest.mark.parametrize("delay", [1000.0, 1000.5, 1001.25, 3200.75])
def test_each_correlation_measures_the_delay_to_a_third_of_a_sample(delay: float) -> None:
    """What the clocks' drift is followed with (engine/echo_drift.py): AEC3 notices a
    reference off by a few samples. Also says where in the reference the matched audio was."""
    far = speech_like(4, 3, level=0.25)
    mic = heard_at(far, np.arange(len(far)) - delay) * 10 ** (-10 / 20)
    tracker = EchoDelayTracker(RATE)
    ref, mic16 = _pcm(far), _pcm(mic)
    measured = []
    for at in range(0, len(ref), 2 * SUB):
        tracker.reference(ref[at : at + 2 * SUB])
        tracker.microphone(mic16[at : at + 2 * SUB])
        if tracker.measurement is not None:
            value, _likeness, where = tracker.measurement
            heard = (at + 2 * SUB) // 2
            assert abs(where - (heard - delay - RATE // 4)) <= 2  # the middle of 0.5 s
            measured.append(value)
    assert len(measured) > 20
    assert abs(float(np.median(measured)) - delay) < 0.35
