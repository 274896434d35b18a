"""When the speaker's underruns are said to be a burst (status to the UI, a log line)."""

from __future__ import annotations

from softphone.engine.sound import FRAME_MS, UnderrunBursts


def test_one_underrun_as_the_devices_open_is_no_burst() -> None:
    bursts = UnderrunBursts()
    assert bursts.judge(underruns=1, frames=4) is None  # the report made at open (seen)
    # Those 4 frames count with the next span: 1 + 3 underruns in 254 frames is fine.
    assert bursts.judge(underruns=4, frames=254) is None


def test_over_a_tenth_of_a_span_silent_is_a_burst_and_the_next_span_starts_after_it() -> None:
    bursts = UnderrunBursts()
    assert bursts.judge(underruns=30, frames=250) == (30, 250)
    assert bursts.judge(underruns=31, frames=500) is None
    assert bursts.judge(underruns=60, frames=750) == (29, 250)


def test_short_spans_add_up_until_they_say_something() -> None:
    bursts = UnderrunBursts()
    second = 1000 // FRAME_MS  # frames
    assert bursts.judge(underruns=10, frames=second * 2 // 5) is None
    assert bursts.judge(underruns=20, frames=second * 4 // 5) is None
    assert bursts.judge(underruns=21, frames=second * 6 // 5) == (21, second * 6 // 5)


def test_reopened_devices_start_the_counters_again() -> None:
    bursts = UnderrunBursts()
    assert bursts.judge(underruns=0, frames=500) is None
    assert bursts.judge(underruns=40, frames=100) == (40, 100)  # counters restarted at 0
