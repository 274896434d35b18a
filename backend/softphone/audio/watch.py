"""Follows sound devices being plugged in and out and keeps the audio route resolved.

With PulseAudio (or PipeWire's pulse server) a thread subscribes to sink/source events and
sleeps until one comes: nothing runs while nothing changes. Elsewhere the list is polled
every few seconds. On a change the route is resolved again (selection.py); the UI hears of it
through `AudioDevicesChanged` and the engine through the `apply_route` callback.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from softphone.audio import devices as devices_mod
from softphone.audio.devices import AudioDevice
from softphone.audio.events import AudioDevicesChanged
from softphone.audio.selection import AudioPreferences, AudioRoute, Resolution, resolve
from softphone.bus import EventBus

log = logging.getLogger(__name__)

_SETTLE_S = 0.25  # a card appears as several sink/source events: list once they settle
_RETRY_S = 3.0  # the sound server went away: try again after this


class DeviceWatcher:
    """Owns the watch thread; `resolution` and `devices` are safe to read from any thread."""

    def __init__(
        self,
        bus: EventBus,
        preferences: Callable[[], AudioPreferences],
        apply_route: Callable[[AudioRoute], None],
        *,
        list_devices: Callable[[], list[AudioDevice]] = devices_mod.list_devices,
        poll_s: float = 5.0,
        use_pulse: bool | None = None,
    ) -> None:
        self._bus = bus
        self._preferences = preferences
        self._apply_route = apply_route
        self._list_devices = list_devices
        self._poll_s = poll_s
        self._use_pulse = (os.name == "posix") if use_pulse is None else use_pulse
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._pulse_lock = threading.Lock()
        self._devices: tuple[AudioDevice, ...] = ()
        self._resolution = Resolution(AudioRoute())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pulse: Any = None  # the listening pulsectl.Pulse, to wake it on stop

    @property
    def devices(self) -> tuple[AudioDevice, ...]:
        with self._lock:
            return self._devices

    @property
    def resolution(self) -> Resolution:
        with self._lock:
            return self._resolution

    def start(self) -> None:
        self.refresh(force_apply=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audio-devices", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        while thread is not None and thread.is_alive():
            with self._pulse_lock:  # never wake a connection that is being closed
                if self._pulse is not None:
                    # event_listen_stop does nothing if the loop is not polling yet: repeat.
                    self._pulse.event_listen_stop()
            thread.join(0.1)
        self._thread = None

    def refresh(self, *, force_apply: bool = False) -> None:
        """List the devices again and resolve; `force_apply`: tell the engine even if the
        route is the same (settings such as echo cancellation changed)."""
        # One refresh at a time (watch thread, settings): an older list must not win.
        with self._refresh_lock:
            self._refresh(force_apply)

    def _refresh(self, force_apply: bool) -> None:
        found = tuple(self._list_devices())
        resolution = resolve(self._preferences(), found)
        with self._lock:
            changed = found != self._devices or resolution != self._resolution
            route_changed = resolution.route != self._resolution.route
            self._devices, self._resolution = found, resolution
        if changed:
            for fallback in resolution.fallbacks:
                log.info(
                    "%s device %r not connected: using the system default",
                    fallback.role,
                    fallback.name,
                )
            self._bus.publish(AudioDevicesChanged(found, resolution.route, resolution.fallbacks))
        if route_changed or force_apply:
            self._apply_route(resolution.route)

    # --- the watch thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._use_pulse and devices_mod.pulse_server_running():
                try:
                    self._listen_pulse()
                except Exception as exc:  # pulsectl.PulseError, PulseDisconnected
                    log.info("sound server connection lost: %s", exc)
                if self._stop.wait(_RETRY_S):
                    return
            elif self._stop.wait(self._poll_s):
                return
            self._safe_refresh()

    def _listen_pulse(self) -> None:
        import pulsectl

        with pulsectl.Pulse("softphone-device-watch") as pulse:
            pulse.event_mask_set("sink", "source", "server")
            pulse.event_callback_set(_stop_on_device_event)
            with self._pulse_lock:
                self._pulse = pulse
            try:
                self._safe_refresh()  # something may have changed while nobody listened
                while not self._stop.is_set():
                    pulse.event_listen()  # sleeps until a device event (or stop())
                    if self._stop.is_set():
                        return
                    pulse.event_listen(timeout=_SETTLE_S)  # the burst's next event, or 0.25 s
                    self._safe_refresh()
            finally:
                with self._pulse_lock:
                    self._pulse = None

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.exception("audio device refresh failed")


def _stop_on_device_event(event: Any) -> None:
    import pulsectl

    # Sinks change state whenever a stream starts or stops; only arrivals, departures and a
    # new default (a server change) alter the list or the route.
    if event.t in ("new", "remove") or event.facility == "server":
        raise pulsectl.PulseLoopStop
