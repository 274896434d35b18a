"""pytest fixtures: a private audio server (PulseAudio or PipeWire) with a speaker, a ringer and
a microphone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiolab.pipewire import PipeWireServer
from audiolab.pulse import PulseServer

# Values of `pulse`'s indirect parameter; without one a test gets PulseAudio. Representative
# tests run on both: `@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)`.
AUDIO_SERVERS = ["pulseaudio", "pipewire"]


@pytest.fixture
def pulse(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PulseServer]:
    """An audio server with devices "speaker", "ringer" (outputs) and "mic" (input), speaker and
    mic the defaults; PULSE_SERVER points this process and its children (the engine) at it.
    PulseAudio, or PipeWire + pipewire-pulse + WirePlumber when parametrized with "pipewire"."""
    kind = getattr(request, "param", "pulseaudio")
    if kind not in AUDIO_SERVERS:
        raise ValueError(f"unknown audio server {kind!r}")
    server: PulseServer
    if kind == "pipewire":
        server = PipeWireServer(tmp_path / "pipewire")
    else:
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
