"""A fake HID transport at the hidapi boundary, serving recorded real report descriptors."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from softphone.headset.device import HidDeviceInfo
from support.waiting import until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hid"

NAMES = {
    "0b0e-0307": "Jabra EVOLVE LINK MS",
    "0b0e-2453": "Jabra BIZ 2400 II",
    "0b0e-2456": "Jabra SPEAK 810",
    "6993-b02b": "Yealink WH66",
    "047f-02e6": "Poly BT700",
    "047f-02ec": "Poly Voyager Base CD",
    "047f-c053": "Plantronics Blackwire C5220",
    "1395-0082": "Sennheiser SC 660 ANC USB",
    "1395-009c": "EPOS IMPACT D1",
    "1395-00a2": "EPOS IMPACT DW",
    "1395-00a9": "EPOS IMPACT D",
    "046d-0ac4": "G535 Wireless Gaming Headset",
}
ALL = tuple(sorted(NAMES))
TELEPHONY = tuple(k for k in ALL if k != "046d-0ac4")


def descriptor(key: str) -> bytes:
    return (FIXTURES / f"{key}.bin").read_bytes()


class FakeHandle:
    """One opened device: input reports queued by the test, output reports recorded."""

    def __init__(self) -> None:
        self.inbox: deque[bytes] = deque()
        self.written: list[bytes] = []
        self.closed = False
        self.on_write: Callable[[bytes], None] | None = None
        self.dry_reads = 0  # reads that found the inbox empty
        self._lock = threading.Lock()

    def read(self) -> bytes:
        if self.closed:
            raise OSError("closed")
        with self._lock:
            if self.inbox:
                return self.inbox.popleft()
            self.dry_reads += 1
            return b""

    def write(self, report: bytes) -> None:
        with self._lock:
            self.written.append(bytes(report))
        if self.on_write is not None:
            self.on_write(bytes(report))

    def close(self) -> None:
        self.closed = True

    def press(self, report: bytes) -> None:
        with self._lock:
            self.inbox.append(bytes(report))

    def wait_handled(self, timeout: float = 5.0) -> None:
        """Returns once every report pressed so far has been handled: the HID thread handles
        each report before it reads again, so a read that finds the inbox empty after this
        call began comes after them all."""
        with self._lock:
            seen = self.dry_reads
        until(lambda: self.dry_reads > seen, timeout, "the HID thread to read every report")

    def wait_written(self, match: Callable[[bytes], bool], timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = next((r for r in reversed(self.written) if match(r)), None)
            if found is not None:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no matching output report; written: {self.written!r}")


class FakeHidTransport:
    """Devices keyed "vvvv-pppp" (fixture name); plug/unplug at will (hot-plug)."""

    def __init__(self, *keys: str, denied: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self.devices: dict[str, HidDeviceInfo] = {}
        self.handles: dict[str, FakeHandle] = {}
        self.denied = set(denied)
        for key in keys:
            self.plug(key)

    @staticmethod
    def info(key: str) -> HidDeviceInfo:
        vid, pid = (int(x, 16) for x in key.split("-"))
        return HidDeviceInfo(f"/dev/fake-{key}".encode(), vid, pid, NAMES[key])

    def plug(self, key: str) -> None:
        with self._lock:
            self.devices[key] = self.info(key)

    def unplug(self, key: str) -> None:
        with self._lock:
            self.devices.pop(key, None)
            handle = self.handles.get(key)
        if handle is not None:
            handle.closed = True

    def enumerate(self) -> list[HidDeviceInfo]:
        with self._lock:
            return list(self.devices.values())

    def report_descriptor(self, info: HidDeviceInfo) -> bytes:
        return descriptor(_key(info))

    def open(self, info: HidDeviceInfo) -> FakeHandle:
        key = _key(info)
        if key in self.denied:
            raise PermissionError(13, "Permission denied", info.path.decode())
        handle = FakeHandle()
        with self._lock:
            self.handles[key] = handle
        return handle

    def wait_handle(self, key: str, timeout: float = 5.0) -> FakeHandle:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                handle = self.handles.get(key)
            if handle is not None and not handle.closed:
                return handle
            time.sleep(0.02)
        raise AssertionError(f"{key} was never opened")


def _key(info: HidDeviceInfo) -> str:
    return f"{info.vendor_id:04x}-{info.product_id:04x}"
