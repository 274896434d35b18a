"""The headset that took the calls was unplugged while the app was closed: the next start goes
back to the devices used before it.

Real: the app, its settings file and PulseAudio (speaker, ringer, mic; no headset card).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audiolab.pulse import PulseServer
from softphone.domain.settings import Settings
from softphone.paths import AppPaths
from softphone.settings.store import SettingsStore
from support.app_harness import UiClient, running_app
from support.fake_hid import FakeHidTransport

pytestmark = pytest.mark.integration


def test_start_without_the_headset_used_for_calls_restores_the_earlier_devices(
    pulse: PulseServer, tmp_path: Path
) -> None:
    data = tmp_path / "app"
    SettingsStore(AppPaths.for_data_dir(data).settings_file).save(
        Settings(
            audio_input="jabra_in",
            audio_output="jabra_out",
            audio_ringer="jabra_out",
            audio_names=(("jabra_in", "Jabra Mono"), ("jabra_out", "Jabra"), ("mic", "Mic")),
            headset_calls="0b0e:0307",
            audio_before_headset=("mic", "speaker", "ringer"),
        )
    )
    with running_app(data, hid_transport=FakeHidTransport()) as app:
        ui = UiClient(app)
        try:
            event = ui.wait_for(
                lambda e: (
                    e.get("type") in ("snapshot", "settings_changed")
                    and e["settings"]["headset_calls"] is None
                ),
                timeout=15.0,
            )
            prefs = event["settings"]
            assert (prefs["audio_input"], prefs["audio_output"], prefs["audio_ringer"]) == (
                "mic",
                "speaker",
                "ringer",
            )
            deadline = time.monotonic() + 15
            while ui.command("audio.devices")["result"]["route"]["output"] != "speaker":
                assert time.monotonic() < deadline, "the route never went back to the speaker"
                time.sleep(0.1)
        finally:
            ui.close()
    saved = SettingsStore(AppPaths.for_data_dir(data).settings_file).settings
    assert saved.headset_calls is None and saved.audio_output == "speaker"


def test_start_with_a_new_headset_plugged_and_always_switches_to_it(
    pulse: PulseServer, tmp_path: Path
) -> None:
    usb = {"device__bus": "usb", "device__vendor__id": "0b0e", "device__product__id": "0307"}
    pulse.add_output("jabra_out", "Jabra EVOLVE LINK MS", **usb)
    pulse.add_input("jabra_in", "Jabra EVOLVE LINK MS Mono", **usb)
    data = tmp_path / "app"
    SettingsStore(AppPaths.for_data_dir(data).settings_file).save(
        Settings(headset_audio="always", audio_output="speaker")
    )
    with running_app(data, hid_transport=FakeHidTransport("0b0e-0307")) as app:
        ui = UiClient(app)
        try:
            event = ui.wait_for(
                lambda e: (
                    e.get("type") in ("snapshot", "settings_changed")
                    and e["settings"]["headset_calls"] == "0b0e:0307"
                ),
                timeout=15.0,
            )
            assert event["settings"]["audio_output"] == "jabra_out"
        finally:
            ui.close()
