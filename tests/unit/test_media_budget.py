"""The media budget keeps pjmedia's 64 socket slots from running out, whatever the call rate."""

from __future__ import annotations

import pytest

from softphone.engine.media_budget import IOQUEUE_SLOTS, WINDOW_S, MediaBudget


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("turn", "slots"), [(False, 2), (True, 4)])
def test_the_bound_holds_for_the_calls_the_wheel_allows(turn: bool, slots: int) -> None:
    budget = MediaBudget(max_calls=4)
    budget.use_turn(turn)
    assert budget.slots_per_call == slots
    # alive now + alive a free delay ago + started since, each with its sockets
    assert slots * (2 * 4 + budget.per_window) <= IOQUEUE_SLOTS
    assert budget.per_window >= 8  # a person answering and calling back never meets it


def test_turning_turn_on_mid_window_waits_for_the_smaller_budget() -> None:
    clock = _Clock()
    budget = MediaBudget(max_calls=4, clock=clock)
    starts = []
    for _ in range(20):
        starts.append(clock.now)
        assert budget.try_start()
        clock.now += 0.01
    budget.use_turn(True)  # 8 a window now, 20 started in the last 0.2 s
    assert not budget.try_start()
    clock.now = starts[12] + WINDOW_S  # the 13th start leaves: 7 left in the window
    assert budget.try_start()


def test_calls_over_the_budget_are_refused_until_the_window_passes() -> None:
    clock = _Clock()
    budget = MediaBudget(max_calls=4, clock=clock)
    assert all(budget.try_start() for _ in range(budget.per_window))
    assert not budget.try_start()
    clock.now += WINDOW_S - 0.01
    assert not budget.try_start()
    clock.now += 0.01
    assert budget.try_start()


def test_a_dial_over_the_budget_waits_for_the_oldest_start_to_leave_the_window() -> None:
    clock = _Clock()
    budget = MediaBudget(max_calls=4, clock=clock)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    for _ in range(budget.per_window):
        budget.start(sleep)
        clock.now += 0.01
    assert slept == []
    budget.start(sleep)
    assert slept == [pytest.approx(WINDOW_S - 0.01 * budget.per_window)]
    assert budget.wait_s() > 0  # the new start counts


def test_no_budget_is_made_for_more_calls_than_the_slots_hold() -> None:
    with pytest.raises(ValueError, match="no media slots"):
        MediaBudget(max_calls=8)  # with TURN: 4 slots a call, 16 calls held at worst
