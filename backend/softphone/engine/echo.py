"""Echo cancellers between the call's device callbacks: WebRTC's AEC3 (livekit's
AudioProcessingModule, with its noise suppressor and high-pass filter) when that package is
installed, else pjmedia's older WebRTC AEC from the pjsua2 wheel.

Both see the same two halves: each speaker frame as it leaves the bridge (the reference,
`playback`) and each microphone frame, cleaned in place (`capture`). Why AEC3: pjmedia's AEC
is handed `tail_ms` as the sound card's delay (echo_webrtc.c passes it to WebRtcAec_Process
as msInSndCardBuf), so it cancels only echoes near that delay; its delay-agnostic mode did not
find others within 12 s. AEC3 estimates the delay itself and cancelled every delay from 20 to
250 ms (docs/audio.md has the measurements).

livekit is imported here only when a canceller is made (a call with echo cancellation
starting): its native runtime costs about 20 MiB and a handful of idle threads, which an idle
engine must not carry (tests/integration/test_engine_footprint.py).
"""

from __future__ import annotations

import ctypes
import logging
from collections import deque
from typing import Any, Protocol

log = logging.getLogger(__name__)

_ECHO_WEBRTC = 3
_ECHO_USE_NOISE_SUPPRESSOR = 128
# pjmedia's WebRTC AEC looks for the echo around this delay only (see the module docstring).
_PJMEDIA_TAIL_MS = 200
_MAX_DELAY_HINT_MS = 500  # AEC3's initial delay guess; it finds the real one itself
_MAX_QUEUED = 10  # speaker frames (200 ms) waiting for the microphone's thread at most


class EchoCanceller(Protocol):
    """playback() runs on the speaker's thread (a frame as it leaves for the speaker: the
    reference), capture() on the microphone's (a frame cleaned in place); close() on the
    engine thread once neither can run any more."""

    name: str

    def playback(self, address: int) -> None: ...
    def capture(self, address: int) -> None: ...
    def close(self) -> None: ...


class Aec3Canceller:
    """WebRTC AEC3 on 10 ms sub-frames of the bridge's frames, in place, all of it on the
    microphone's thread.

    The speaker's callback only queues its frame; each microphone frame first hands the
    module one queued speaker frame (two if one was missing last time), then is processed.
    The module thus sees speaker and microphone strictly interleaved, one for one, whatever
    order and bursts PortAudio's two threads call back in: the echo's delay it has to track
    stays put in samples, the module needs no lock, and the speaker's thread makes no call
    into it. (Fed from each callback as it came, echo leaked through in bursts of about half
    a second on a loaded machine; it still does at times this way: not a cure, checked end
    to end in bench/bench_echo.py.) The queue is kept short: the frames queued
    before the microphone's first one go (they would be paired with later microphone audio,
    an echo earlier than its cause), and over _MAX_QUEUED frames the oldest go (the two
    devices' clocks drifting apart).

    Each sub-frame is copied into a preallocated buffer that an AudioFrame wraps (the module
    works in place there). A failure inside the module (never seen) turns the canceller into a
    pass-through rather than an exception in a PortAudio callback, which would stop the
    stream."""

    name = "webrtc-aec3"

    def __init__(self, clock_rate: int, samples_per_frame: int, delay_hint_ms: int) -> None:
        from livekit import rtc  # lazily: see the module docstring

        sub = clock_rate // 100  # the module takes exactly 10 ms at a time
        if samples_per_frame % sub:
            raise ValueError(f"{samples_per_frame} samples is not a multiple of 10 ms")
        self._parts = samples_per_frame // sub
        self._frame_bytes = samples_per_frame * 2
        self._sub_bytes = sub * 2
        self._apm: Any = rtc.AudioProcessingModule(
            echo_cancellation=True,
            noise_suppression=True,
            high_pass_filter=True,
            auto_gain_control=False,
        )
        self._delay = max(0, min(delay_hint_ms, _MAX_DELAY_HINT_MS))
        self._render_buffer = bytearray(self._sub_bytes)
        self._capture_buffer = bytearray(self._sub_bytes)
        self._render = rtc.AudioFrame(self._render_buffer, clock_rate, 1, sub)
        self._capture = rtc.AudioFrame(self._capture_buffer, clock_rate, 1, sub)
        self._capture_address = _address(self._capture_buffer)
        # Speaker frames to the microphone's thread; deque's append/popleft are atomic.
        self._queued: deque[bytes] = deque()
        self._owed = 0  # speaker frames the module should have had already
        self._capturing = False
        self.dropped = 0  # speaker frames never given to the module (backlog, drift)
        self._failed = False

    def playback(self, address: int) -> None:
        self._queued.append(ctypes.string_at(address, self._frame_bytes))

    def capture(self, address: int) -> None:
        if self._failed:
            return
        queued = self._queued
        if not self._capturing:
            self._capturing = True
            self._drop(len(queued))
        elif len(queued) > _MAX_QUEUED:
            self._drop(len(queued) - _MAX_QUEUED)
        size = self._sub_bytes
        try:
            self._owed += 1
            while self._owed and queued:
                frame = queued.popleft()
                self._owed -= 1
                for part in range(self._parts):
                    self._render_buffer[:] = frame[part * size : (part + 1) * size]
                    self._apm.process_reverse_stream(self._render)
            self._owed = min(self._owed, _MAX_QUEUED)
            for part in range(self._parts):
                at = address + part * size
                ctypes.memmove(self._capture_address, at, size)
                self._apm.set_stream_delay_ms(self._delay)
                self._apm.process_stream(self._capture)
                ctypes.memmove(at, self._capture_address, size)
        except Exception:
            self._failed = True
            log.exception("the echo canceller failed: the microphone goes unprocessed")

    def _drop(self, count: int) -> None:
        for _ in range(count):
            self._queued.popleft()
        self.dropped += count

    def close(self) -> None:
        self._apm = None
        self._queued.clear()


