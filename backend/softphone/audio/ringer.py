"""The ringer: the ringtone on the ringing device while a call rings and no call talks;
the quiet call-waiting beep in the call's own output device while one does.

Driven by call events on the bus. The bus handler only decides and silences the playing
stream (instant: the next 20 ms block is zeros); opening and closing streams, which takes
up to a second through PulseAudio, runs on the ringer's own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from softphone.audio.events import AudioDevicesChanged
from softphone.audio.player import Sound, TonePlayer
from softphone.audio.selection import AudioRoute
from softphone.audio.streams import DeviceUnavailableError
from softphone.bus import EventBus
from softphone.domain.calls import CallSnapshot, CallState
from softphone.domain.events import CallChanged, CallRemoved, SettingsChanged, SnapshotInvalidated
from softphone.resources import assets_dir

log = logging.getLogger(__name__)

RING_PERIOD_S = 3.0  # the ringtone (1.6 s) starts again every 3 s
WAITING_PERIOD_S = 5.0  # the call-waiting beep (0.45 s) repeats every 5 s
_RETRY_S = 2.0  # a ringing device that would not open is tried again after this

# Calls whose audio is open: the user listens to them, so a new call must not blast the ringer.
_TALKING = frozenset(
    {CallState.DIALING, CallState.RINGING_OUT, CallState.CONNECTING, CallState.CONNECTED}
)


class RingMode(StrEnum):
    RING = "ring"
    WAITING = "waiting"


def ring_mode(calls: Iterable[CallSnapshot]) -> RingMode | None:
    """What to play for these calls: nothing unless one rings incoming."""
    states = [c.state for c in calls]
    if CallState.RINGING_IN not in states:
        return None
    return RingMode.WAITING if any(s in _TALKING for s in states) else RingMode.RING


def ring_gain(volume: int) -> float:
    """Ring volume 0..100 to a gain; squared so the slider feels even (80 -> -3.9 dB)."""
    return (max(0, min(100, volume)) / 100.0) ** 2


@dataclass(frozen=True, slots=True)
class _Wanted:
    mode: RingMode
    device: str | None


class Ringer:
    def __init__(
        self,
        bus: EventBus,
        calls: Callable[[], list[CallSnapshot]],
        route: Callable[[], AudioRoute],
        volume: Callable[[], int],
        *,
        ring_sound: Sound | None = None,
        waiting_sound: Sound | None = None,
    ) -> None:
        self._calls = calls
        self._route = route
        self._volume = volume
        # Decoded at the first ring, on the ringer's thread (numpy and ~0.1 s of a cold
        # start, issue 21); the device takes longer to open than that.
        self._ring = ring_sound
        self._waiting = waiting_sound
        self._cond = threading.Condition()
        self._wanted: _Wanted | None = None
        self._playing: tuple[_Wanted, TonePlayer] | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.last_stop: tuple[float, float] | None = None  # (asked, first silent block) times
        for event_type in (CallChanged, CallRemoved, SnapshotInvalidated, AudioDevicesChanged):
            bus.subscribe(event_type, lambda _e: self.update())
        bus.subscribe(SettingsChanged, lambda _e: self._apply_volume())

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ringer", daemon=True)
        self._thread.start()
        self.update()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    @property
    def mode(self) -> RingMode | None:
        with self._cond:
            return self._wanted.mode if self._wanted else None

    def update(self) -> None:
        """Re-decide from the calls and the route (any thread; never blocks on a device)."""
        mode = ring_mode(self._calls())
        wanted = None
        if mode is not None:
            route = self._route()
            wanted = _Wanted(mode, route.ringer if mode is RingMode.RING else route.output)
        with self._cond:
            if wanted == self._wanted:
                return
            self._wanted = wanted
            if self._playing is not None and self._playing[0] != wanted:
                self._playing[1].silence()  # stop now; the thread closes it behind
                self.last_stop = (time.perf_counter(), 0.0)
            self._cond.notify_all()

    def _apply_volume(self) -> None:
        with self._cond:
            if self._playing is not None and self._playing[0].mode is RingMode.RING:
                self._playing[1].gain = ring_gain(self._volume())

    def _run(self) -> None:
        failed: tuple[_Wanted, float] | None = None  # a device that would not open, and when
        while True:
            with self._cond:
                while not self._stopping:
                    current = self._playing[0] if self._playing else None
                    if current == self._wanted:
                        self._cond.wait()
                        continue
                    if failed and failed[0] == self._wanted and self._playing is None:
                        left = failed[1] + _RETRY_S - time.monotonic()
                        if left > 0:
                            self._cond.wait(left)
                            continue
                    break
                wanted = None if self._stopping else self._wanted
                playing, self._playing = self._playing, None
            if playing is not None:
                playing[1].close()
                self._note_stop(playing[1])
            if self._stopping:
                return
            failed = None
            if wanted is not None and not self._open(wanted):
                failed = (wanted, time.monotonic())

    def _open(self, wanted: _Wanted) -> bool:
        if wanted.mode is RingMode.RING:
            if self._ring is None:
                self._ring = Sound.load(assets_dir() / "ringtone.wav")
            player = TonePlayer(self._ring, gain=ring_gain(self._volume()), period_s=RING_PERIOD_S)
        else:
            if self._waiting is None:
                self._waiting = Sound.load(assets_dir() / "call-waiting.wav")
            player = TonePlayer(self._waiting, period_s=WAITING_PERIOD_S)
        try:
            player.start(wanted.device)
        except DeviceUnavailableError as exc:
            log.warning("cannot ring on %s: %s", wanted.device or "the default device", exc)
            return False
        with self._cond:
            if self._wanted == wanted and not self._stopping:
                self._playing = (wanted, player)
                log.info("%s on %s", wanted.mode.value, wanted.device or "the default device")
                return True
        player.close()  # the call was answered while the device opened
        return True

    def _note_stop(self, player: TonePlayer) -> None:
        if self.last_stop is not None and player.silenced_at is not None:
            asked = self.last_stop[0]
            self.last_stop = (asked, player.silenced_at)
            log.info(
                "ringing silenced %.1f ms after the call left ringing",
                (player.silenced_at - asked) * 1000,
            )
