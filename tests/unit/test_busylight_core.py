"""busylight-core lights behind the BusyLight interface, faked at the hidapi module it opens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

pytest.importorskip("busylight_core")
import busylight_core.hardware
import busylight_core.hid

from softphone.bus import EventBus
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.events import CallChanged, SettingsChanged
from softphone.domain.settings import Settings
from softphone.headset import busylight
from softphone.headset.busylight import LightState, RelayBusyLight
from softphone.headset.busylight_core_driver import (
    CoreBusyLight,
    SelectedBusyLight,
    find_core_light,
    make_light,
)
from softphone.headset.service import HeadsetService
from support.manual_time import ManualTime
from support.waiting import until

KUANDO_OMEGA = (0x27BB, 0x3BCD, "Busylight Omega")
LUXAFOR_FLAG = (0x04D8, 0xF372, "LUXAFOR FLAG")
LUXAFOR_RED = b"\x01\xff\xff\x00\x00"  # command 1 (static colour), LEDs 0xFF (all six), RGB
LUXAFOR_DARK = b"\x01\xff\x00\x00\x00"
PERIOD = 0.5  # of blinking, on a ManualTime clock


class FakeDevice:
    """cython-hidapi's hid.device as busylight-core drives it: records whole writes."""

    def __init__(self, module: FakeHidModule) -> None:
        self._module = module
        self.path: bytes | None = None

    def open_path(self, path: bytes) -> None:
        if path not in self._module.present:
            raise OSError("no such device")
        self.path = path
        self._module.opened.append(path)

    def write(self, data: bytes) -> int:
        if self.path not in self._module.present:
            raise OSError("device unplugged")
        with self._module.lock:
            self._module.writes.append(bytes(data))
        return len(data)

    def close(self) -> None:
        self._module.closed.append(self.path)


class FakeHidModule:
    """Stands in for the `hid` module busylight-core imports (enumerate + device)."""

    def __init__(self) -> None:
        self.present: dict[bytes, tuple[int, int, str]] = {}
        self.writes: list[bytes] = []
        self.opened: list[bytes] = []
        self.closed: list[bytes | None] = []
        self.lock = threading.Lock()

    def plug(self, device: tuple[int, int, str], path: bytes = b"/dev/hidraw7") -> None:
        self.present[path] = device

    def enumerate(self) -> list[dict[str, Any]]:
        return [
            {
                "path": path,
                "vendor_id": vid,
                "product_id": pid,
                "serial_number": "",
                "manufacturer_string": "",
                "product_string": name,
                "release_number": 1,
                "usage_page": 0xFF00,
                "usage": 1,
                "interface_number": 0,
                "bus_type": 1,
            }
            for path, (vid, pid, name) in list(self.present.items())
        ]

    def device(self) -> FakeDevice:
        return FakeDevice(self)

    def since(self, n: int) -> list[bytes]:
        with self.lock:
            return self.writes[n:]


@pytest.fixture
def fake_hid(monkeypatch: pytest.MonkeyPatch) -> FakeHidModule:
    module = FakeHidModule()
    monkeypatch.setattr(busylight_core.hid, "hid", module)
    monkeypatch.setattr(busylight_core.hardware.list_ports, "comports", lambda: [])
    return module


@pytest.fixture
def lights() -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for light in made:
        light.close()


def _alive(name: str) -> bool:
    return any(t.name == name for t in threading.enumerate())


def _kuando_red(report: bytes) -> bool | None:
    """True: a Kuando jump-to-step-0 in red; False: one that is dark; None: another command.

    Kuando's 64-byte command: step 0 = opcode 0x1n (jump to step n), repeat, red, green, blue
    (0-100 %), on/off times, audio; bytes 62-63 are the big-endian 16-bit sum of bytes 0-61.
    """
    assert len(report) == 64
    assert int.from_bytes(report[62:], "big") == sum(report[:62]) & 0xFFFF
    if report[0] != 0x10:
        return None  # a keepalive (0x8n)
    assert report[3:5] == b"\x00\x00"  # green and blue stay off: pure red
    return {100: True, 0: False}[report[2]]


def test_kuando_is_red_during_calls_blinks_while_ringing_and_dark_after(
    fake_hid: FakeHidModule, lights: list[Any]
) -> None:
    fake_hid.plug(KUANDO_OMEGA)
    clock = ManualTime()
    light = CoreBusyLight(blink_period_s=PERIOD, clock=clock.monotonic, wait=clock.wait)
    lights.append(light)
    assert fake_hid.opened == []  # not searched at start-up
    light.show(LightState.ON)
    until(lambda: any(_kuando_red(r) for r in fake_hid.since(0)))
    assert fake_hid.opened == [b"/dev/hidraw7"]
    # The first writes: the reset (dark) as the light is opened, then red.
    kinds = [_kuando_red(r) for r in fake_hid.since(0)]
    assert [k for k in kinds if k is not None][:2] == [False, True]

    mark = len(fake_hid.writes)
    light.show(LightState.BLINK)
    clock.wait_for_waits(1)  # red at once, then one toggle a period
    for _ in range(3):
        clock.step(PERIOD)
    states = [s for s in (_kuando_red(r) for r in fake_hid.since(mark)) if s is not None]
    assert states == [True, False, True, False]

    light.show(LightState.OFF)
    assert _kuando_red(fake_hid.writes[-1]) is False
    assert clock.waiting == 0 and not _alive("busylight-blink")  # nothing follows that dark
    count = len(fake_hid.writes)
    clock.advance(10 * PERIOD)
    assert len(fake_hid.writes) == count

    light.close()
    assert fake_hid.closed == [b"/dev/hidraw7"]


