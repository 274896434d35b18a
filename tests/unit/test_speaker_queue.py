"""The speaker's queue between the real-time bridge clock and a speaker on its own crystal."""

from __future__ import annotations

import ctypes

from softphone.engine.device_clock import SpeakerQueue

FRAME = 640


def _run(queue: SpeakerQueue, pushes_per_pull: float, pulls: int) -> list[int]:
    out = ctypes.create_string_buffer(FRAME)
    owed = 0.0
    sizes = []
    for i in range(pulls):
        owed += pushes_per_pull
        while owed >= 1:
            queue.push(bytes([i % 256]) * FRAME)
            owed -= 1
        queue.pull(ctypes.addressof(out))
        sizes.append(len(queue))
    return sizes


def test_a_slow_speaker_never_builds_up_latency() -> None:
    queue = SpeakerQueue(FRAME)
    sizes = _run(queue, 1.01, 50 * 120)  # the speaker 1 % slow for two minutes
    assert max(sizes[-500:]) <= 2
    assert queue.dropped >= 50 and queue.underruns == 0


def test_a_speaker_calling_back_three_times_too_fast_underruns_counted() -> None:
    queue = SpeakerQueue(FRAME)
    _run(queue, 1 / 3, 300)
    assert queue.underruns == 200
    assert queue.dropped == 0


def test_a_stalled_speaker_holds_at_most_200_ms() -> None:
    queue = SpeakerQueue(FRAME)
    _run(queue, 1.0, 10)  # playing
    for _ in range(100):  # 2 s of bridge time while the speaker stalls
        queue.push(b"\x01" * FRAME)
    assert len(queue) == 10
    sizes = _run(queue, 1.0, 100)
    assert sizes[-1] <= 1


def test_a_speaker_that_starts_late_starts_with_one_frame_queued() -> None:
    """PulseAudio's first callback came 1-1.3 s after the stream started (seen): the bridge
    ran meanwhile, and its frames must not become latency for the first seconds."""
    queue = SpeakerQueue(FRAME)
    for _ in range(65):  # 1.3 s of bridge time before the speaker's first pull
        queue.push(b"\x01" * FRAME)
    assert len(queue) == 1
    sizes = _run(queue, 1.0, 50)
    assert max(sizes) <= 1 and queue.underruns == 0


def test_the_queue_limits_are_in_time_not_frames() -> None:
    queue = SpeakerQueue(FRAME // 2, frames_per_second=100)  # 10 ms frames
    _run(queue, 1.0, 10)
    for _ in range(100):  # 1 s stalled
        queue.push(b"\x01" * (FRAME // 2))
    assert len(queue) == 20  # 200 ms
