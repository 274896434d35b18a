"""The conference bridge clocked by a monotonic real-time clock of its own, its master port
drained into a speaker queue and fed from the microphone, with an echo canceller
(engine/echo.py) between the device callbacks.

The pjsua2 wheel has no sound device (docs/pjsua2-facts.md). pjsua_set_no_snd_dev() hands out the
bridge's master port for exactly this case: whoever calls its get_frame() sets the pace of the
whole bridge (mixing, RTP sending, jitter buffers). That used to be the speaker's callback,
but PortAudio's callbacks do not keep time: once the speaker underran (a busy machine, a
PulseAudio loopback module in the path) ALSA's pulse plugin called back at 2-4x real time, or
at a tenth of it, and the far end got that much audio. So a thread of ours ("bridge-clock")
calls get_frame every frame (10 ms) of time.monotonic() (catching up at most _MAX_CATCH_UP_S
after being starved of CPU) and queues the frame for the speaker.

Clock drift: the far end's clock differs from ours; each stream's adaptive jitter buffer
absorbs that. The speaker's differs too: its queue drops what it never drains (the frames it
held for a whole second, _TRIM_EVERY_S) and plays silence, counted as an
underrun, when it asks for more than the bridge made. The microphone's clock differs as well;
its frames wait in a queue of the same kind, and the clock puts one into the bridge (the
master port's put_frame, pjmedia's delay buffer) right before each get_frame: a microphone
running fast loses a frame when one stayed queued a whole second, one running slow leaves a
tick without a frame, which the delay buffer makes up (WSOLA). bench/audio_drift.py measures
the delay over a simulated hour.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections import deque

from softphone.engine.echo import EchoCanceller
from softphone.engine.native import pjsua_library

log = logging.getLogger(__name__)

_FRAME_TYPE_AUDIO = 1
_THREAD_DESC_BYTES = 64 * 8 * 2  # pj_thread_desc is long[64]; room to spare
# After the clock thread got no CPU for a while it runs this much bridge time back to back at
# most; beyond, time is skipped: a burst of late audio helps nobody.
_MAX_CATCH_UP_S = 0.2
_SPEAKER_MAX_S = 0.2  # queued for the speaker: it stalled; older frames go
_TRIM_EVERY_S = 1.0  # between looks at the speaker queue's low-water mark
_PACE_FRAMES = 10  # CallbackPace looks at this many speaker callbacks...
_PACE_FAST = 1.5  # ...and calls them fast when they came this much faster than real time
_now = time.monotonic  # the speaker callbacks' clock (a test steps it)


class CallbackPace:
    """Whether the speaker's callbacks come faster than real time: over the last _PACE_FRAMES
    frames, more than _PACE_FAST times the frames that much time holds.

    Through ALSA's pulse plugin the speaker was called back at 2-5x real time for seconds
    (seen in the PulseAudio echo rigs: 392 of 873 frames, 1618 of 2018, found the speaker
    queue empty); the server still played the bridge's frames without a gap (its monitor,
    recorded, had the far end's speech whole), so the silence the app handed those extra
    callbacks was never heard. Given to the echo canceller as what was played, its reference
    no longer matched the echo: two such calls of five cancelled 0.5 dB for the whole call.
    A frame the speaker asked for on time and found missing is played as silence: that one
    stays in the reference. Counted per bridge frame pulled, so a device's blocks of several
    frames (pulled back to back) do not look fast."""

    def __init__(self, frame_s: float) -> None:
        self._span = _PACE_FRAMES * frame_s / _PACE_FAST
        self._times: deque[float] = deque(maxlen=_PACE_FRAMES + 1)

    def fast(self, now: float) -> bool:
        times = self._times
        times.append(now)
        return len(times) > _PACE_FRAMES and now - times[0] < self._span


class SpeakerQueue:
    """Frames from the bridge clock to the speaker callback (one producer, one consumer).

    The speaker runs on its own crystal and may stall or call back in bursts: frames it never
    drains are latency, so once a second the frames that stayed queued all that time (the
    low-water mark, less one of margin) are dropped; a pull from an empty queue is an underrun
    (silence). Until the speaker's first pull (after clear()) only the newest frame is kept: a
    speaker that starts late (PulseAudio's first callback came 1-1.3 s after the stream was
    started, seen) would otherwise begin with 200 ms queued and keep it for seconds (a slow
    start). deque's append/popleft are atomic: no lock on the audio threads."""

    def __init__(self, frame_bytes: int, frames_per_second: int = 50) -> None:
        self.frame_bytes = frame_bytes
        self._max = max(1, round(_SPEAKER_MAX_S * frames_per_second))
        self._trim_every = max(1, round(_TRIM_EVERY_S * frames_per_second))
        self._frames: deque[bytes] = deque()
        self._low = self._max
        self._pulls = 0
        self._pulled = False  # the speaker has pulled since the last clear()
        self.underruns = 0  # the speaker asked, nothing was queued
        self.dropped = 0  # frames thrown away: the speaker drained slower than real time

    def clear(self) -> None:
        self._frames.clear()
        self._low = self._max
        self._pulls = 0
        self._pulled = False

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, frame: bytes) -> None:
        frames = self._frames
        frames.append(frame)
        while len(frames) > (self._max if self._pulled else 1):
            frames.popleft()
            self.dropped += 1

    def pull(self, address: int) -> bool:
        """Copy the oldest frame to `address`; False (silence written) on an underrun."""
        frames = self._frames
        self._pulled = True
        self._low = min(self._low, len(frames))
        self._pulls += 1
        if self._pulls >= self._trim_every:
            for _ in range(self._low - 1):  # keep one frame of margin for jitter
                frames.popleft()
                self.dropped += 1
            self._low, self._pulls = self._max, 0
        try:
            frame = frames.popleft()
        except IndexError:
            ctypes.memset(address, 0, self.frame_bytes)
            self.underruns += 1
            return False
        ctypes.memmove(address, frame, self.frame_bytes)
        return True


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