def test_luxafor_flag_exact_reports(fake_hid: FakeHidModule, lights: list[Any]) -> None:
    fake_hid.plug(LUXAFOR_FLAG)
    light = CoreBusyLight()
    lights.append(light)
    light.show(LightState.ON)
    until(lambda: fake_hid.since(0)[-1:] == [LUXAFOR_RED])
    light.show(LightState.OFF)
    assert fake_hid.writes[-1] == LUXAFOR_DARK


def test_a_light_plugged_later_is_found_and_one_unplugged_is_let_go(
    fake_hid: FakeHidModule, lights: list[Any]
) -> None:
    searched: list[object] = []

    def find() -> object:
        searched.append(found := find_core_light())
        return found

    clock = ManualTime()
    light = CoreBusyLight(find, blink_period_s=PERIOD, clock=clock.monotonic, wait=clock.wait)
    lights.append(light)
    light.show(LightState.BLINK)  # nothing plugged: no error, nothing written
    until(lambda: searched == [None] and not _alive("busylight-find"))  # in the background
    fake_hid.plug(LUXAFOR_FLAG)
    clock.step(PERIOD)  # not searched again so soon: no search thread started
    assert not _alive("busylight-find")
    assert searched == [None] and fake_hid.writes == []
    clock.step(busylight._SEARCH_EVERY_S)  # now it is
    until(lambda: len(searched) == 2 and not _alive("busylight-find"))
    assert fake_hid.opened == [b"/dev/hidraw7"]
    clock.step(PERIOD)
    clock.step(PERIOD)
    assert fake_hid.since(0)[-2:] in ([LUXAFOR_RED, LUXAFOR_DARK], [LUXAFOR_DARK, LUXAFOR_RED])
    fake_hid.present.clear()  # unplugged: the next write fails, the handle is closed
    clock.step(PERIOD)
    assert fake_hid.closed == [b"/dev/hidraw7"]


class FakeRelay:
    def __init__(self) -> None:
        self.states: list[bool] = []

    def set_state(self, relay: int, state: bool) -> None:
        self.states.append(state)


def _call(state: CallState) -> CallSnapshot:
    return CallSnapshot("c1", CallDirection.INCOMING, state, "1002", "", "sip:1002@x", 0.0)


def test_the_setting_picks_the_light_and_the_service_drives_it(
    fake_hid: FakeHidModule,
) -> None:
    fake_hid.plug(KUANDO_OMEGA)
    relay = FakeRelay()

    def factory(kind: str) -> Any:
        return make_light(
            kind,
            core=lambda: CoreBusyLight(blink_period_s=0.05),
            relay=lambda: RelayBusyLight(find=lambda: relay, blink_period_s=0.05),
        )

    bus = EventBus()
    calls: list[CallSnapshot] = []
    selected = SelectedBusyLight("busylight", factory)
    service = HeadsetService(bus, None, lambda: list(calls), None, busylight=selected)  # type: ignore[arg-type]
    try:
        calls[:] = [_call(CallState.CONNECTED)]
        bus.publish(CallChanged(calls[0], None))
        until(lambda: any(_kuando_red(r) for r in fake_hid.since(0)))
        assert relay.states == []  # "busylight": the relay board is not driven

        bus.publish(SettingsChanged(replace(Settings(), busylight="relay")))
        until(lambda: fake_hid.closed == [b"/dev/hidraw7"])  # the Kuando let go ...
        assert _kuando_red(fake_hid.writes[-1]) is False  # ... dark
        assert relay.states == [True]  # the relay shows the call at once

        mark = len(fake_hid.writes)
        bus.publish(SettingsChanged(replace(Settings(), busylight="auto")))
        assert relay.states[-2:] == [False, True]  # old relay driver off, the new one on
        until(lambda: any(_kuando_red(r) for r in fake_hid.since(mark)))  # auto: both kinds

        bus.publish(SettingsChanged(replace(Settings(), busylight="none")))
        assert relay.states[-1] is False
        calls[:] = [_call(CallState.RINGING_IN)]
        count = len(relay.states)
        bus.publish(CallChanged(calls[0], None))
        assert len(relay.states) == count  # "none": nothing driven ...
        assert not _alive("busylight-blink")  # ... nor blinking
    finally:
        service.stop()
