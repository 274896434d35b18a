"""The speaker's callbacks judged fast or on time (engine/device_clock.py's CallbackPace):
silence handed to a callback that came before its time was never played, so it stays out of
the echo canceller's reference."""

from __future__ import annotations

import ctypes

import pytest

from softphone.engine import device_clock
from softphone.engine.device_clock import CallbackPace, ConferenceClock

FRAME_S = 0.01


def test_callbacks_at_real_time_are_on_time_even_with_jitter() -> None:
    pace = CallbackPace(FRAME_S)
    jitter = [0.004, -0.003, 0.002, -0.004, 0.0]
    assert not any(pace.fast(k * FRAME_S + jitter[k % 5]) for k in range(200))


def test_callbacks_at_twice_real_time_are_fast_once_ten_have_come() -> None:
    pace = CallbackPace(FRAME_S)
    judged = [pace.fast(k * FRAME_S / 2) for k in range(30)]
    assert judged[:10] == [False] * 10  # too few to judge
    assert all(judged[10:])


def test_a_device_filling_its_buffer_in_a_short_burst_is_not_fast() -> None:
    # PortAudio asks twice in a row now and then (its buffer of two blocks): not a rate.
    pace = CallbackPace(FRAME_S)
    times = []
    t = 0.0
    for k in range(100):
        t += 0.0 if k % 10 == 5 else FRAME_S * 10 / 9
        times.append(t)
    assert not any(pace.fast(t) for t in times)


def test_back_on_time_after_a_fast_spell() -> None:
    pace = CallbackPace(FRAME_S)
    t = 0.0
    for _ in range(40):
        t += FRAME_S / 4
        pace.fast(t)
    judged = []
    for _ in range(40):
        t += FRAME_S
        judged.append(pace.fast(t))
    assert judged[-1] is False and judged.index(False) <= 8


class _Reference:
    """Stands in for the echo canceller: what it was told the speaker played."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def playback(self, address: int, dac_time: float = 0.0, underflow: bool = False) -> None:
        self.frames.append(ctypes.string_at(address, 320))


def test_silence_handed_to_fast_callbacks_stays_out_of_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ConferenceClock(16000, 160)
    clock._master = 1  # attached: get_playback does not call into the bridge
    reference = _Reference()
    clock._echo = reference  # type: ignore[assignment]
    now = [0.0]
    monkeypatch.setattr(device_clock, "_now", lambda: now[0])
    out = ctypes.create_string_buffer(320)
    for _ in range(20):  # on time, the bridge silent: the device plays that silence
        now[0] += FRAME_S
        assert not clock.get_playback(ctypes.addressof(out))
    assert reference.frames == [bytes(320)] * 20
    reference.frames.clear()
    voice = b"\x01" * 320
    for k in range(40):  # four callbacks per frame; the bridge makes one frame per 10 ms
        now[0] += FRAME_S / 4
        if k % 4 == 0:
            clock.speaker.push(voice)
        clock.get_playback(ctypes.addressof(out))
    assert reference.frames.count(voice) == 10  # every frame played is in the reference
    assert len(reference.frames) - 10 <= 5  # silence only until the pace is judged fast
