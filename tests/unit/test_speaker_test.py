"""The speaker test plays its whole sound however late the device starts and however much the
server holds, and never keeps a stream that never calls back. The device is a stand-in stream
(no audio server here) that behaves like PortAudio's: it calls back in real time, 20 ms blocks,
after a start-up delay like PulseAudio's; after a callback raised CallbackStop it plays what it
holds (`held_s`), then calls the finished callback, which abort() also calls."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sounddevice as sd

from softphone.audio import service as service_mod
from softphone.audio import streams
from softphone.audio.selection import AudioPreferences
from softphone.audio.service import AudioService
from softphone.bus import EventBus


class LateStream:
    """Calls back every block in real time once `late_s` has passed after start()."""

    def __init__(
        self,
        callback: Any,
        finished: Any,
        blocksize: int,
        late_s: float | None,
        held_s: float = 0.04,
    ) -> None:
        self._callback = callback
        self._finished = finished
        self._block = blocksize
        self._late = late_s
        self._held = held_s
        self._closed = threading.Event()
        self.sound_samples = 0  # samples handed out that were not silence
        self.closed_at: float | None = None
        self.played_out = False  # the last sample was played
        self.cut = False  # closed while sound was still to play

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        if self._late is None or self._closed.wait(self._late):
            return  # a device that never calls back
        while not self._closed.wait(self._block / 24000):
            out = bytearray(self._block * 2)
            try:
                self._callback(memoryview(out), self._block, None, None)
            except sd.CallbackStop:
                self._count(out)
                if not self._closed.wait(self._held):  # the server plays what it holds
                    self.played_out = True
                    self._finished()
                return
            self._count(out)

    def _count(self, out: bytearray) -> None:
        self.sound_samples += sum(1 for i in range(0, len(out), 2) if out[i : i + 2] != b"\0\0")

    def abort(self) -> None:
        self.closed_at = time.monotonic()
        self.cut = self.sound_samples > 0 and not self.played_out
        self._closed.set()
        self._finished()

    def close(self) -> None:
        self._closed.set()


def _speaker_test(
    monkeypatch: pytest.MonkeyPatch, late_s: float | None, held_s: float = 0.04
) -> LateStream:
    made: list[LateStream] = []

    def open_stream(
        _direction: str,
        _device: str | None,
        callback: Any,
        *,
        samplerate: int,
        blocksize: int,
        finished_callback: Any,
    ) -> LateStream:
        assert samplerate == 24000  # the test sound's rate
        made.append(LateStream(callback, finished_callback, blocksize, late_s, held_s))
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
    assert not stream.cut
    assert stream.closed_at - started < 2.2 + 1.5 + 1.0  # closed soon after it played


def test_what_the_server_holds_is_played_before_the_stream_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server holding 1 s after the last block: closing 0.2 s after that block cut it."""
    started = time.monotonic()
    stream = _speaker_test(monkeypatch, late_s=0.1, held_s=1.0)
    while stream.closed_at is None and time.monotonic() < started + 8.0:
        time.sleep(0.05)
    assert stream.closed_at is not None, "the test stream was never closed"
    assert not stream.cut, "closed while the server still held the sound"
    assert stream.closed_at - started < 0.1 + 1.5 + 1.0 + 0.5


def test_a_device_that_never_calls_back_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_mod, "_STARTUP_MAX_S", 0.2)
    started = time.monotonic()
    stream = _speaker_test(monkeypatch, late_s=None)
    while stream.closed_at is None and time.monotonic() < started + 5.0:
        time.sleep(0.05)
    assert stream.closed_at is not None
    assert stream.closed_at - started == pytest.approx(1.5 + 0.2, abs=0.5)
