"""Microphone test: capture the chosen input and publish its level about 15 times a second.

The PortAudio callback computes RMS and peak of its block and hands them to a queue; a small
thread sums them up and publishes on the bus, so the callback never waits for the UI.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from softphone.audio import streams
from softphone.audio.events import MicLevelMeasured, MicTestStopped
from softphone.bus import EventBus

log = logging.getLogger(__name__)

RATE = 16000
BLOCK = 320  # 20 ms
REPORT_S = 1 / 15
MAX_S = 300.0  # a test nobody stops (the UI went away) ends by itself


class MicTest:
    def __init__(self, bus: EventBus, device: Callable[[], str | None]) -> None:
        self._bus = bus
        self._device = device
        self._lock = threading.Lock()
        self._stream: Any = None
        self._levels: queue.SimpleQueue[tuple[float, float] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._stream is not None

    def start(self) -> None:
        """Raises streams.DeviceUnavailableError; a running test keeps running."""
        import numpy  # noqa: F401  (here, not first in the audio callback: ~60 ms)

        with self._lock:
            if self._stream is not None:
                return
            stream = streams.open_stream(
                "input", self._device(), self._callback, samplerate=RATE, blocksize=BLOCK
            )
            self._stream = stream
            self._levels = queue.SimpleQueue()
            self._thread = threading.Thread(
                target=self._report, args=(self._levels,), name="mic-test", daemon=True
            )
            self._thread.start()
            stream.start()
        log.info("microphone test started")

    def stop(self, error: str | None = None) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
            thread, self._thread = self._thread, None
            levels = self._levels
        if stream is None:
            return
        try:
            stream.abort()
            stream.close()
        except Exception as exc:  # the device vanished meanwhile
            log.info("closing the microphone test stream failed: %s", exc)
        levels.put(None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(2)
        self._bus.publish(MicTestStopped(error))
        log.info("microphone test stopped")

    def _callback(self, indata: Any, frames: int, _time: Any, _status: Any) -> None:
        import numpy as np  # imported by start(): a look-up in sys.modules

        x = np.frombuffer(indata, dtype="<i2").astype(np.float32) / 32768.0
        if len(x):
            self._levels.put((float(np.sqrt(np.mean(x * x))), float(np.max(np.abs(x)))))

    def _report(self, levels: queue.SimpleQueue[tuple[float, float] | None]) -> None:
        started = time.monotonic()
        next_report = started + REPORT_S
        power, peak, count = 0.0, 0.0, 0
        while True:
            try:
                item = levels.get(timeout=1.0)
            except queue.Empty:
                item = (0.0, 0.0)  # no audio at all (a stalled device) shows as silence
            if item is None:
                return
            rms, block_peak = item
            power, peak, count = power + rms * rms, max(peak, block_peak), count + 1
            now = time.monotonic()
            if now >= next_report:
                self._bus.publish(
                    MicLevelMeasured(round((power / count) ** 0.5, 5), round(peak, 5))
                )
                power, peak, count = 0.0, 0.0, 0
                next_report = now + REPORT_S
            if now - started > MAX_S:
                threading.Thread(target=self.stop, name="mic-test-timeout", daemon=True).start()
                return