class PjmediaCanceller:
    """pjmedia's WebRTC AEC (and noise suppressor) through ctypes: the fallback when livekit is
    not installed. It cancels echoes delayed about `_PJMEDIA_TAIL_MS` only."""

    name = "pjmedia-webrtc"

    def __init__(
        self, lib: ctypes.CDLL, clock_rate: int, samples_per_frame: int, latency_ms: int
    ) -> None:
        _declare(lib)
        self._lib = lib
        pool = lib.pjsua_pool_create(b"echo", 4096, 4096)
        echo = ctypes.c_void_p()
        status = lib.pjmedia_echo_create2(
            pool,
            clock_rate,
            1,
            samples_per_frame,
            _PJMEDIA_TAIL_MS,
            latency_ms,
            _ECHO_WEBRTC | _ECHO_USE_NOISE_SUPPRESSOR,
            ctypes.byref(echo),
        )
        if status != 0 or not echo.value:
            lib.pj_pool_release(pool)
            raise RuntimeError(f"pjmedia_echo_create2 failed (status {status})")
        self._pool: int | None = pool
        self._echo: int | None = echo.value

    def playback(self, address: int) -> None:
        if self._echo is not None:
            self._lib.pjmedia_echo_playback(self._echo, address)

    def capture(self, address: int) -> None:
        if self._echo is not None:
            self._lib.pjmedia_echo_capture(self._echo, address, 0)

    def close(self) -> None:
        echo, self._echo = self._echo, None
        if echo is not None:
            self._lib.pjmedia_echo_destroy(echo)
        if self._pool is not None:
            self._lib.pj_pool_release(self._pool)
            self._pool = None


def create_echo_canceller(
    lib: ctypes.CDLL, clock_rate: int, samples_per_frame: int, device_latency_ms: int
) -> EchoCanceller | None:
    """AEC3 if livekit is installed, else pjmedia's; None (audio unprocessed) if neither
    could be made. Runs on the engine thread as a call's devices are attached."""
    try:
        return Aec3Canceller(clock_rate, samples_per_frame, device_latency_ms)
    except ImportError:
        log.warning("livekit is not installed: pjmedia's echo canceller (echoes near 200 ms only)")
    except Exception:
        log.exception("WebRTC AEC3 unavailable: pjmedia's echo canceller instead")
    try:
        return PjmediaCanceller(lib, clock_rate, samples_per_frame, device_latency_ms)
    except Exception as exc:
        log.warning("echo canceller unavailable (%s): audio goes unprocessed", exc)
        return None


def _address(buffer: bytearray) -> int:
    return ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))


def _declare(lib: ctypes.CDLL) -> None:
    lib.pjsua_pool_create.restype = ctypes.c_void_p
    lib.pjsua_pool_create.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t]
    lib.pj_pool_release.argtypes = [ctypes.c_void_p]
    lib.pjmedia_echo_create2.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.pjmedia_echo_destroy.argtypes = [ctypes.c_void_p]
    lib.pjmedia_echo_playback.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.pjmedia_echo_capture.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
