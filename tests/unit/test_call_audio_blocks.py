"""Call audio's device callbacks hand the bridge whole frames whatever the device's block size."""

from __future__ import annotations

import ctypes
from types import SimpleNamespace
from typing import Any

from softphone.audio.call_audio import CallAudio

FRAME_SAMPLES = 320  # the bridge's 20 ms at 16 kHz
FRAME_BYTES = FRAME_SAMPLES * 2
OK = SimpleNamespace(input_overflow=False, output_underflow=False)
UNDERFLOW = SimpleNamespace(input_overflow=False, output_underflow=True)


class _Exchange:
    clock_rate = 16000
    samples_per_frame = FRAME_SAMPLES
    frame_bytes = FRAME_BYTES

    def __init__(self) -> None:
        self.captured: list[bytes] = []
        self.served = 0
        self.played_at: list[tuple[float, bool]] = []  # (DAC time, underflow) of each frame

    def enter_audio_thread(self) -> None:
        pass

    def put_capture(self, address: int) -> None:
        self.captured.append(ctypes.string_at(address, FRAME_BYTES))

    def get_playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> bool:
        self.played_at.append((dac_time, underflow))
        self.served += 1
        ctypes.memset(address, self.served, FRAME_BYTES)
        return self.served != 2  # the second frame: the bridge had none (an underrun)


class _Stream:
    active = True
    latency = 0.01

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class _FullBridge(_Exchange):
    def get_playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> bool:
        super().get_playback(address, dac_time, underflow)
        return True  # always a frame ready: only the device can run dry


def _timing(now: float, ahead: float) -> SimpleNamespace:
    """PortAudio's time info of a callback at `now` whose block plays `ahead` seconds later."""
    return SimpleNamespace(currentTime=now, outputBufferDacTime=now + ahead)


def _audio(exchange: _Exchange | None = None) -> tuple[CallAudio, _Exchange, dict[str, Any]]:
    exchange = exchange or _Exchange()
    opened: dict[str, Any] = {}

    def opener(direction: str, _device: Any, callback: Any, **kw: Any) -> _Stream:
        opened[direction] = (callback, kw)
        return _Stream()

    audio = CallAudio(exchange, opener)
    audio.start(None, None)
    return audio, exchange, opened


def test_devices_open_with_10_ms_blocks_whatever_the_bridge_frame() -> None:
    _, _, opened = _audio()
    assert opened["output"][1]["blocksize"] == 160  # 10 ms at 16 kHz
    assert opened["input"][1]["blocksize"] == 160


def test_microphone_blocks_of_half_a_frame_reach_the_bridge_as_whole_frames() -> None:
    _, exchange, opened = _audio()
    on_capture = opened["input"][0]
    half = FRAME_BYTES // 2
    for n in range(5):
        on_capture(bytearray([n]) * half, FRAME_SAMPLES // 2, None, OK)
    assert exchange.captured == [
        bytes([0]) * half + bytes([1]) * half,
        bytes([2] * half + [3] * half),
    ]


def test_speaker_blocks_of_half_a_frame_play_each_frame_once_and_count_frames() -> None:
    audio, exchange, opened = _audio()
    on_playback = opened["output"][0]
    played = b""
    for n in range(6):
        block = bytearray(FRAME_BYTES // 2)
        at = 100.0 + n * 0.01  # 10 ms blocks, each played 40 ms after its callback
        dac = SimpleNamespace(currentTime=at - 0.04, outputBufferDacTime=at)
        on_playback(block, FRAME_SAMPLES // 2, dac, UNDERFLOW if n == 2 else OK)
        played += bytes(block)
    assert played == bytes([1]) * FRAME_BYTES + bytes([2]) * FRAME_BYTES + bytes([3]) * FRAME_BYTES
    # Each frame is pulled with its own DAC time (a block's first sample), the underflow
    # before block 2 with the frame that starts it.
    assert exchange.played_at == [(100.0, False), (100.02, True), (100.04, False)]
    stats = audio.stats()
    assert (stats.frames, stats.underruns) == (3, 1)


def test_a_speaker_that_ran_dry_is_counted_from_its_clock_without_an_underflow_flag() -> None:
    """ALSA's pulse plugin is set not to report underflows: a callback that comes after the
    queue was due to run out is one. The stream's start (its first blocks given at once, the
    server starting 1-2 s later) is not."""
    audio, _, opened = _audio(_FullBridge())
    on_playback = opened["output"][0]

    def block(now: float, ahead: float) -> None:
        on_playback(bytearray(FRAME_BYTES // 2), FRAME_SAMPLES // 2, _timing(now, ahead), OK)

    for n in range(3):  # the start's fill: one instant, the queue growing
        block(10.0, n * 0.01)
    now = 11.5  # the server started playing
    for _ in range(50):  # on time: every 10 ms with 40 ms queued
        block(now, 0.04)
        now += 0.01
    assert audio.stats().underruns == 0
    now += 0.07  # 80 ms after the last block while 50 ms was queued: the speaker ran dry
    block(now, 0.0)
    for _ in range(10):
        now += 0.01
        block(now, 0.04)
    assert audio.stats().underruns == 2  # 30 ms of silence: two 20 ms bridge frames
