"""Waiting for something another thread or process does: the one poll loop of the tests."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(
    check: Callable[[], bool],
    timeout: float = 5.0,
    what: str = "the condition",
    *,
    every: float = 0.02,
) -> None:
    """Return once `check()` is true; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)
