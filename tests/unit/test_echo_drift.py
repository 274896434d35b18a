"""The echo's creeping delay (engine/echo_drift.py): the line through the correlations predicts
it to a sample and is not pulled off by a wrong one; the aligned reference repeats, skips and
reads ahead as its shift says (never back before the audio it kept), and takes the speaker's
audio only as fast as it needs it."""

from __future__ import annotations

import numpy as np

from softphone.engine.echo_drift import AlignedReference, DriftingDelay

RATE = 16000
EVERY = 1600  # a correlation every 0.1 s


def _creeping(ppm: float, seconds: float, noise: float = 0.3, seed: int = 1) -> DriftingDelay:
    """Fed a delay of 1000 samples creeping at `ppm`, each correlation off by up to `noise`."""
    rng = np.random.default_rng(seed)
    drift = DriftingDelay(RATE)
    for at in range(0, int(seconds * RATE), EVERY):
        drift.observe(at, 1000 + ppm * 1e-6 * at + rng.uniform(-noise, noise), 0.9)
    return drift


def test_the_creep_is_predicted_to_a_sample_and_through_a_pause() -> None:
    for ppm in (100, -100, 300):
        drift = _creeping(ppm, 20)
        now = 20 * RATE
        assert abs(drift.predict(now) - (1000 + ppm * 1e-6 * now)) < 1  # type: ignore[operator]
        later = now + 3 * RATE  # the far end silent for 3 s: no correlation
        assert abs(drift.predict(later) - (1000 + ppm * 1e-6 * later)) < 1  # type: ignore[operator]
        assert abs(drift.ppm - ppm) < 15


def test_a_wrong_or_unclear_correlation_does_not_move_the_line() -> None:
    drift = _creeping(0, 10, noise=0)
    now = 10 * RATE
    drift.observe(now, 1000 + 640, 0.95)  # 40 ms off: a jump is the tracker's to confirm
    drift.observe(now + EVERY, 1000 + 12, 0.3)  # double talk: not clear
    assert drift.predict(now + 2 * EVERY) == 1000


def test_a_restart_after_a_jump_keeps_the_clocks_rate() -> None:
    drift = _creeping(200, 20, noise=0)
    drift.restart(20 * RATE, 1640.0)
    assert abs(drift.predict(21 * RATE) - (1640 + 200e-6 * RATE)) < 0.5  # type: ignore[operator]


def test_nothing_is_predicted_before_a_correlation() -> None:
    assert DriftingDelay(RATE).predict(RATE) is None


def _frames(count: int, size: int = 4) -> list[bytes]:
    return [bytes([k + 1, 0]) * size for k in range(count)]  # 16-bit samples valued k + 1


def _fed(reference: AlignedReference, frames: list[bytes], count: int = 4) -> bytes:
    """Feed frames as far as the reference wants them, then take `count` samples."""
    while reference.wanted(count):
        reference.feed(frames.pop(0))
    return reference.take(count)


def test_unshifted_the_reference_is_the_speakers_audio_taken_as_used() -> None:
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    frames = _frames(4)
    assert _fed(reference, frames) == bytes([1, 0]) * 4
    assert reference.wanted(4) == 4 and len(frames) == 3  # nothing taken ahead of need


def test_a_positive_shift_repeats_audio_and_waits_for_less() -> None:
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    frames = _frames(6)
    _fed(reference, frames)
    _fed(reference, frames)
    assert reference.follow(6.0, 4.0)  # the echo 2 samples later
    assert reference.wanted(4) == 2  # two of the next frame's samples are needed, not four
    assert _fed(reference, frames) == bytes([2, 0]) * 2 + bytes([3, 0]) * 2


def test_a_negative_shift_reads_ahead_when_the_audio_is_there() -> None:
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    frames = _frames(6)
    _fed(reference, frames)
    assert reference.follow(1.0, 4.0)  # the echo 3 samples sooner: the speaker ran fast
    assert reference.wanted(4) == 7
    assert _fed(reference, frames) == bytes([2, 0]) * 1 + bytes([3, 0]) * 3


def test_the_shift_moves_only_past_most_of_a_sample_and_not_before_the_audio_kept() -> None:
    reference = AlignedReference(max_behind=8, shifts_kept=100)
    frames = _frames(8)
    for _ in range(4):
        _fed(reference, frames)
    assert not reference.follow(4.6, 4.0)
    assert reference.follow(4.8, 4.0) and reference.shift == 1
    assert reference.follow(400.0, 0.0) and reference.shift == 8  # back only as far as kept


def test_at_the_start_the_reference_cannot_go_back_before_the_first_audio() -> None:
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    assert not reference.follow(2.0, 0.0)
    assert _fed(reference, _frames(2)) == bytes([1, 0]) * 4


def test_the_shift_each_sample_was_given_with_is_remembered() -> None:
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    frames = _frames(12)
    _fed(reference, frames)
    reference.follow(2.0, 0.0)
    _fed(reference, frames)
    reference.follow(-1.0, 0.0)
    _fed(reference, frames)
    assert [reference.shift_at(k) for k in (0, 3, 4, 7, 8, 11)] == [0, 0, 2, 2, -1, -1]


def test_taken_too_soon_the_reference_is_still_whole() -> None:
    """The canceller copies it into the buffer AEC3's frame points at: never shorter."""
    reference = AlignedReference(max_behind=16, shifts_kept=100)
    assert reference.take(4) == b"\x00\x00" * 4
