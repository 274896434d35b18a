"""Audio settings against a real PulseAudio: device list, fallback and return, speaker and
microphone tests, through the wire protocol like the UI. The `pulse` fixture comes before
`app` so the app (and its engine) talk to the test's PulseAudio."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audiolab.fixtures import AUDIO_SERVERS
from audiolab.pulse import PulseServer
from pbx import tones
from softphone.app import SoftphoneApp
from support.app_harness import UiClient

pytestmark = pytest.mark.integration


@pytest.fixture
def ui(pulse: PulseServer, app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


def _rms_db(x: np.ndarray) -> float:
    return tones.rms_dbfs((x, 16000))


def _loudest_db(x: np.ndarray) -> float:
    """The loudest half second, -13 dB here alone: the test asks where the sound plays, not how
    long. Averaged over the whole recording (-17 dB alone) a full test run read -36.3 dB: on
    the loaded machine the stream started late and the test's timer (length + startup margin)
    cut most of the sound."""
    half = 8000
    return max(_rms_db(x[i : i + half]) for i in range(0, max(1, len(x) - half + 1), half // 2))


@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)
def test_devices_are_listed_by_name_with_the_defaults(ui: UiClient) -> None:
    reply = ui.command("audio.devices")
    assert reply["ok"], reply
    found = {(d["id"], d["direction"]): d for d in reply["result"]["devices"]}
    assert found[("speaker", "output")]["name"] == "Test Speaker"
    assert found[("speaker", "output")]["is_default"] is True
    assert found[("ringer", "output")]["name"] == "Test Ringer"
    assert found[("mic", "input")] == {
        "id": "mic",
        "name": "Test Microphone",
        "direction": "input",
        "is_default": True,
    }
    assert not any(".monitor" in d["id"] for d in reply["result"]["devices"])
    assert reply["result"]["route"] == {"input": None, "output": None, "ringer": None}
    assert reply["result"]["fallbacks"] == []


def test_configure_saves_the_choice_and_refuses_unknown_devices(
    ui: UiClient, app: SoftphoneApp
) -> None:
    echo_cancellation = app.settings.settings.echo_cancellation  # as the harness set it
    mark = ui.mark()
    reply = ui.command("audio.configure", output="speaker", ringer="ringer", ring_volume=40)
    assert reply == {"ok": True, "result": {}}
    settings = ui.wait_for(lambda e: e["type"] == "settings_changed", start=mark)["settings"]
    assert (settings["audio_output"], settings["audio_ringer"]) == ("speaker", "ringer")
    assert settings["ring_volume"] == 40
    assert settings["echo_cancellation"] is echo_cancellation  # not touched by the change
    route = ui.command("audio.devices")["result"]["route"]
    assert route == {"input": None, "output": "speaker", "ringer": "ringer"}
    assert dict(app.settings.settings.audio_names)["ringer"] == "Test Ringer"
    bad = ui.command("audio.configure", output="no-such-sink")
    assert bad == {"ok": False, "error": "invalid_argument", "field": "output"}
    bad = ui.command("audio.configure", input="speaker")  # an output is not a microphone
    assert bad["field"] == "input"
    assert ui.command("audio.configure", ring_volume=101)["field"] == "ring_volume"
    assert ui.command("audio.configure", volume=3)["error"] == "invalid_argument"


def test_automatic_gain_is_saved_and_sent_with_the_route(ui: UiClient, app: SoftphoneApp) -> None:
    assert app.settings.settings.auto_gain is False
    mark = ui.mark()
    assert ui.command("audio.configure", auto_gain=True)["ok"]
    settings = ui.wait_for(lambda e: e["type"] == "settings_changed", start=mark)["settings"]
    assert settings["auto_gain"] is True
    command = app.engine._audio_command  # what the engine was told (private: no other view)
    assert command is not None and command.auto_gain is True
    bad = ui.command("audio.configure", auto_gain="yes")
    assert bad == {"ok": False, "error": "invalid_argument", "field": "auto_gain"}
    assert app.settings.settings.auto_gain is True


def _sent_route(app: SoftphoneApp) -> tuple[str | None, str | None, bool]:
    """The audio route the supervisor last sent to the engine (and replays after a restart)."""
    command = app.engine._audio_command  # what the engine was told (private: no other view)
    assert command is not None
    return command.input, command.output, command.echo_cancellation


@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)
def test_unplugged_output_falls_back_with_an_event_and_comes_back(
    ui: UiClient, pulse: PulseServer, app: SoftphoneApp
) -> None:
    pulse.add_output("usbheadset", "USB Headset")
    deadline = time.monotonic() + 5
    while not any(
        d["id"] == "usbheadset" for d in ui.command("audio.devices")["result"]["devices"]
    ):
        assert time.monotonic() < deadline, "the new device was not noticed"
        time.sleep(0.1)
    assert ui.command("audio.configure", output="usbheadset", echo_cancellation=False)["ok"]
    assert _sent_route(app) == (None, "usbheadset", False)

    mark = ui.mark()
    unplugged = time.monotonic()
    pulse.remove("usbheadset")
    event = ui.wait_for(lambda e: e["type"] == "audio_devices" and e["fallbacks"], start=mark)
    noticed_ms = (time.monotonic() - unplugged) * 1000
    assert event["fallbacks"] == [
        {"role": "output", "device_id": "usbheadset", "name": "USB Headset"}
    ]
    assert event["route"]["output"] is None
    assert _sent_route(app) == (None, None, False)
    print(f"unplug noticed after {noticed_ms:.0f} ms")

    mark = ui.mark()
    pulse.add_output("usbheadset", "USB Headset")
    event = ui.wait_for(
        lambda e: e["type"] == "audio_devices" and e["route"]["output"] == "usbheadset",
        start=mark,
    )
    assert event["fallbacks"] == []
    assert _sent_route(app) == (None, "usbheadset", False)


def test_speaker_test_plays_on_the_ringer_and_not_on_the_speaker(
    ui: UiClient, pulse: PulseServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def played_on(output: str, target: str, wav: str) -> tuple[np.ndarray, list[str]]:
        recording = pulse.record(output, tmp_path / wav)
        mark = len(caplog.records)
        reply = ui.command("audio.speaker_test", target=target)
        assert reply["ok"], reply
        until = time.monotonic() + reply["result"]["duration_ms"] / 1000 + 8.0
        while time.monotonic() < until and not _speaker_test_log(caplog, mark):
            time.sleep(0.1)
        time.sleep(0.3)  # the monitor's own latency
        return recording.stop(), _speaker_test_log(caplog, mark)

    caplog.set_level(logging.INFO, logger="softphone.audio.service")
    assert ui.command("audio.configure", ringer="ringer", ring_volume=100)["ok"]
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    heard, log = played_on("ringer", "ringer", "ringer.wav")
    assert _loudest_db(heard) > -35, (_loudest_db(heard), log)
    assert tones.is_silent((speaker.stop(), 16000), threshold_dbfs=-60)

    heard, log = played_on("speaker", "output", "speaker2.wav")
    assert _loudest_db(heard) > -35, (_loudest_db(heard), log)
    assert ui.command("audio.speaker_test", target="mic")["field"] == "target"


def _speaker_test_log(caplog: pytest.LogCaptureFixture, start: int) -> list[str]:
    """The app's line saying when the test sound's stream started and stopped."""
    return [r.getMessage() for r in caplog.records[start:] if "speaker test" in r.getMessage()]


def test_mic_test_level_follows_a_tone_and_is_low_in_silence(
    ui: UiClient, pulse: PulseServer, tmp_path: Path
) -> None:
    def levels(seconds: float) -> list[dict[str, float]]:
        mark = ui.mark()
        time.sleep(seconds)
        return [e for e in ui.events[mark:] if e["type"] == "mic_level"]

    assert ui.command("audio.mic_test", on=True) == {"ok": True, "result": {}}
    time.sleep(1.5)  # the ALSA pulse plugin takes a moment before capture flows
    quiet = levels(2.0)
    wav = tones.write_tone_wav(tmp_path / "tone.wav", 1000, 6.0, amplitude=0.5)
    player = pulse.play("mic", wav)
    try:
        time.sleep(1.0)
        loud = levels(2.0)
    finally:
        player.terminate()
        player.wait(5)
    mark = ui.mark()
    assert ui.command("audio.mic_test", on=False)["ok"]
    ui.wait_for(lambda e: e["type"] == "mic_test_stopped", start=mark)

    rate = len(loud) / 2.0
    assert 10 <= rate <= 20, rate  # about 15 a second
    assert max(e["peak"] for e in quiet) < 0.01
    loud_rms = np.median([e["rms"] for e in loud])
    # A sine at amplitude 0.5 has an RMS of 0.354 (the remap source passes it unchanged).
    assert 0.2 < loud_rms < 0.5, loud_rms
    assert 0.4 < np.median([e["peak"] for e in loud]) < 0.7
    time.sleep(0.5)
    assert not [e for e in ui.events[mark:] if e["type"] == "mic_level" and e["rms"] > 0.1][3:]
