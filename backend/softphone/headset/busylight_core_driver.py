"""Dedicated busy lights (Kuando, Embrava, Luxafor, ...) through busylight-core, and the choice
of which kind of light the app drives (setting `busylight`: auto, busylight, relay, none)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from softphone.headset.busylight import (
    BusyLight,
    Clock,
    LightState,
    RelayBusyLight,
    SwitchedBusyLight,
    Wait,
)

log = logging.getLogger(__name__)

RED = (255, 0, 0)  # "on a call": the colour every busy-light vendor uses for busy
LIGHT_KINDS = ("auto", "busylight", "relay", "none")


def find_core_light() -> Any | None:
    """The first light busylight-core recognises and can open, or None (none plugged in,
    no access, or busylight-core not installed)."""
    try:
        from busylight_core import Light
        from loguru import logger
    except ImportError:
        return None
    # busylight-core logs through loguru, to stderr at DEBUG by default (every payload).
    logger.disable("busylight_core")
    try:
        return Light.first_light(reset=True, exclusive=True)
    except Exception:  # NoLightsFoundError, or the device refused to open
        return None


def _switch(light: Any, on: bool) -> None:
    if on:
        light.on(RED)  # also restarts the keepalive that Kuando lights need to stay lit
    else:
        light.off()  # cancels that keepalive


def _release(light: Any) -> None:
    try:
        light.off()  # fails when the light was unplugged: it is closed all the same
    finally:
        light.release()


class CoreBusyLight(SwitchedBusyLight[Any]):
    """The first busylight-core light: red during calls, blinking red while ringing."""

    def __init__(
        self,
        find: Callable[[], Any | None] = find_core_light,
        blink_period_s: float = 0.5,
        *,
        clock: Clock = time.monotonic,
        wait: Wait = threading.Event.wait,
    ) -> None:
        # Found on first use, in the background: USB and serial enumeration stay off the
        # start-up path (the light is dark until the first call anyway).
        super().__init__(
            find,
            _switch,
            blink_period_s,
            find_now=False,
            release=_release,
            clock=clock,
            wait=wait,
        )


class _AllLights:
    """Shows the same state on several lights (auto: whichever kinds are plugged in)."""

    def __init__(self, lights: Sequence[BusyLight]) -> None:
        self._lights = tuple(lights)

    def show(self, state: LightState) -> None:
        for light in self._lights:
            light.show(state)

    def close(self) -> None:
        for light in self._lights:
            light.close()


def make_light(
    kind: str,
    core: Callable[[], BusyLight] = CoreBusyLight,
    relay: Callable[[], BusyLight] = RelayBusyLight,
) -> BusyLight | None:
    match kind:
        case "busylight":
            return core()
        case "relay":
            return relay()
        case "auto":
            return _AllLights((core(), relay()))
    return None


class SelectedBusyLight:
    """The light of the kind the settings name; changing the setting swaps the driver (the
    old one is switched off and released) and shows the current state on the new one."""

    def __init__(self, kind: str, factory: Callable[[str], BusyLight | None] = make_light) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._kind = kind if kind in LIGHT_KINDS else "auto"
        self._state = LightState.OFF
        self._light = factory(self._kind)

    @property
    def kind(self) -> str:
        return self._kind

    def select(self, kind: str) -> None:
        with self._lock:
            if kind == self._kind or kind not in LIGHT_KINDS:
                return
            old, self._kind = self._light, kind
            self._light = None
        if old is not None:
            old.close()
        light = self._factory(kind)
        with self._lock:
            self._light = light
            state = self._state
        if light is not None:
            light.show(state)

    def show(self, state: LightState) -> None:
        with self._lock:
            self._state = state
            light = self._light
        if light is not None:
            light.show(state)

    def close(self) -> None:
        with self._lock:
            light, self._light = self._light, None
        if light is not None:
            light.close()
