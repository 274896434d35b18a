"""Call audio on the chosen devices: a microphone stream and a speaker stream that feed and
drain the engine's conference bridge (a FrameExchange), counting every glitch.

Runs in the engine process. The callbacks run on PortAudio's threads and must never block:
each is a copy into a preallocated buffer and one call into C (which releases the GIL).

The devices run in blocks of one bridge frame, 10 ms: PortAudio's ALSA backend buffers two
blocks each way, so 20 ms blocks cost 40 ms per direction before the audio server's own; the
device loop alone (microphone in, speaker out, no bridge) measured 109-118 ms with 20 ms blocks
and 54-59 ms with 10 ms ones (docs/audio.md, "Latency"). The callbacks gather and split frames
all the same, so a device whose blocks are not one frame long still feeds the bridge whole
frames.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from softphone.audio.devices import Direction
from softphone.audio.streams import DeviceUnavailableError, open_stream

log = logging.getLogger(__name__)

DEVICE_BLOCK_MS = 10
# A callback this much after the speaker's queue was due to run out counts as an underrun:
# the margin is for the timestamps' own jitter.
_DRY_SLACK_S = 0.005


class FrameExchange(Protocol):
    """What the engine offers: the bridge's microphone input and speaker output."""

    clock_rate: int
    samples_per_frame: int
    frame_bytes: int

    def enter_audio_thread(self) -> None: ...
    def put_capture(self, address: int) -> None: ...
    def get_playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> bool:
        """Fill one speaker frame; False: the bridge had none ready (an underrun).
        `dac_time`: when it reaches the device (PortAudio's outputBufferDacTime);
        `underflow`: the device ran dry before it."""
        ...


@dataclass(frozen=True, slots=True)
class CallAudioStats:
    underruns: int  # the speaker ran dry (PortAudio output underflow, or no frame ready)
    overruns: int  # microphone samples were lost (PortAudio input overflow)
    frames: int  # speaker frames served
    latency_ms: int  # input + output latency PortAudio reports


Opener = Callable[..., Any]


