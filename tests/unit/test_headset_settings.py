"""Headset settings and wire encoding: defaults, validation, the device list event."""

from __future__ import annotations

import pytest

from softphone.domain.headset import DetectedHeadset, HeadsetReason, HeadsetsChanged
from softphone.domain.settings import Settings
from softphone.settings.schema import from_json, to_json
from softphone.web import wire


def test_headset_integration_and_blinking_default_on_and_round_trip() -> None:
    assert from_json({}).headset_integration is True
    prefs = Settings(headset_integration=False, busylight_blink=False)
    saved = to_json(prefs)
    assert saved["headset_integration"] is False and saved["busylight_blink"] is False
    loaded = from_json({"headset_integration": False, "busylight_blink": False})
    assert (loaded.headset_integration, loaded.busylight_blink) == (False, False)
    encoded = wire.settings(prefs)
    assert encoded["headset_integration"] is False and encoded["busylight_blink"] is False


@pytest.mark.parametrize("bad", [{"headset_integration": 1}, {"busylight_blink": "yes"}])
def test_non_boolean_headset_settings_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        from_json(bad)


def test_headsets_changed_encodes_reason_keys() -> None:
    found = (
        DetectedHeadset("Jabra", 0x0B0E, 0x0307, True),
        DetectedHeadset("G535", 0x046D, 0x0AC4, False, HeadsetReason.NO_TELEPHONY),
    )
    assert wire.to_wire(HeadsetsChanged(found)) == {
        "type": "headsets_changed",
        "headsets": [
            {
                "name": "Jabra",
                "vendor_id": 0x0B0E,
                "product_id": 0x0307,
                "telephony": True,
                "reason_key": None,
                "key": "0b0e:0307",
            },
            {
                "name": "G535",
                "vendor_id": 0x046D,
                "product_id": 0x0AC4,
                "telephony": False,
                "reason_key": "no_telephony",
                "key": "046d:0ac4",
            },
        ],
    }
