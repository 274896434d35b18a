"""The `busylight` setting (which on-call light): default, round trip, wire, bad values."""

from __future__ import annotations

import json

import pytest

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.settings import Settings
from softphone.headset.busylight import LightState
from softphone.headset.busylight_core_driver import SelectedBusyLight
from softphone.settings.schema import from_json, to_json
from softphone.web import wire


def test_defaults_to_auto_and_round_trips() -> None:
    assert from_json({}).busylight == "auto"  # settings files from before the option
    for kind in ("auto", "busylight", "relay", "none"):
        prefs = Settings(busylight=kind)
        assert from_json(json.loads(json.dumps(to_json(prefs)))).busylight == kind
        assert wire.settings(prefs)["busylight"] == kind


@pytest.mark.parametrize("bad", ["lamp", "", "AUTO"])
def test_unknown_kinds_are_refused_with_a_key(bad: str) -> None:
    with pytest.raises(SoftphoneError) as err:
        Settings().with_changes(busylight=bad)
    assert err.value.key is ErrorKey.INVALID_ARGUMENT


def test_a_non_string_in_the_file_is_rejected() -> None:
    with pytest.raises(ValueError):
        from_json({"busylight": 3})


class Recorder:
    def __init__(self, kind: str, log: list[tuple[str, str]]) -> None:
        self.kind, self.log = kind, log

    def show(self, state: LightState) -> None:
        self.log.append((self.kind, state.value))

    def close(self) -> None:
        self.log.append((self.kind, "closed"))


def test_selecting_another_kind_closes_the_old_light_and_shows_the_state_on_the_new() -> None:
    log: list[tuple[str, str]] = []
    light = SelectedBusyLight("relay", lambda kind: None if kind == "none" else Recorder(kind, log))
    light.show(LightState.ON)
    light.select("busylight")
    light.select("bogus")  # ignored: the settings schema refuses it before it gets here
    light.select("none")
    light.show(LightState.OFF)  # no light: nothing to drive
    light.select("relay")
    assert log == [
        ("relay", "on"),
        ("relay", "closed"),
        ("busylight", "on"),
        ("busylight", "closed"),
        ("relay", "off"),
    ]
    assert light.kind == "relay"
