"""The conference bridge clocked by the sound card: its master port, fed and drained a frame
at a time from the audio streams' threads, with pjmedia's WebRTC echo canceller between.

The pjsua2 wheel has no sound device (PJSUA2-FACTS.md). pjsua_set_no_snd_dev() hands out the
bridge's master port for exactly this case: whoever calls its get_frame() sets the pace of the
whole bridge (mixing, RTP sending, jitter buffers). So the speaker's callback calls get_frame
and the microphone's calls put_frame; ctypes drops the GIL for each C call, so the Python part
of a callback is a few attribute reads.

Clock drift: the speaker's clock drives everything. The far end's clock differs from it; each
stream's adaptive jitter buffer absorbs that. The microphone's clock differs from the speaker's
when they are different devices; the master port's put_frame goes into pjmedia's delay buffer,
which stretches or shrinks audio (WSOLA) to keep its fill level, so the delay cannot grow.
bench/drift.py measures it over a simulated hour.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time

from softphone.engine.native import pjsua_library

log = logging.getLogger(__name__)

_FRAME_TYPE_AUDIO = 1
_ECHO_WEBRTC = 3
_ECHO_USE_NOISE_SUPPRESSOR = 128
_ECHO_TAIL_MS = 200
_THREAD_DESC_BYTES = 64 * 8 * 2  # pj_thread_desc is long[64]; room to spare


class _Frame(ctypes.Structure):
    """pjmedia_frame."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("buf", ctypes.c_void_p),
        ("size", ctypes.c_size_t),
        ("timestamp", ctypes.c_uint64),
        ("bit_info", ctypes.c_uint32),
    ]


def _declare(lib: ctypes.CDLL) -> None:
    lib.pjsua_set_no_snd_dev.restype = ctypes.c_void_p
    lib.pjsua_set_no_snd_dev.argtypes = []
    lib.pjmedia_port_get_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Frame)]
    lib.pjmedia_port_put_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Frame)]
    lib.pj_thread_is_registered.restype = ctypes.c_int
    lib.pj_thread_register.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
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


class ConferenceClock:
    """attach()/detach() run on the engine thread; the FrameExchange methods
    (enter_audio_thread, put_capture, get_playback) on the streams' threads, which may start
    before attach() and end after detach(): meanwhile they play silence and drop the mic."""

    def __init__(self, clock_rate: int, samples_per_frame: int) -> None:
        self.clock_rate = clock_rate
        self.samples_per_frame = samples_per_frame
        self.frame_bytes = samples_per_frame * 2
        self._lib = pjsua_library()
        _declare(self._lib)
        self._master: int | None = None
        self._pool: int | None = None
        self._echo: int | None = None
        self._capture = _Frame(_FRAME_TYPE_AUDIO, None, self.frame_bytes, 0, 0)
        self._playback = _Frame(_FRAME_TYPE_AUDIO, None, self.frame_bytes, 0, 0)
        self._local = threading.local()
        # Set by each stream thread around its C call (each flag written by one thread only):
        # detach() waits for both to clear before the bridge gets another clock.
        self._in_capture = False
        self._in_playback = False
        # pj_thread_register keeps a pointer to the descriptor: it must outlive the thread.
        self._thread_descs: list[ctypes.Array[ctypes.c_char]] = []

    @property
    def attached(self) -> bool:
        return self._master is not None

    @property
    def echo_cancelling(self) -> bool:
        return self._echo is not None

    def attach(self, *, echo_cancellation: bool, device_latency_ms: int) -> None:
        """Take the bridge off pjsua's own clock (null device) and onto the streams'."""
        master = self._lib.pjsua_set_no_snd_dev()
        if not master:
            raise RuntimeError("pjsua_set_no_snd_dev returned no master port")
        if echo_cancellation:
            self._create_echo_canceller(device_latency_ms)  # ready before the first frame
        self._master = master

    def _create_echo_canceller(self, device_latency_ms: int) -> None:
        pool = self._lib.pjsua_pool_create(b"echo", 4096, 4096)
        echo = ctypes.c_void_p()
        status = self._lib.pjmedia_echo_create2(
            pool,
            self.clock_rate,
            1,
            self.samples_per_frame,
            _ECHO_TAIL_MS,
            device_latency_ms,
            _ECHO_WEBRTC | _ECHO_USE_NOISE_SUPPRESSOR,
            ctypes.byref(echo),
        )
        if status != 0 or not echo.value:
            log.warning("echo canceller unavailable (status %s): audio goes unprocessed", status)
            self._lib.pj_pool_release(pool)
            return
        self._pool, self._echo = pool, echo.value

    def detach(self) -> None:
        """Stop feeding the bridge (streams may go on running: they get silence) and release
        the canceller. The caller gives the bridge a clock again right after."""
        self._master = None
        echo, self._echo = self._echo, None
        deadline = time.monotonic() + 0.2
        while (self._in_capture or self._in_playback) and time.monotonic() < deadline:
            time.sleep(0.001)  # a callback is inside the bridge: at most one frame's work
        if echo is not None:
            self._lib.pjmedia_echo_destroy(echo)
        if self._pool is not None:
            self._lib.pj_pool_release(self._pool)
            self._pool = None

    # --- FrameExchange: the streams' threads ------------------------------------------------

    def enter_audio_thread(self) -> None:
        """pjlib asserts (and aborts the process) when an unknown thread calls it."""
        if getattr(self._local, "registered", False):
            return
        if not self._lib.pj_thread_is_registered():
            desc = ctypes.create_string_buffer(_THREAD_DESC_BYTES)
            handle = ctypes.c_void_p()
            self._thread_descs.append(desc)
            self._lib.pj_thread_register(b"audio", desc, ctypes.byref(handle))
        self._local.registered = True

    def put_capture(self, address: int) -> None:
        """One frame from the microphone (echo removed in place first)."""
        self._in_capture = True  # before reading _master: see detach()
        try:
            master = self._master
            if master is None:
                return
            echo = self._echo
            if echo is not None:
                self._lib.pjmedia_echo_capture(echo, address, 0)
            frame = self._capture
            frame.buf = address
            frame.size = self.frame_bytes
            frame.type = _FRAME_TYPE_AUDIO
            self._lib.pjmedia_port_put_frame(master, ctypes.byref(frame))
        finally:
            self._in_capture = False

    def get_playback(self, address: int) -> bool:
        """Fill one frame for the speaker; False when the bridge had nothing (silence)."""
        self._in_playback = True  # before reading _master: see detach()
        try:
            master = self._master
            if master is None:
                ctypes.memset(address, 0, self.frame_bytes)
                return False
            frame = self._playback
            frame.buf = address
            frame.size = self.frame_bytes
            frame.type = _FRAME_TYPE_AUDIO
            self._lib.pjmedia_port_get_frame(master, ctypes.byref(frame))
            sound = bool(frame.type == _FRAME_TYPE_AUDIO)
            if not sound:
                ctypes.memset(address, 0, self.frame_bytes)
            echo = self._echo
            if echo is not None:
                self._lib.pjmedia_echo_playback(echo, address)
            return sound
        finally:
            self._in_playback = False
