"""The main process's audio: device watch and route, ringer, microphone and speaker tests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from softphone.audio import devices as devices_mod
from softphone.audio.devices import AudioDevice
from softphone.audio.mic_test import MicTest
from softphone.audio.player import Sound, TonePlayer
from softphone.audio.ringer import Ringer, ring_gain
from softphone.audio.selection import AudioPreferences, AudioRoute, Resolution
from softphone.audio.watch import DeviceWatcher
from softphone.bus import EventBus
from softphone.domain.calls import CallSnapshot
from softphone.domain.events import AudioStatusReported
from softphone.resources import assets_dir

log = logging.getLogger(__name__)

# PulseAudio through ALSA's plugin takes 1-2 s before sound flows on an idle device (measured),
# longer on a busy machine: the test stream closes once PortAudio reports the sound played out
# (never at a fixed time), or after the sound's length and this long at most (a device that
# never calls back).
_STARTUP_MAX_S = 5.0


class AudioService:
    def __init__(
        self,
        bus: EventBus,
        preferences: Callable[[], AudioPreferences],
        ring_volume: Callable[[], int],
        calls: Callable[[], list[CallSnapshot]],
        apply_route: Callable[[AudioRoute], None],
        *,
        list_devices: Callable[[], list[AudioDevice]] | None = None,
    ) -> None:
        self._ring_volume = ring_volume
        self.watcher = DeviceWatcher(
            bus, preferences, apply_route, list_devices=list_devices or devices_mod.list_devices
        )
        self.ringer = Ringer(bus, calls, lambda: self.watcher.resolution.route, ring_volume)
        self.mic_test = MicTest(bus, lambda: self.watcher.resolution.route.input)
        self._test_sound: Sound | None = None  # decoded at the first speaker test (numpy)
        self._status: AudioStatusReported | None = None
        self._speaker: TonePlayer | None = None
        self._lock = threading.Lock()
        bus.subscribe(AudioStatusReported, self._on_status)

    @property
    def status(self) -> AudioStatusReported | None:
        return self._status

    @property
    def devices(self) -> tuple[AudioDevice, ...]:
        return self.watcher.devices

    @property
    def resolution(self) -> Resolution:
        return self.watcher.resolution

    def start(self) -> None:
        self.watcher.start()
        self.ringer.start()

    def stop(self) -> None:
        self.mic_test.stop()
        self._stop_speaker_test()
        self.ringer.stop()
        self.watcher.stop()

    def apply_preferences(self) -> None:
        """Settings changed: resolve again and tell the engine (echo cancellation too)."""
        self.watcher.refresh(force_apply=True)
        self.ringer.update()

    def speaker_test(self, target: Literal["output", "ringer"]) -> float:
        """Play the test sound on the call output or the ringing device (the ringer at the
        ring volume). Raises streams.DeviceUnavailableError. Returns the sound's length."""
        route = self.watcher.resolution.route
        device = route.output if target == "output" else route.ringer
        gain = ring_gain(self._ring_volume()) if target == "ringer" else 0.8
        if self._test_sound is None:
            self._test_sound = Sound.load(assets_dir() / "test-sound.wav")
        player = TonePlayer(self._test_sound, gain=gain)
        self._stop_speaker_test()
        opened = time.perf_counter()
        player.start(device)
        with self._lock:
            self._speaker = player
        threading.Thread(
            target=self._stop_when_played, args=(player, opened), name="speaker-test", daemon=True
        ).start()
        return player.duration_s

    def _stop_when_played(self, player: TonePlayer, opened: float) -> None:
        # Closed once PortAudio says the sound played out, not after a guessed latency.
        played = player.finished.wait(player.duration_s + _STARTUP_MAX_S)
        first = player.first_block_at
        log.info(
            "speaker test: first block %s, %s after %.2f s",
            "never" if first is None else f"after {first - opened:.2f} s",
            "played out" if played and not player.silent else "closed",
            time.perf_counter() - opened,
        )
        self._stop_speaker_test(player)

    def _stop_speaker_test(self, only: TonePlayer | None = None) -> None:
        with self._lock:
            player = self._speaker
            if player is None or (only is not None and player is not only):
                return
            self._speaker = None
        player.close()

    def _on_status(self, event: AudioStatusReported) -> None:
        self._status = event
