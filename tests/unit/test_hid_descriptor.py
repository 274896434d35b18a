"""Descriptor parser on the recorded descriptors of 12 real headsets (tests/fixtures/hid)."""

from __future__ import annotations

import pytest

from softphone.headset import quirks
from softphone.headset.descriptor import (
    DescriptorError,
    Field,
    ReportKind,
    TelephonyProfile,
    parse,
    telephony_profile,
)
from support.fake_hid import ALL, TELEPHONY, descriptor
from support.hid_expected import EXPECTED


def _profile(key: str) -> TelephonyProfile | None:
    vendor = int(key[:4], 16)
    return telephony_profile(quirks.fix_descriptor(vendor, parse(descriptor(key))))


def _kind(f: Field) -> str:
    return "level" if not f.relative and not f.preferred_state else "button"


def test_every_fixture_parses_and_twelve_are_there() -> None:
    assert len(ALL) == 12
    for key in ALL:
        assert parse(descriptor(key)).fields


@pytest.mark.parametrize("key", TELEPHONY)
def test_telephony_controls_indicators_and_report_sizes(key: str) -> None:
    profile = _profile(key)
    assert profile is not None
    controls, indicators, sizes = EXPECTED[key]
    got_controls = {
        c.value: (f.report_id, f.bit_offset, _kind(f)) for c, f in profile.controls.items()
    }
    got_indicators = {i.value: (f.report_id, f.bit_offset) for i, f in profile.indicators.items()}
    assert got_controls == controls
    assert got_indicators == indicators
    assert profile.output_report_bytes == sizes
    assert profile.uses_report_ids


def test_gaming_headset_has_no_telephony_collection() -> None:
    assert _profile("046d-0ac4") is None


def test_jabra_reject_is_usage_7_declared_before_the_button_page() -> None:
    # Usage 0x07, then Usage Page (Button), then Input: 0x000B0007 bound at the Usage item.
    fields = [f for f in parse(descriptor("0b0e-0307")).fields if f.usage == 0x000B0007]
    assert [(f.report_id, f.bit_offset, f.kind) for f in fields] == [(2, 6, ReportKind.INPUT)]


def test_epos_one_bit_reject_array_needs_the_quirk() -> None:
    raw = telephony_profile(parse(descriptor("1395-00a2")))
    assert raw is not None and "reject" not in {c.value for c in raw.controls}
    fixed = _profile("1395-00a2")
    assert fixed is not None and "reject" in {c.value for c in fixed.controls}


def test_epos_d1_hook_switch_is_absolute_with_preferred_state_so_a_button() -> None:
    profile = _profile("1395-009c")
    assert profile is not None
    hook = next(f for c, f in profile.controls.items() if c.value == "hook")
    assert not hook.relative and hook.preferred_state


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x05]),  # Usage Page without its byte
        bytes([0xC0]),  # End Collection with nothing open
        bytes([0xB4]),  # Pop without Push
        bytes([0xFE, 0x10]),  # truncated long item
    ],
)
def test_malformed_descriptors_raise(data: bytes) -> None:
    with pytest.raises(DescriptorError):
        parse(data)