def stop_pjsua_clock() -> None:
    """Leave the conference bridge with no clock at all (engine thread, no call with media).

    pjsua's null device has a "clock" thread of its own that wakes every 20 ms, all day long
    on an idle phone. pjsua_set_no_snd_dev() closes it, and tells pjsua not to open a sound
    device of its own on a later connect (the wheel has none to open). Call media gets a
    clock again before it is connected: EngineSound.ensure_clock (null device), then
    ConferenceClock.attach (ours) once the devices run."""
    lib = pjsua_library()
    _declare(lib)
    lib.pjsua_set_no_snd_dev()


class ConferenceClock:
    """attach()/detach() run on the engine thread; the FrameExchange methods
    (enter_audio_thread, put_capture, get_playback) on the streams' threads, which may start
    before attach() and end after detach(): meanwhile they play silence and drop the mic.
    tick() runs on the clock thread attach() starts (or, with own_clock=False, on the
    caller's: bench/audio_drift.py simulates an hour that way)."""

    def __init__(self, clock_rate: int, samples_per_frame: int) -> None:
        self.clock_rate = clock_rate
        self.samples_per_frame = samples_per_frame
        self.frame_bytes = samples_per_frame * 2
        self._lib = pjsua_library()
        _declare(self._lib)
        self._master: int | None = None
        self._echo: EchoCanceller | None = None
        self._capture = _Frame(_FRAME_TYPE_AUDIO, None, self.frame_bytes, 0, 0)
        self._playback = _Frame(_FRAME_TYPE_AUDIO, None, self.frame_bytes, 0, 0)
        self._tick_buffer = ctypes.create_string_buffer(self.frame_bytes)
        self._mic_buffer = ctypes.create_string_buffer(self.frame_bytes)
        self.speaker = SpeakerQueue(self.frame_bytes, clock_rate // samples_per_frame)
        self._speaker_pace = CallbackPace(samples_per_frame / clock_rate)
        # The microphone's frames wait here for the clock, which puts one into the bridge
        # right before each get_frame: pjmedia's delay buffer behind put_frame then never
        # runs dry between the two (each time it did, it made up a frame and kept it as
        # latency, up to 50 ms: the round trip stepped up by 20-30 ms mid-call, seen).
        self.microphone = SpeakerQueue(self.frame_bytes, clock_rate // samples_per_frame)
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._local = threading.local()
        # Set by each stream thread around its C call (each flag written by one thread only):
        # detach() waits for both to clear before the bridge gets another clock.
        self._in_capture = False
        self._in_playback = False
        self._in_speaker = False
        # pj_thread_register keeps a pointer to the descriptor: it must outlive the thread.
        self._thread_descs: list[ctypes.Array[ctypes.c_char]] = []

    @property
    def attached(self) -> bool:
        return self._master is not None

    @property
    def echo_cancelling(self) -> bool:
        return self._echo is not None and self._echo.cancels_echo

    @property
    def echo_canceller(self) -> str | None:
        """Which canceller runs (engine/echo.py), for the log."""
        return self._echo.name if self._echo is not None and self._echo.cancels_echo else None

    def attach(self, *, echo: EchoCanceller | None, own_clock: bool = True) -> None:
        """Take the bridge off pjsua's own clock (null device) and onto ours, the streams
        already running; `echo`, made beforehand, from now on cleans the microphone.

        Nothing slow may run here: from pjsua_set_no_snd_dev() until our clock thread ticks,
        the bridge has no clock while the far end's RTP keeps arriving, and each frame of
        that gap stays in the call's jitter buffer as latency for seconds (pjmedia discards
        it progressively). Making AEC3 here (livekit's and numpy's first import, ~0.5 s) left
        7-8 packets there and the first chirp 35-45 % later than steady (bench_latency.py)."""
        self._echo = echo  # ready before the first frame
        master = self._lib.pjsua_set_no_snd_dev()
        if not master:
            raise RuntimeError("pjsua_set_no_snd_dev returned no master port")
        # Whatever the speaker got before (silence) is not queued: no stale audio at attach.
        self.speaker.clear()
        self.microphone.clear()
        self._master = master
        if own_clock:
            self._stop = threading.Event()
            self._ticker = threading.Thread(
                target=self._run, args=(self._stop,), name="bridge-clock", daemon=True
            )
            self._ticker.start()

    def detach(self) -> None:
        """Stop feeding the bridge (streams may go on running: they get silence) and release
        the canceller. The caller gives the bridge a clock again right after."""
        self._master = None
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(1.0)  # at most one frame's work left
            self._ticker = None
        echo, self._echo = self._echo, None
        deadline = time.monotonic() + 0.2
        while (
            self._in_capture or self._in_playback or self._in_speaker
        ) and time.monotonic() < deadline:
            time.sleep(0.001)  # a callback is inside the bridge: at most one frame's work
        self.speaker.clear()
        if echo is not None:
            echo.close()

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
        """One frame from the microphone (echo removed in place first), queued for the clock."""
        self._in_capture = True  # before reading _master: see detach()
        try:
            master = self._master
            if master is None:
                return
            echo = self._echo
            if echo is not None:
                echo.capture(address)
            self.microphone.push(ctypes.string_at(address, self.frame_bytes))
        finally:
            self._in_capture = False

    def get_playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> bool:
        """Fill one frame for the speaker; False when the bridge had made none for it yet
        (an underrun: silence). `dac_time` and `underflow` (PortAudio's, for this frame) let
        the echo canceller mirror silence the device played on its own (engine/echo.py)."""
        self._in_speaker = True  # before reading _echo: see detach()
        try:
            if self._master is None:
                ctypes.memset(address, 0, self.frame_bytes)
                return True  # not attached: silence is what there is, not an underrun
            sound = self.speaker.pull(address)
            fast = self._speaker_pace.fast(_now())
            echo = self._echo
            # Silence handed to a callback that came before its time was not played (see
            # CallbackPace): the canceller's reference is what was.
            if echo is not None and (sound or not fast):
                echo.playback(address, dac_time, underflow)
            return sound
        finally:
            self._in_speaker = False

    # --- the clock ----------------------------------------------------------------------

    def tick(self) -> None:
        """One frame of bridge time: mix, send RTP, queue the speaker's share."""
        self._in_playback = True  # before reading _master: see detach()
        try:
            master = self._master
            if master is None:
                return
            if self.microphone.pull(ctypes.addressof(self._mic_buffer)):
                capture = self._capture
                capture.buf = ctypes.addressof(self._mic_buffer)
                capture.size = self.frame_bytes
                capture.type = _FRAME_TYPE_AUDIO
                self._lib.pjmedia_port_put_frame(master, ctypes.byref(capture))
            buffer = self._tick_buffer
            frame = self._playback
            frame.buf = ctypes.addressof(buffer)
            frame.size = self.frame_bytes
            frame.type = _FRAME_TYPE_AUDIO
            self._lib.pjmedia_port_get_frame(master, ctypes.byref(frame))
            if frame.type != _FRAME_TYPE_AUDIO:
                ctypes.memset(buffer, 0, self.frame_bytes)
            self.speaker.push(buffer.raw)
        finally:
            self._in_playback = False

    def _run(self, stop: threading.Event) -> None:
        self.enter_audio_thread()
        period = self.samples_per_frame / self.clock_rate
        max_catch_up = round(_MAX_CATCH_UP_S / period)
        due = time.monotonic()  # the bridge time of the next frame, on the monotonic clock
        while not stop.is_set():
            late = time.monotonic() - due
            if late < 0:
                stop.wait(-late)
                continue
            behind = int(late / period)  # frames overdue beyond this one
            if behind >= max_catch_up:
                skipped = behind - max_catch_up + 1
                due += skipped * period
                log.warning("the bridge clock got no CPU for %d ms", round(late * 1000))
            self.tick()
            due += period
