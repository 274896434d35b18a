"""The package's udev rules give the user at the seat every busy light busylight-core drives."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import busylight_core.vendors
from busylight_core import Light

RULES = Path(__file__).resolve().parents[2] / "build" / "60-softphone-headsets.rules"
SERIAL_BRIDGES = {(0x10C4, 0xEA60)}  # CP210x: any USB-serial gadget, not only a MuteSync
RULE = re.compile(r'ATTRS\{idVendor\}=="([0-9a-f]{4})", ATTRS\{idProduct\}=="([0-9a-f|]+)"')


def _supported_ids() -> set[tuple[int, int]]:
    for module in pkgutil.walk_packages(
        busylight_core.vendors.__path__, busylight_core.vendors.__name__ + "."
    ):
        importlib.import_module(module.name)
    found: set[tuple[int, int]] = set()
    pending: list[type] = [Light]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        ids = getattr(cls, "supported_device_ids", None)
        if isinstance(ids, dict):
            found.update(ids)
    return found


def _granted_ids() -> set[tuple[int, int]]:
    granted = set()
    for vendor, products in RULE.findall(RULES.read_text()):
        granted.update((int(vendor, 16), int(p, 16)) for p in products.split("|"))
    return granted


def test_every_light_busylight_core_supports_is_accessible_to_the_user() -> None:
    supported = _supported_ids()
    assert len(supported) > 20  # the walk found the vendors' classes
    missing = supported - SERIAL_BRIDGES - _granted_ids()
    assert not missing, sorted(f"{v:04x}:{p:04x}" for v, p in missing)


def test_the_usb_relay_board_is_accessible_and_serial_bridges_are_not() -> None:
    granted = _granted_ids()
    assert (0x16C0, 0x05DF) in granted
    assert not granted & SERIAL_BRIDGES