class CallAudio:
    """start()/stop()/stats() from one thread (the engine's); callbacks on PortAudio's."""

    def __init__(self, exchange: FrameExchange, opener: Opener = open_stream) -> None:
        self._exchange = exchange
        self._open = opener
        self._input: Any = None
        self._output: Any = None
        self._mic = (ctypes.c_char * exchange.frame_bytes)()
        self._mic_view = memoryview(self._mic).cast("B")
        self._mic_address = ctypes.addressof(self._mic)
        self._mic_fill = 0  # bytes of the next bridge frame gathered so far
        self._spk = (ctypes.c_char * exchange.frame_bytes)()
        self._spk_view = memoryview(self._spk).cast("B")
        self._spk_address = ctypes.addressof(self._spk)
        self._spk_pos = exchange.frame_bytes  # bytes of the current frame already played
        self._lock = threading.Lock()  # counters are bumped from two threads
        self._underruns = 0
        self._overruns = 0
        self._frames = 0
        self._first_callback_at: float | None = None  # the device's clock
        self._dry_at: float | None = None  # when what was given to the speaker has played
        self.input_id: str | None = None
        self.output_id: str | None = None

    @property
    def running(self) -> bool:
        return self._output is not None

    def start(self, input_id: str | None, output_id: str | None) -> list[str]:
        """Open and start both devices (a chosen one that fails: the default instead).
        Returns the devices that failed; raises DeviceUnavailableError if no speaker opens
        at all (the bridge then keeps its own clock and calls go on without sound)."""
        failed: list[str] = []
        output, self.output_id = self._open_either("output", output_id, self._on_playback, failed)
        try:
            inp, self.input_id = self._open_either("input", input_id, self._on_capture, failed)
        except DeviceUnavailableError as exc:
            log.warning("no microphone: calls go out silent (%s)", exc)
            inp = None
            self.input_id = None
        self._output, self._input = output, inp
        self._first_callback_at = self._dry_at = None  # a new stream's clock
        output.start()
        if inp is not None:
            inp.start()
        return failed

    def _open_either(
        self,
        direction: Direction,
        device_id: str | None,
        callback: Callable[..., None],
        failed: list[str],
    ) -> tuple[Any, str | None]:
        rate = self._exchange.clock_rate
        # 10 ms blocks whatever the bridge's frame: PortAudio's ALSA backend keeps two blocks
        # queued each way, so the block sets the device path's delay (20 ms blocks: 109-118
        # ms device loop, 10 ms: 54-59; 5 ms underran). The callbacks join and split frames.
        block = rate * DEVICE_BLOCK_MS // 1000
        try:
            return self._open(direction, device_id, callback, samplerate=rate, blocksize=block), (
                device_id
            )
        except DeviceUnavailableError as exc:
            if device_id is None:
                raise
            log.warning("%s; using the system default", exc)
            failed.append(device_id)
        return self._open(direction, None, callback, samplerate=rate, blocksize=block), None

    def stop(self) -> None:
        for stream in (self._input, self._output):
            if stream is None:
                continue
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # a device that vanished may fail to close; go on
                log.warning("closing a stream: %s", exc)
        self._input = self._output = None

    def healthy(self) -> bool:
        """False when a stream stopped by itself (device gone for good, server restarted)."""
        return all(s is None or s.active for s in (self._input, self._output))

    def stats(self) -> CallAudioStats:
        latency = 0.0
        for stream in (self._input, self._output):
            if stream is not None:
                latency += float(stream.latency)
        with self._lock:
            return CallAudioStats(
                self._underruns, self._overruns, self._frames, round(latency * 1000)
            )

    # --- PortAudio threads ------------------------------------------------------------------

    def _on_capture(self, indata: Any, frames: int, _time: Any, status: Any) -> None:
        exchange = self._exchange
        exchange.enter_audio_thread()
        if status.input_overflow:
            with self._lock:
                self._overruns += 1
        data = memoryview(indata).cast("B")
        size, done = exchange.frame_bytes, 0
        while done < len(data):
            take = min(size - self._mic_fill, len(data) - done)
            # own copy: the echo canceller works in place, and a frame spans two blocks
            self._mic_view[self._mic_fill : self._mic_fill + take] = data[done : done + take]
            self._mic_fill += take
            done += take
            if self._mic_fill == size:
                self._mic_fill = 0
                exchange.put_capture(self._mic_address)

    def _silent_frames(self, now: float, dac_time: float, block_s: float, frame_s: float) -> int:
        """Bridge frames' worth of silence the speaker played before this block came, for it
        ran dry. ALSA's pulse plugin no longer reports PulseAudio's underflows
        (assets/alsa-pulse.conf), so it is read from the device's clock: this callback came
        after the last one's block was due to have played. Not while the stream starts: its
        first blocks fill the buffer at once and the server starts playing only later (1-2 s
        on an idle null sink, measured), playing nothing before."""
        if not dac_time or not now:
            return 0  # a host API without timing
        if self._first_callback_at is None:
            self._first_callback_at = now
        late = now - self._dry_at if self._dry_at is not None else 0.0
        if now > self._first_callback_at + _DRY_SLACK_S:  # past the start's fill
            self._dry_at = dac_time + block_s
        return math.ceil(late / frame_s) if late > _DRY_SLACK_S else 0

    def _on_playback(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        exchange = self._exchange
        exchange.enter_audio_thread()
        out = memoryview(outdata).cast("B")
        size, done = exchange.frame_bytes, 0
        pulled = dry = 0
        dac_time = float(_time.outputBufferDacTime)  # of this block's first sample
        rate = exchange.clock_rate
        silent = self._silent_frames(
            float(_time.currentTime), dac_time, len(out) / 2 / rate, size / 2 / rate
        )
        underflow = bool(status.output_underflow) or silent > 0
        while done < len(out):
            if self._spk_pos == size:  # the next bridge frame, only when this one is played
                # Its own DAC time (it starts `done` bytes into the block); the underflow
                # came before the block, so it belongs to the block's first frame.
                at = dac_time + done / 2 / rate if dac_time else 0.0
                if not exchange.get_playback(self._spk_address, at, underflow and not pulled):
                    dry += 1
                pulled += 1
                self._spk_pos = 0
            take = min(size - self._spk_pos, len(out) - done)
            out[done : done + take] = self._spk_view[self._spk_pos : self._spk_pos + take]
            self._spk_pos += take
            done += take
        with self._lock:
            self._frames += pulled
            # Frames the speaker went without: the bridge's missing ones or the device's gap.
            self._underruns += max(dry, silent, int(underflow))
