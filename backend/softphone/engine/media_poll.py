"""pjmedia's socket poll (RTP, RTCP, ICE, TURN) on a thread of ours that runs only while calls do.

pjmedia's endpoint starts a "media" worker thread that polls its ioqueue with a 10 ms timeout
for the life of the process: 100 wake-ups a second on an idle phone, over half of the engine's
idle CPU (0.18 s a minute, bench/bench_footprint.py). Media sockets exist only during calls
(pjsua creates a call's transports with the call), so outside calls there is nothing to poll.
take_over() stops pjmedia's worker (pjmedia_endpt_stop_threads, what pjsua_destroy calls too;
a second call there is a no-op) and run(True/False) starts and stops our own poller, which
calls the same pj_ioqueue_poll with the same 10 ms timeout, so calls get what they had.
"""

from __future__ import annotations

import ctypes
import threading

from softphone.engine.native import pjsua_library

POLL_MS = 10  # pjmedia's own worker timeout: a socket added mid-poll is watched from the next
_THREAD_DESC_BYTES = 64 * 8 * 2  # pj_thread_desc is long[64]; room to spare


class _TimeVal(ctypes.Structure):
    """pj_time_val."""

    _fields_ = [("sec", ctypes.c_long), ("msec", ctypes.c_long)]


class MediaPoller:
    """take_over() and run() on the engine thread (after libStart); the poll on "media-poll"."""

    def __init__(self) -> None:
        lib = pjsua_library()
        lib.pjsua_get_pjmedia_endpt.restype = ctypes.c_void_p
        lib.pjsua_get_pjmedia_endpt.argtypes = []
        lib.pjmedia_endpt_get_ioqueue.restype = ctypes.c_void_p
        lib.pjmedia_endpt_get_ioqueue.argtypes = [ctypes.c_void_p]
        lib.pjmedia_endpt_stop_threads.argtypes = [ctypes.c_void_p]
        lib.pj_ioqueue_poll.argtypes = [ctypes.c_void_p, ctypes.POINTER(_TimeVal)]
        lib.pj_thread_is_registered.restype = ctypes.c_int
        lib.pj_thread_register.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
        self._lib = lib
        self._endpt = lib.pjsua_get_pjmedia_endpt()
        if not self._endpt:
            raise RuntimeError("pjsua has no media endpoint (call after libInit)")
        self._ioqueue = lib.pjmedia_endpt_get_ioqueue(self._endpt)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # pj_thread_register keeps a pointer to the descriptor: it must outlive the thread.
        self._descs: list[ctypes.Array[ctypes.c_char]] = []

    @property
    def running(self) -> bool:
        return self._thread is not None

    def take_over(self) -> None:
        """Stop pjmedia's worker thread (no call exists yet, so no socket waits on it)."""
        self._lib.pjmedia_endpt_stop_threads(self._endpt)

    def run(self, wanted: bool) -> None:
        """Poll while `wanted` (a call exists); cheap to call every engine loop turn."""
        if wanted and self._thread is None and self._ioqueue:
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="media-poll", daemon=True
            )
            self._thread.start()
        elif not wanted and self._thread is not None:
            self._stop.set()
            self._thread.join(1.0)  # one poll's timeout, and the callbacks of that poll
            self._thread = None

    def _run(self, stop: threading.Event) -> None:
        if not self._lib.pj_thread_is_registered():  # pjlib aborts on threads it does not know
            desc = ctypes.create_string_buffer(_THREAD_DESC_BYTES)
            self._descs.append(desc)
            self._lib.pj_thread_register(b"media-poll", desc, ctypes.byref(ctypes.c_void_p()))
        timeout = _TimeVal(0, POLL_MS)
        while not stop.is_set():
            # ctypes releases the GIL for the call; the stream callbacks run in it, as they
            # did on pjmedia's thread (pj_ioqueue_poll may shorten `timeout`: reset it).
            timeout.sec, timeout.msec = 0, POLL_MS
            self._lib.pj_ioqueue_poll(self._ioqueue, ctypes.byref(timeout))
