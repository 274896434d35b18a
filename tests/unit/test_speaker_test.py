"""The speaker test plays its whole sound however late the device starts, and never keeps a
stream that never calls back. The device is a stand-in stream (no audio server here): it
calls back in real time, 20 ms blocks, after a start-up delay like PulseAudio's."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from softphone.audio import service as service_mod
from softphone.audio import streams
from softphone.audio.selection import AudioPreferences
from softphone.audio.service import AudioService
from softphone.bus import EventBus


class LateStream:
    """Calls back every block in real time once `late_s` has passed after start()."""

    latency = 0.04

    def __init__(self, callback: Any, blocksize: int, late_s: float | None) -> None:
        self._callback = callback
        self._block = blocksize
        self._late = late_s
        self._closed = threading.Event()
        self.sound_samples = 0  # samples handed out that were not silence
        self.closed_at: float | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        if self._late is None or self._closed.wait(self._late):
            return  # a device that never calls back
        while not self._closed.wait(self._block / 24000):
            out = bytearray(self._block * 2)
            self._callback(memoryview(out), self._block, None, None)
            self.sound_samples += sum(1 for i in range(0, len(out), 2) if out[i : i + 2] != b"\0\0")

    def abort(self) -> None:
        self.closed_at = time.monotonic()
        self._closed.set()

    def close(self) -> None:
        self._closed.set()


def _speaker_test(monkeypatch: pytest.MonkeyPatch, late_s: float | None) -> LateStream:
    made: list[LateStream] = []

    def open_stream(
        _direction: str, _device: str | None, callback: Any, *, samplerate: int, blocksize: int
    ) -> LateStream:
        assert samplerate == 24000  # the test sound's rate
        made.append(LateStream(callback, blocksize, late_s))
        return made[-1]

    monkeypatch.setattr(streams, "open_stream", open_stream)
    audio = AudioService(
        EventBus(), AudioPreferences, lambda: 100, list, lambda _route: None, list_devices=list
    )
    audio.speaker_test("output")
    return made[0]


def test_a_device_that_starts_late_still_plays_the_whole_sound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2.2 s late: the stream used to be closed 1.5 s after the 1.5 s sound was due."""
    started = time.monotonic()
    stream = _speaker_test(monkeypatch, late_s=2.2)
    deadline = started + 8.0
    while stream.closed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stream.closed_at is not None, "the test stream was never closed"
    sound_s = stream.sound_samples / 24000
    assert sound_s > 1.3, f"{sound_s:.2f} s of the 1.5 s sound played"  # its fades are quiet
    assert stream.closed_at - started < 2.2 + 1.5 + 1.0  # closed soon after it played


def test_a_device_that_never_calls_back_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_mod, "_STARTUP_MAX_S", 0.2)
    started = time.monotonic()
    stream = _speaker_test(monkeypatch, late_s=None)
    while stream.closed_at is None and time.monotonic() < started + 5.0:
        time.sleep(0.05)
    assert stream.closed_at is not None
    assert stream.closed_at - started == pytest.approx(1.5 + 0.2, abs=0.5)
