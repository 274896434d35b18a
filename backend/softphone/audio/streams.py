"""Open PortAudio streams (sounddevice) on a device chosen by its id from devices.py.

With PulseAudio the stream is opened on ALSA's "pulse" device and the target is named in
PULSE_SINK / PULSE_SOURCE, which libpulse reads when the stream connects. Those are process
environment variables, so opening is serialised by a lock and the variables are restored.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from softphone.audio import portaudio
from softphone.audio.devices import Direction, pulse_server_running

_open_lock = threading.Lock()
_ENV = {"output": "PULSE_SINK", "input": "PULSE_SOURCE"}

StreamCallback = Callable[[Any, int, Any, Any], None]


class DeviceUnavailableError(Exception):
    """The device cannot be opened (unplugged, busy, or no sound system)."""


def open_stream(
    direction: Direction,
    device_id: str | None,
    callback: StreamCallback,
    *,
    samplerate: int,
    blocksize: int,
    channels: int = 1,
    latency: str | float = "low",
    finished_callback: Callable[[], None] | None = None,
) -> Any:
    """A started-ready (not started) RawInputStream / RawOutputStream of int16 samples.

    device_id None means the system default. `finished_callback` runs once the stream has
    stopped: after a callback raised sounddevice.CallbackStop, once PortAudio drained the
    device (through ALSA's pulse plugin the last ~60 ms are dropped even so: end with silence).
    Raises DeviceUnavailableError."""
    sd = portaudio.sounddevice()

    cls = sd.RawOutputStream if direction == "output" else sd.RawInputStream
    with _open_lock:
        try:
            if os.name == "posix" and pulse_server_running():
                with _pulse_target(direction, device_id):
                    index = _pulse_index(direction)
                    return cls(
                        samplerate=samplerate,
                        blocksize=blocksize,
                        device=index,
                        channels=channels,
                        dtype="int16",
                        callback=callback,
                        latency=latency,
                        finished_callback=finished_callback,
                    )
            return cls(
                samplerate=samplerate,
                blocksize=blocksize,
                device=_portaudio_index(direction, device_id),
                channels=channels,
                dtype="int16",
                callback=callback,
                latency=latency,
                finished_callback=finished_callback,
            )
        except (sd.PortAudioError, ValueError, OSError) as exc:
            raise DeviceUnavailableError(f"{direction} {device_id or 'default'}: {exc}") from exc


@contextlib.contextmanager
def _pulse_target(direction: Direction, device_id: str | None) -> Iterator[None]:
    key = _ENV[direction]
    before = os.environ.get(key)
    if device_id:
        os.environ[key] = device_id
    else:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _pulse_index(direction: Direction) -> int:
    """PortAudio's index of ALSA's "pulse" device. PortAudio lists ALSA devices once, when it
    initialises; if PulseAudio was not reachable then, the list is re-read (only while no
    stream is open, which PortAudio requires)."""
    sd = portaudio.sounddevice()

    for attempt in range(2):
        for index, dev in enumerate(sd.query_devices()):
            channels = dev["max_output_channels" if direction == "output" else "max_input_channels"]
            if dev["name"] == "pulse" and int(channels) > 0:
                return index
        if attempt == 0:
            sd._terminate()
            sd._initialize()
    raise DeviceUnavailableError(
        "PortAudio has no ALSA 'pulse' device (libasound2-plugins missing?)"
    )


def _portaudio_index(direction: Direction, device_id: str | None) -> int | None:
    sd = portaudio.sounddevice()

    if device_id is None:
        return None
    key = "max_output_channels" if direction == "output" else "max_input_channels"
    for index, dev in enumerate(sd.query_devices()):
        if dev["name"] == device_id and int(dev[key]) > 0:
            return index
    raise DeviceUnavailableError(f"no {direction} device named {device_id!r}")
