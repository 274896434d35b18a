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
# Speaker audio waiting for the microphone's thread at most (in frames: see Aec3Canceller).
_MAX_QUEUED_MS = 200
# Playout gaps (see PlayoutGaps): an underflow is measured against the callback this many
# before it, over this many callbacks from it; smaller gaps than _GAP_MIN_MS are jitter.
_GAP_LOOKBACK = 4
_GAP_WATCH = 4
_GAP_MIN_MS = 3
# A longer gap is not mirrored: the module gets the silence in a burst after waiting for it,
# and offline it followed that up to 60 ms (68 dB after it), less at 80 ms (38 dB), not at
# 100 ms and over (-3 to 2 dB, against 12 dB with a 130 ms gap not mirrored).
_GAP_MAX_MS = 60
# The echo's delay moving (engine/echo_delay.py, echo_drift.py): the reference follows every
# move, jumps and the clocks' creep (offline, after jumps of only 3-5 ms AEC3 alone cancelled
# 15-20 dB at worst over the next 2-8 s, 27-39 dB with the reference following), up to this
# far behind the speaker's audio.
_MAX_FOLLOWED_MS = 500


class EchoCanceller(Protocol):
    """playback() runs on the speaker's thread (a frame as it leaves for the speaker: the
    reference), capture() on the microphone's (a frame cleaned in place); close() on the
    engine thread once neither can run any more. `cancels_echo` is False for a processor that
    only applies automatic gain (engine/gain.py); `auto_gain` whether it applies it."""

    name: str
    cancels_echo: bool
    auto_gain: bool

    def playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> None:
        """`dac_time`: when the frame's first sample reaches the device (PortAudio's
        outputBufferDacTime, 0 if unknown); `underflow`: the device ran dry before it."""
        ...

    def capture(self, address: int) -> None: ...
    def close(self) -> None: ...


class PlayoutGaps:
    """The silence a speaker played that the app never gave it: when the device (PulseAudio's
    stream, ALSA) runs dry it plays silence, and every later frame leaves that much later, so
    the echo moves against a reference made of the frames alone. Measured end to end on a
    loaded machine: 3-6 underflows a call, each moving the next frame's DAC time 6-56 ms more
    than one frame on (seen in PortAudio's timestamps), and AEC3 let echo through for about
    a second after each while it found the new delay.

    So at an underflow the DAC time of the frames is compared with where they would have been
    without it (from the callback _GAP_LOOKBACK before, one frame period per callback), over
    _GAP_WATCH callbacks (the timestamps may show the gap a callback late); what is more than
    _GAP_MIN_MS is silence the device inserted, and the canceller's reference gets the same
    (up to _GAP_MAX_MS).
    Between underflows nothing is corrected: the device's own clock rate and the timestamps'
    jitter are not gaps."""

    def __init__(self, clock_rate: int, samples_per_frame: int) -> None:
        self._rate = clock_rate
        self._period = samples_per_frame / clock_rate
        self._history: deque[tuple[float, int]] = deque(maxlen=_GAP_LOOKBACK)
        self._index = 0
        self._watch = 0
        self._base = (0.0, 0)
        self._since_base = 0  # samples inserted since the base
        self.inserted = 0  # samples of silence mirrored in all
        self.gaps = 0
        self.too_long = 0  # gaps over _GAP_MAX_MS, not mirrored

    @property
    def inserted_ms(self) -> int:
        return self.inserted * 1000 // self._rate

    def step(self, dac_time: float, underflow: bool) -> int:
        """Samples of silence the device played before this frame (0 mostly)."""
        gap = 0
        if dac_time > 0:
            if underflow and not self._watch and self._history:
                self._base, self._since_base, self._watch = self._history[0], 0, _GAP_WATCH
            if self._watch:
                self._watch -= 1
                base_time, base_index = self._base
                lag = dac_time - base_time - (self._index - base_index) * self._period
                missing = round(lag * self._rate) - self._since_base
                if missing > _GAP_MAX_MS * self._rate // 1000:
                    self._watch = 0  # the module could not follow it mirrored: left alone
                    self.too_long += 1
                elif missing >= _GAP_MIN_MS * self._rate // 1000:
                    gap = missing
                    self._since_base += gap
                    self.inserted += gap
                    self.gaps += 1
            self._history.append((dac_time, self._index))
        self._index += 1
        return gap


