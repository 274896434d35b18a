"""An optional "on call" light: off, on during calls, blinking while ringing (per setting)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from softphone.domain.calls import CallSnapshot, CallState

log = logging.getLogger(__name__)

_SEARCH_EVERY_S = 10.0  # how often to look for a relay board that was not there

Clock = Callable[[], float]
Wait = Callable[[threading.Event, float], bool]  # (stop, seconds) -> stopped, as Event.wait

_ON_CALL = frozenset(
    {
        CallState.DIALING,
        CallState.RINGING_OUT,
        CallState.CONNECTING,
        CallState.CONNECTED,
        CallState.HELD,
    }
)


D = TypeVar("D")


class LightState(StrEnum):
    OFF = "off"
    ON = "on"
    BLINK = "blink"


def light_for(calls: Iterable[CallSnapshot], blink_when_ringing: bool) -> LightState:
    states = {c.state for c in calls}
    if states & _ON_CALL:
        return LightState.ON
    if CallState.RINGING_IN in states:
        return LightState.BLINK if blink_when_ringing else LightState.ON
    return LightState.OFF


class BusyLight(Protocol):
    """One light driver (a USB relay board here; busylight-core devices fit the same)."""

    def show(self, state: LightState) -> None: ...

    def close(self) -> None: ...


class RelayController(Protocol):
    """The part of pyhid_usb_relay.Controller we use."""

    def set_state(self, relay: int, state: bool) -> Any: ...


def find_relay() -> RelayController | None:
    """The first USB HID relay board, or None (no board, or pyhid-usb-relay not installed)."""
    try:
        import pyhid_usb_relay
    except ImportError:
        return None
    try:
        return pyhid_usb_relay.find()  # type: ignore[no-any-return]
    except Exception:  # DeviceNotFoundError, or libusb missing/refusing access
        return None


class SwitchedBusyLight(Generic[D]):
    """A light that is either lit or dark (`switch(device, on)`); blinking toggles it from a
    timer. A device missing or gone is searched for again (`find`) in the background.
    `clock` times the searches and `wait` the blinker's periods (tests move them by hand)."""

    def __init__(
        self,
        find: Callable[[], D | None],
        switch: Callable[[D, bool], object],
        blink_period_s: float = 0.5,
        *,
        find_now: bool = True,
        release: Callable[[D], object] | None = None,
        clock: Clock = time.monotonic,
        wait: Wait = threading.Event.wait,
    ) -> None:
        self._find = find
        self._clock = clock
        self._wait = wait
        self._switch = switch
        self._release = release  # gives the device back (closing it) when we let go
        self._period = blink_period_s
        self._controller: D | None = None
        self._lock = threading.Lock()
        self._state = LightState.OFF
        self._blinker: threading.Thread | None = None
        self._stop_blink = threading.Event()
        self._searching = False
        self._last_search = clock() if find_now else -_SEARCH_EVERY_S
        # Searching enumerates USB (~100 ms): here at start-up when `find_now`, later only in
        # the background, so call events on the bus never wait for it.
        if find_now:
            self._controller = self._find()

    def show(self, state: LightState) -> None:
        with self._lock:
            if state is self._state:
                return
            self._state = state
        self._stop_blinking()
        if state is LightState.BLINK:
            self._stop_blink = threading.Event()
            self._blinker = threading.Thread(
                target=self._blink, args=(self._stop_blink,), name="busylight-blink", daemon=True
            )
            self._blinker.start()
        else:
            self._set(state is LightState.ON)

    def close(self) -> None:
        self.show(LightState.OFF)
        controller, self._controller = self._controller, None
        if controller is not None:
            self._let_go(controller)

    def _let_go(self, controller: D) -> None:
        if self._release is not None:
            try:
                self._release(controller)
            except Exception:
                log.info("releasing the busy light failed", exc_info=True)

    def _stop_blinking(self) -> None:
        self._stop_blink.set()
        if self._blinker is not None and self._blinker is not threading.current_thread():
            self._blinker.join(timeout=2)
        self._blinker = None

    def _blink(self, stop: threading.Event) -> None:
        lit = True
        while not stop.is_set():
            self._set(lit)
            lit = not lit
            self._wait(stop, self._period)

    def _set(self, on: bool) -> None:
        controller = self._controller
        if controller is None:
            self._search_in_background()  # a board plugged in later is picked up this way
            return
        try:
            self._switch(controller, on)
        except Exception:
            log.info("busy light went away")
            self._controller = None
            self._let_go(controller)

    def _search_in_background(self) -> None:
        with self._lock:
            if self._searching or self._clock() - self._last_search < _SEARCH_EVERY_S:
                return
            self._searching = True
        threading.Thread(target=self._search, name="busylight-find", daemon=True).start()

    def _search(self) -> None:
        try:
            controller = self._find()
        finally:
            with self._lock:
                self._searching = False
                self._last_search = self._clock()
        if controller is not None:
            self._controller = controller
            state = self._state
            if state is not LightState.BLINK:  # a blinker thread applies itself
                self._set(state is LightState.ON)


class RelayBusyLight(SwitchedBusyLight[RelayController]):
    """Relay 1 of a USB HID relay board drives a lamp."""

    def __init__(
        self,
        find: Callable[[], RelayController | None] = find_relay,
        relay: int = 1,
        blink_period_s: float = 0.5,
        *,
        clock: Clock = time.monotonic,
        wait: Wait = threading.Event.wait,
    ) -> None:
        super().__init__(
            find,
            lambda board, on: board.set_state(relay, on),
            blink_period_s,
            clock=clock,
            wait=wait,
        )
