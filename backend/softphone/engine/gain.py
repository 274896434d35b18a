"""WebRTC's automatic gain control on the microphone's audio (livekit's AudioProcessingModule
with only that on): after the echo canceller when there is one, alone when there is not."""

# Why a module of its own rather than AEC3's: the residual suppressor after AEC3
# (engine/echo_residual.py) keeps the output within 3 dB of the microphone's part that is not
# echo, so a gain raised inside AEC3's module would be taken back there. Measured (speech-like
# voice, 5 s in): -38.5 dBFS in, -27.3 out; -24.5 -> -19.4; -11.6 -> -11.9; no lag.
# livekit is imported only when a call's audio with it starts (engine/echo.py says why).

from __future__ import annotations

import ctypes
import logging
from typing import Any

from softphone.engine.echo import buffer_address

log = logging.getLogger(__name__)


class AutomaticGain:
    """In place on the 10 ms sub-frames of a frame of 16-bit mono, on the microphone's thread."""

    def __init__(self, clock_rate: int, samples_per_frame: int) -> None:
        from livekit import rtc  # lazily: see the module comment

        sub = clock_rate // 100  # the module takes exactly 10 ms at a time
        if samples_per_frame % sub:
            raise ValueError(f"{samples_per_frame} samples is not a multiple of 10 ms")
        self._parts = samples_per_frame // sub
        self._size = sub * 2
        self._apm: Any = rtc.AudioProcessingModule(
            echo_cancellation=False,
            noise_suppression=False,
            high_pass_filter=False,
            auto_gain_control=True,
        )
        self._buffer = bytearray(self._size)
        self._frame = rtc.AudioFrame(self._buffer, clock_rate, 1, sub)
        self._address = buffer_address(self._buffer)

    def apply(self, address: int) -> None:
        for part in range(self._parts):
            at = address + part * self._size
            ctypes.memmove(self._address, at, self._size)
            self._apm.process_stream(self._frame)
            ctypes.memmove(at, self._address, self._size)


class GainOnly:
    """The microphone's processing with echo cancellation off and automatic gain on: the
    speaker's frames are not needed. A failure in the module (never seen) leaves the
    microphone unprocessed rather than raise in a PortAudio callback."""

    name = "webrtc-agc"
    cancels_echo = False
    auto_gain = True

    def __init__(self, clock_rate: int, samples_per_frame: int) -> None:
        self._gain: AutomaticGain | None = AutomaticGain(clock_rate, samples_per_frame)

    def playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> None:
        pass

    def capture(self, address: int) -> None:
        if self._gain is None:
            return
        try:
            self._gain.apply(address)
        except Exception:
            self._gain = None
            log.exception("automatic gain control failed: the microphone goes unprocessed")

    def close(self) -> None:
        self._gain = None


def create_gain_control(clock_rate: int, samples_per_frame: int) -> GainOnly | None:
    """Automatic gain alone; None (audio unprocessed) if livekit is not installed."""
    try:
        return GainOnly(clock_rate, samples_per_frame)
    except ImportError:
        log.warning("livekit is not installed: no automatic gain control")
    except Exception:
        log.exception("automatic gain control unavailable")
    return None
