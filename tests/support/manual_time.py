"""Time a unit test moves by hand, for code that takes a clock and a timed wait."""

from __future__ import annotations

import threading

# A stop event's set() does not notify our condition: a waiter looks at it this often.
_STOP_POLL_S = 0.005


class ManualTime:
    """A clock that stands still until `advance()`, and an Event.wait-shaped `wait(stop, s)`
    that ends once the clock has passed its end (False) or `stop` is set (True)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._cond = threading.Condition()
        self.waits = 0  # waits begun: a timed loop has come round once more
        self.waiting = 0  # waits under way

    def monotonic(self) -> float:
        with self._cond:
            return self._now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        with self._cond:
            end = self._now + seconds
            self.waits += 1
            self.waiting += 1
            self._cond.notify_all()
            try:
                while not stop.is_set() and self._now < end:
                    self._cond.wait(_STOP_POLL_S)
            finally:
                self.waiting -= 1
        return stop.is_set()

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._now += seconds
            self._cond.notify_all()

    def step(self, seconds: float, timeout: float = 5.0) -> None:
        """Advances the clock and returns once a timed loop waiting on it has come round and
        waits again (what it does between two waits has been done)."""
        with self._cond:
            begun = self.waits
        self.advance(seconds)
        self.wait_for_waits(begun + 1, timeout)

    def wait_for_waits(self, count: int, timeout: float = 5.0) -> None:
        """Returns once `count` waits have begun in all."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.waits >= count, timeout):
                raise AssertionError(f"{self.waits} timed waits began, not {count}")
