"""How many calls may get media sockets now, so that pjmedia's socket queue never runs out
of slots: when it does, pjlib asserts and the engine process aborts.

pjmedia registers every RTP, RTCP, ICE and TURN socket of a call in one ioqueue of
PJ_IOQUEUE_MAX_HANDLES (64) slots, and a slot whose socket closed is reusable only
PJ_IOQUEUE_KEY_FREE_DELAY (500 ms) later (pjlib/src/pj/ioqueue_select.c; register_sock2
asserts a free slot). pjsua gives a call its sockets as it is made, and as an INVITE arrives,
before the app can refuse it. So 33 calls made and ended within half a second (a caller through
the PBX ringing the phone in DND 80 times in a row, or a fast script dialling) aborted the
engine (tests/integration/test_request_filter.py, tests/integration/test_soak.py).

The bound: at any moment the slots held belong to calls alive now (at most `max_calls`), calls
alive a free delay ago (at most `max_calls` more) and calls started since; each holds at most
`slots_per_call`: RTP and RTCP, each a UDP or ICE socket, and a TURN socket beside it when a
TURN server is set. So with at most `per_window` calls started in any WINDOW_S (the free delay,
and margin for pjsip's millisecond clock; a call is counted right before pjsua makes its sockets,
on the same thread), slots_per_call * (2 * max_calls + per_window) <= IOQUEUE_SLOTS holds. With
4 calls: 24 calls in 0.6 s, 8 with TURN: more than any person or PBX rings a phone with.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

IOQUEUE_SLOTS = 64  # PJ_IOQUEUE_MAX_HANDLES of the pjsua2 wheel (pjlib's default)
COMPONENTS = 2  # RTP and RTCP
WINDOW_S = 0.6  # PJ_IOQUEUE_KEY_FREE_DELAY (0.5 s) and margin


class MediaBudget:
    """Calls started in the last WINDOW_S (engine thread only)."""

    def __init__(self, max_calls: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_calls = max_calls
        self._clock = clock
        self._starts: deque[float] = deque()
        self.slots_per_call = COMPONENTS
        if self._calls_per_window(2 * COMPONENTS) < 1:  # with TURN, the most a call holds
            raise ValueError(f"{max_calls} calls leave no media slots for a new one")

    def use_turn(self, turn: bool) -> None:
        """The account's media goes through a TURN server: a socket more per component."""
        self.slots_per_call = COMPONENTS * (2 if turn else 1)

    def _calls_per_window(self, slots_per_call: int) -> int:
        return IOQUEUE_SLOTS // slots_per_call - 2 * self._max_calls

    @property
    def per_window(self) -> int:
        return self._calls_per_window(self.slots_per_call)

    def _expire(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= WINDOW_S:
            self._starts.popleft()

    def wait_s(self) -> float:
        """Seconds until a call may start (0: now)."""
        now = self._clock()
        self._expire(now)
        if len(self._starts) < self.per_window:
            return 0.0
        return self._starts[-self.per_window] + WINDOW_S - now

    def try_start(self) -> bool:
        """Count a call that gets its sockets now, if the budget allows it."""
        if self.wait_s() > 0:
            return False
        self._starts.append(self._clock())
        return True

    def start(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Count a call the user makes, waiting first if calls came faster than the budget
        (at most WINDOW_S, only ever for a machine dialling)."""
        wait = self.wait_s()
        if wait > 0:
            sleep(wait)
        self._starts.append(self._clock())