class Aec3Canceller:
    """WebRTC AEC3 on 10 ms sub-frames of the bridge's frames, in place, all of it on the
    microphone's thread.

    The speaker's callback only queues its frame; each microphone frame first hands the
    module one frame's worth of reference (more if some was missing last time), then is
    processed. The module thus sees speaker and microphone strictly interleaved, one for one,
    whatever order and bursts PortAudio's two threads call back in: the echo's delay it has to
    track stays put in samples, the module needs no lock, and the speaker's thread makes no
    call into it. What the device played and the app did not give it (silence after an
    underflow: PlayoutGaps) goes into the reference too, before the frame that followed it,
    so the reference is what was played. The reference is the speaker's audio moved as the echo
    moved (AlignedReference: a jump, engine/echo_delay.py; the two devices' clocks,
    engine/echo_drift.py), and the queue is read as fast as the reference needs it. What AEC3
    still lets through of the echo, or adds, is taken out after it, 5 ms later
    (engine/echo_residual.py, which sees the microphone's audio too). The queue is kept short:
    the frames queued before the microphone's first one go (they would be paired with later
    microphone audio, an echo earlier than its cause), and over _MAX_QUEUED_MS of frames, beyond
    what a jump holds back, the oldest go (a microphone that stalled).

    Each sub-frame is copied into a preallocated buffer that an AudioFrame wraps (the module
    works in place there). A failure inside the module (never seen) turns the canceller into a
    pass-through rather than an exception in a PortAudio callback, which would stop the
    stream."""

    name = "webrtc-aec3"
    cancels_echo = True

    def __init__(
        self, clock_rate: int, samples_per_frame: int, delay_hint_ms: int, auto_gain: bool = False
    ) -> None:
        from livekit import rtc  # lazily: see the module docstring

        from softphone.engine.echo_delay import EchoDelayTracker
        from softphone.engine.echo_drift import AlignedReference, DriftingDelay
        from softphone.engine.echo_residual import ResidualEchoSuppressor
        from softphone.engine.gain import AutomaticGain

        sub = clock_rate // 100  # the module takes exactly 10 ms at a time
        if samples_per_frame % sub:
            raise ValueError(f"{samples_per_frame} samples is not a multiple of 10 ms")
        self._parts = samples_per_frame // sub
        self._max_queued = max(1, _MAX_QUEUED_MS * clock_rate // 1000 // samples_per_frame)
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
        self._capture_address = buffer_address(self._capture_buffer)
        # Speaker audio to the microphone's thread, a frame (and the silence played before
        # it, if any) per entry; deque's append/popleft are atomic.
        self._queued: deque[bytes] = deque()
        self._pending = bytearray()  # taken from the queue, not given to the module yet
        self._owed = 0  # bytes of speaker audio the module should have had already
        self._capturing = False
        self.dropped = 0  # speaker frames never given to the module (a backlog)
        self.gaps = PlayoutGaps(clock_rate, samples_per_frame)
        self._tracker = EchoDelayTracker(clock_rate)
        self._residual = ResidualEchoSuppressor(clock_rate)
        # Last, after the suppressor, which would take back a gain raised before it.
        self._gain = AutomaticGain(clock_rate, samples_per_frame) if auto_gain else None
        self.auto_gain = auto_gain
        self._drift = DriftingDelay(clock_rate)
        self._rate = clock_rate
        self._sub = sub
        self._reference_max = clock_rate * _MAX_FOLLOWED_MS // 1000
        # The shifts of the last 2 s are remembered: the tracker's correlations reach 1.25 s.
        self._reference = AlignedReference(self._reference_max, 2 * clock_rate)
        # The echo's delay AEC3 knows, in samples behind the speaker's stream (what the tracker
        # sees plus the reference's shift): the first one found (AEC3 finds it itself) or a
        # sooner one it had to find again.
        self._base: float | None = None
        self._heard = 0  # microphone samples so far: the drift's time line
        self.followed: list[int] = []  # the reference's moves after jumps, ms
        self.crept = 0  # the reference's moves with the clocks' drift, samples (net)
        self._failed = False

    def playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> None:
        gap = self.gaps.step(dac_time, underflow)
        frame = ctypes.string_at(address, self._frame_bytes)
        self._queued.append(bytes(2 * gap) + frame if gap else frame)

    def capture(self, address: int) -> None:
        if self._failed:
            return
        queued = self._queued
        # The reference moved back after a jump waits in the queue: room for it.
        held_back = max(0, self._reference.shift - self.crept)
        allowed = self._max_queued + held_back * 2 // self._frame_bytes
        if not self._capturing:
            self._capturing = True
            self._drop(len(queued))
        elif len(queued) > allowed:
            self._drop(len(queued) - allowed)
        size = self._sub_bytes
        pending = self._pending
        reference = self._reference
        try:
            self._owed += self._frame_bytes
            while self._owed >= size:
                while reference.wanted(self._sub) and (len(pending) >= size or queued):
                    if len(pending) < size:
                        pending += queued.popleft()
                        continue
                    reference.feed(bytes(pending[:size]))
                    del pending[:size]
                if reference.wanted(self._sub):
                    break
                self._render_buffer[:] = reference.take(self._sub)
                self._tracker.reference(self._render_buffer)
                self._residual.reference(self._render_buffer)
                self._owed -= size
                self._apm.process_reverse_stream(self._render)
            self._owed = min(self._owed, self._max_queued * self._frame_bytes)
            for part in range(self._parts):
                at = address + part * size
                ctypes.memmove(self._capture_address, at, size)
                self._residual.microphone(self._capture_buffer)
                self._track()
                self._apm.set_stream_delay_ms(self._delay)
                self._apm.process_stream(self._capture)
                self._residual.suppress(self._capture_buffer, self._echo_delay())
                ctypes.memmove(at, self._capture_address, size)
            if self._gain is not None:
                self._gain.apply(address)
        except Exception:
            self._failed = True
            log.exception("the echo canceller failed: the microphone goes unprocessed")

    def _track(self) -> None:
        """The microphone sub-frame in the capture buffer to the tracker, and the reference
        moved where the echo went."""
        self._heard += self._sub
        seen = self._tracker.microphone(self._capture_buffer)
        measured = self._tracker.measurement
        jumped = False
        if measured is not None:
            view, likeness, where = measured
            shift = self._reference.shift_at(where)
            if seen is not None:
                jumped = self._jumped(seen + shift)
            else:
                self._drift.observe(self._heard, view + shift, likeness)
        moved = self._align()
        if moved and jumped:
            self.followed.append(moved * 1000 // self._rate)
        else:
            self.crept += moved

    def _jumped(self, delay: int) -> bool:
        """The tracker confirmed a new delay: `delay` samples behind the speaker's stream
        (the tracker sees the reference as AEC3 does, so the reference's shift is added).
        Whether the echo path jumped: on the drift's line it is the creep, already followed.
        After a jump the reference is to move by as much as the echo moved from the delay AEC3
        knows, so AEC3 keeps it (_align). An echo sooner than that is met only with the
        speaker's audio in hand (read ahead); else AEC3 finds it itself and it becomes the
        delay AEC3 knows."""
        if self._base is None:
            self._base = delay
            self._drift.restart(self._heard, delay)
            return False
        predicted = self._drift.predict(self._heard)
        if predicted is not None and abs(delay - predicted) <= self._drift.gate:
            return False
        self._drift.restart(self._heard, delay)
        reference = self._reference
        in_hand = (len(self._pending) + sum(map(len, self._queued))) // 2
        if self._base - delay > in_hand + reference.fed - reference.taken:
            self._base = delay - reference.shift
        return True

    def _align(self) -> int:
        """Shift the reference to the predicted delay (a jump's, or the clocks' drift:
        engine/echo_drift.py); the samples it moved."""
        predicted = self._drift.predict(self._heard)
        if predicted is None or self._base is None:
            return 0
        before = self._reference.shift
        self._reference.follow(predicted, self._base)
        return self._reference.shift - before

    def _echo_delay(self) -> int | None:
        """The echo's delay behind the reference as AEC3 gets it (samples paired by count),
        None before one is found: the drift's line, less what the reference was moved by."""
        predicted = self._drift.predict(self._heard)
        if predicted is None:
            return None
        return round(predicted) - self._reference.shift

    def _drop(self, count: int) -> None:
        for _ in range(count):
            self._queued.popleft()
        self.dropped += count

    def close(self) -> None:
        self._apm = None
        self._queued.clear()
        if self.followed:
            log.info("echo delay moved in the call: reference moved %s ms", self.followed)
        if self.crept:
            log.info(
                "echo delay crept with the devices' clocks (%.0f ppm): reference moved %d samples",
                self._drift.ppm,
                self.crept,
            )
        if self._residual.taken_out_ms:
            log.info(
                "residual echo: %d ms of the call lost 3 dB or more", self._residual.taken_out_ms
            )
        if self.gaps.gaps or self.gaps.too_long or self.dropped:
            log.info(
                "echo reference: %d playout gaps mirrored (%d ms of silence), %d too long to,"
                " %d frames dropped",
                self.gaps.gaps,
                self.gaps.inserted_ms,
                self.gaps.too_long,
                self.dropped,
            )


class PjmediaCanceller:
    """pjmedia's WebRTC AEC (and noise suppressor) through ctypes: the fallback when livekit is
    not installed. It cancels echoes delayed about `_PJMEDIA_TAIL_MS` only."""

    name = "pjmedia-webrtc"
    cancels_echo = True
    auto_gain = False

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

    def playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> None:
        if self._echo is not None:  # pjmedia's canceller keeps its own delay: no gap mirrored
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
    lib: ctypes.CDLL,
    clock_rate: int,
    samples_per_frame: int,
    device_latency_ms: int,
    auto_gain: bool = False,
) -> EchoCanceller | None:
    """AEC3 (then automatic gain if asked) if livekit is installed, else pjmedia's without
    it; None (audio unprocessed) if neither could be made. Runs on the device thread once a
    call's devices are open (engine/sound.py)."""
    try:
        return Aec3Canceller(clock_rate, samples_per_frame, device_latency_ms, auto_gain)
    except ImportError:
        log.warning(
            "livekit is not installed: pjmedia's echo canceller (echoes near 200 ms only)%s",
            ", no automatic gain control" if auto_gain else "",
        )
    except Exception:
        log.exception("WebRTC AEC3 unavailable: pjmedia's echo canceller instead")
    try:
        return PjmediaCanceller(lib, clock_rate, samples_per_frame, device_latency_ms)
    except Exception as exc:
        log.warning("echo canceller unavailable (%s): audio goes unprocessed", exc)
        return None


def buffer_address(buffer: bytearray) -> int:
    """Where `buffer`'s bytes are, for ctypes.memmove (the buffer must outlive its use)."""
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
