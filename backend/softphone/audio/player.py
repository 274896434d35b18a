"""Play one of the app's sounds on an output device: looped with a period (ring) or once.

The PortAudio callback only copies precomputed samples (numpy, a few microseconds per 20 ms
block) and never waits for anything; opening and closing streams, which can take a second
through PulseAudio, is left to the caller's own thread. numpy (~8 MiB) is imported when a
sound is first decoded (the first ring or test sound), not at the app's start (issue 21).
"""

from __future__ import annotations

import logging
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.audio import streams

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger(__name__)

BLOCK_S = 0.02
# Silence after a sound played once, before its stream stops: PortAudio's ALSA stream, told to
# stop, dropped its last ~60 ms (3 blocks, measured through PulseAudio); the drop falls here.
# Counted in blocks the device took, not in wall time, so a stalled server cuts nothing.
TAIL_S = 0.2


@dataclass(frozen=True, slots=True)
class Sound:
    """Mono samples, float32 in -1..1, and their rate."""

    samples: npt.NDArray[np.float32]
    rate: int

    @classmethod
    def load(cls, path: Path) -> Sound:
        import numpy as np

        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise ValueError(f"{path}: not 16-bit mono")
            data = wav.readframes(wav.getnframes())
            rate = wav.getframerate()
        return cls((np.frombuffer(data, "<i2").astype(np.float32) / 32768.0), rate)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class TonePlayer:
    """One output stream. `start()` opens it (slow: call it off the bus thread); `silence()` is
    instant (the next block is zeros); `close()` drops what is buffered and closes."""

    def __init__(self, sound: Sound, *, gain: float = 1.0, period_s: float | None = None) -> None:
        import numpy as np

        length = len(sound.samples)
        total = max(length, round(period_s * sound.rate)) if period_s else length
        self._buffer = np.zeros(total, dtype=np.float32)
        self._buffer[:length] = sound.samples
        self._loop = period_s is not None
        self._rate = sound.rate
        self._pos = 0
        self._stream: Any = None
        self.gain = gain  # read by every callback: a volume change applies within 20 ms
        self.silent = False
        self.first_block_at: float | None = None  # perf_counter of the first sound block
        self.silenced_at: float | None = None  # perf_counter of the first silent block
        # A sound played once: its stream drained after the sound and its silent tail (PortAudio
        # says so once the device took it all), or the stream was closed.
        self.finished = threading.Event()
        self._lock = threading.Lock()

    @property
    def duration_s(self) -> float:
        return len(self._buffer) / self._rate

    def start(self, device_id: str | None) -> None:
        """Raises streams.DeviceUnavailableError."""
        stream = streams.open_stream(
            "output",
            device_id,
            self._callback,
            samplerate=self._rate,
            blocksize=round(self._rate * BLOCK_S),
            finished_callback=self.finished.set,
        )
        with self._lock:
            self._stream = stream
        stream.start()

    def silence(self) -> None:
        self.silent = True

    def close(self) -> None:
        self.silent = True
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.abort()  # drops what PulseAudio still holds: silence now, not after the buffer
            stream.close()
        except Exception as exc:  # sounddevice.PortAudioError: the device vanished meanwhile
            log.info("closing a sound stream failed: %s", exc)

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        from time import perf_counter

        import numpy as np  # loaded by __init__: a look-up in sys.modules

        if self.silent:
            outdata[:] = bytes(len(outdata))
            if self.silenced_at is None:
                self.silenced_at = perf_counter()
            return
        if self.first_block_at is None:
            self.first_block_at = perf_counter()
        total = len(self._buffer)
        index = np.arange(self._pos, self._pos + frames)
        if self._loop:
            block = self._buffer[index % total]
        else:
            block = np.zeros(frames, dtype=np.float32)
            inside = index < total
            block[inside] = self._buffer[index[inside]]
        self._pos = (self._pos + frames) % total if self._loop else self._pos + frames
        pcm = np.clip(block * self.gain * 32767.0, -32768, 32767).astype("<i2")
        outdata[:] = pcm.tobytes()
        if not self._loop and self._pos >= total + round(TAIL_S * self._rate):
            import sounddevice as sd  # loaded by start(): a look-up in sys.modules

            raise sd.CallbackStop  # PortAudio plays what it holds, then calls `finished`
