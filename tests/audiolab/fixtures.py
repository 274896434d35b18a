"""pytest fixtures: a private PulseAudio server with a speaker, a ringer and a microphone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiolab.pulse import PulseServer


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseServer]:
    """PulseAudio with devices "speaker", "ringer" (outputs) and "mic" (input), speaker and mic
    the defaults; PULSE_SERVER points this process and its children (the engine) at it."""
    server = PulseServer(tmp_path / "pulse")
    server.start()
    try:
        server.add_output("speaker", "Test Speaker")
        server.add_output("ringer", "Test Ringer")
        server.add_input("mic", "Test Microphone")
        server.set_default(sink="speaker", source="mic")
        monkeypatch.setenv("PULSE_SERVER", server.server)
        monkeypatch.delenv("PULSE_SINK", raising=False)
        monkeypatch.delenv("PULSE_SOURCE", raising=False)
        yield server
    finally:
        server.stop()
