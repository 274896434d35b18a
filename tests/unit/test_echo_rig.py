"""The echo rig's own timeline (tests/audiolab/echo_path.py, echo_rig.py): the far end pauses
around the marker, the marker is found where it was put or the recording is refused, and what
waits in the pipe to pacat is measured (late audio is dropped, not played); a pair of calls
whose recording is refused is made again once, and said."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from audiolab.echo_path import (
    HANGUP_QUIET_S,
    MARKER_S,
    ONSET,
    RATE,
    Timeline,
    _piped,
    far_end_speech,
    marker,
)
from audiolab.echo_rig import MarkerNotFoundError, far_end_of, made_again_if_refused
from audiolab.speech import speech_like, write_wav

TIMELINE = Timeline(end=9.5, marker_at=8.5)


def test_the_far_end_is_silent_around_the_marker_counted_from_its_first_sound() -> None:
    far = far_end_speech(12.0, 1, TIMELINE)
    first = int(np.argmax(np.abs(far) > ONSET))
    chirp_at = first + round(TIMELINE.marker_at * RATE)
    assert not np.any(far[chirp_at - RATE // 4 : chirp_at + round(MARKER_S * RATE)])
    # Talking before and after the pause, which the rig must not take for a hang-up.
    quiet = np.abs(far[first:]) <= ONSET
    longest = max(len(run) for run in "".join("q" if q else "t" for q in quiet).split("t"))
    assert longest < HANGUP_QUIET_S * RATE
    assert np.any(np.abs(far[chirp_at - 2 * RATE : chirp_at - RATE]) > ONSET)


def test_the_timeline_is_found_from_the_marker(tmp_path: Path) -> None:
    offset = round(1.37 * RATE)
    heard = 0.3 * far_end_speech(12.0, 1, TIMELINE)[: round(10.5 * RATE)]
    heard = np.concatenate([np.zeros(offset), heard])
    at = offset + round(TIMELINE.marker_at * RATE)
    heard[at : at + len(marker())] -= marker()  # either polarity
    far_end = far_end_of(write_wav(tmp_path / "far.wav", heard), TIMELINE)
    assert far_end.offset == offset


def test_a_marker_that_slipped_inside_is_still_found(tmp_path: Path) -> None:
    """The path stepped by 22 samples (1.4 ms) halfway through the chirp, as seen in a call:
    the whole chirp no longer looks like itself (0.63), each half does."""
    offset = round(0.8 * RATE)
    heard = np.concatenate([np.zeros(offset), 0.3 * far_end_speech(12.0, 1, TIMELINE)])
    at = offset + round(TIMELINE.marker_at * RATE)
    chirp, half = marker(), len(marker()) // 2
    heard[at : at + half] += chirp[:half]
    heard[at + half + 22 : at + len(chirp) + 22] += chirp[half:]
    far_end = far_end_of(write_wav(tmp_path / "far.wav", heard), TIMELINE)
    assert far_end.offset == offset


def test_a_recording_without_the_marker_is_refused(tmp_path: Path) -> None:
    """A canceller that cut the chirp to -40 dB under the far end's speech: the loudest
    likeness is then some syllable, seconds off, and no number may be read from it."""
    heard = 0.3 * speech_like(11.0, 3)
    at = round((TIMELINE.marker_at + 1) * RATE)
    heard[at : at + len(marker())] += 0.01 * marker()
    with pytest.raises(ValueError, match="no marker"):
        far_end_of(write_wav(tmp_path / "far.wav", heard), TIMELINE)


def test_what_waits_in_the_pipe_to_pacat_is_measured() -> None:
    read, write = os.pipe()
    try:
        assert _piped(write) == 0
        os.write(write, b"\0" * 640)
        assert _piped(write) == 640
        os.read(read, 320)
        assert _piped(write) == 320
    finally:
        os.close(read)
        os.close(write)


def test_a_pair_the_rig_refused_is_made_again_once_and_said(tmp_path: Path) -> None:
    tries: list[Path] = []

    def pair(work: Path) -> dict[bool, str]:
        tries.append(work)
        if len(tries) == 1:
            raise MarkerNotFoundError("no marker in call-001.wav")
        return {False: "off", True: "on"}

    refused: list[str] = []
    heard = made_again_if_refused(pair, tmp_path, refused)
    assert heard == {False: "off", True: "on"}
    assert refused == ["no marker in call-001.wav"]
    assert [t.name for t in tries] == ["try-1", "try-2"]

    def refused_always(_work: Path) -> dict[bool, str]:
        raise MarkerNotFoundError("again")

    with pytest.raises(MarkerNotFoundError):
        made_again_if_refused(refused_always, tmp_path, refused)
