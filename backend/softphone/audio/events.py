"""Facts the audio layer publishes on the app's bus (devices, route, microphone test level)."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.audio.devices import AudioDevice
from softphone.audio.selection import AudioRoute, Fallback
from softphone.domain.events import Event


@dataclass(frozen=True, slots=True)
class AudioDevicesChanged(Event):
    """A device was plugged in or out, or the route changed (settings, fallback, return)."""

    devices: tuple[AudioDevice, ...]
    route: AudioRoute
    fallbacks: tuple[Fallback, ...]


@dataclass(frozen=True, slots=True)
class MicLevelMeasured(Event):
    """Microphone test: level of the last ~66 ms, linear full-scale 0..1."""

    rms: float
    peak: float


@dataclass(frozen=True, slots=True)
class MicTestStopped(Event):
    """The microphone test ended (asked, timed out, or the device failed: `error` set)."""

    error: str | None = None


@dataclass(frozen=True, slots=True)
class HeadsetAudioOffered(Event):
    """A telephony headset with a sound card was plugged in: "Use <name> for calls?".
    `key` None withdraws the offer (answered, declined, or the headset left)."""

    key: str | None
    name: str = ""
