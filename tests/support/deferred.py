"""Background work a unit test runs itself, when it chooses: no thread to wait for."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Deferred:
    """Stands in for "start this in a thread": keeps the jobs until `run()`."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def __call__(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)

    def run(self) -> int:
        """Runs the jobs kept so far (and any they hand over), in order; returns how many."""
        done = 0
        while self.jobs:
            self.jobs.pop(0)()
            done += 1
        return done


def in_a_thread_joined(job: Callable[[], None], name: str = "background") -> None:
    """Runs `job` on another thread and returns once it has ended: off the caller's thread,
    as in the product, but finished when the call returns."""
    thread = threading.Thread(target=job, name=name)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), f"{name} did not end"
