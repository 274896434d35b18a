"""HID transport (hidapi's hidraw backend) and the one thread that hot-plugs and reads devices."""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

READ_SIZE = 64


@dataclass(frozen=True, slots=True)
class HidDeviceInfo:
    """One HID device (all its top-level collections share the path)."""

    path: bytes
    vendor_id: int
    product_id: int
    name: str
    usage_pages: tuple[int, ...] = ()
    serial: str = ""  # the USB serial number when the device reports one


class HidHandle(Protocol):
    def read(self) -> bytes:
        """One input report, id byte first; b"" when none is waiting (never blocks)."""
        ...

    def write(self, report: bytes) -> None:
        """One whole output report, id byte first (0 when the device has no ids)."""
        ...

    def close(self) -> None: ...


class HidTransport(Protocol):
    """The library boundary: hidapi in the app, a fake serving recorded descriptors in tests."""

    def enumerate(self) -> list[HidDeviceInfo]: ...

    def report_descriptor(self, info: HidDeviceInfo) -> bytes: ...

    def open(self, info: HidDeviceInfo) -> HidHandle:
        """Raises PermissionError when the OS refuses access, OSError on other failures."""
        ...


class _HidrawHandle:
    def __init__(self, device: Any) -> None:
        self._device = device
        self._lock = threading.Lock()  # writes come from the bus thread, reads from ours

    def read(self) -> bytes:
        data = self._device.read(READ_SIZE)
        return bytes(data) if data else b""

    def write(self, report: bytes) -> None:
        with self._lock:
            if self._device.write(report) < 0:
                raise OSError(errno.EIO, "HID write failed")

    def close(self) -> None:
        self._device.close()


class HidrawTransport:
    """cython-hidapi's `hidraw` module: the Linux hidraw backend, which (unlike `hid`, the
    libusb backend) never detaches the kernel's drivers, so the headset's audio keeps working.
    """

    def __init__(self) -> None:
        import hidraw  # type: ignore[import-not-found]

        self._hidraw = hidraw

    def enumerate(self) -> list[HidDeviceInfo]:
        by_path: dict[bytes, HidDeviceInfo] = {}
        for entry in self._hidraw.enumerate():
            path = entry["path"]
            pages = (
                (*by_path[path].usage_pages, entry.get("usage_page", 0))
                if path in by_path
                else (entry.get("usage_page", 0),)
            )
            name = (
                entry.get("product_string") or f"{entry['vendor_id']:04x}:{entry['product_id']:04x}"
            )
            by_path[path] = HidDeviceInfo(
                path,
                entry["vendor_id"],
                entry["product_id"],
                name,
                pages,
                entry.get("serial_number") or "",
            )
        return list(by_path.values())

    def report_descriptor(self, info: HidDeviceInfo) -> bytes:
        # sysfs is readable without access to /dev/hidraw*: we can tell what a device is even
        # when the udev rules are missing, and say so.
        node = Path(os.fsdecode(info.path)).name
        sysfs = Path("/sys/class/hidraw") / node / "device" / "report_descriptor"
        if sysfs.exists():
            return sysfs.read_bytes()
        device = self._open_raw(info)
        try:
            return bytes(device.get_report_descriptor())
        finally:
            device.close()

    def open(self, info: HidDeviceInfo) -> HidHandle:
        device = self._open_raw(info)
        device.set_nonblocking(1)
        return _HidrawHandle(device)

    def _open_raw(self, info: HidDeviceInfo) -> Any:
        path = os.fsdecode(info.path)
        if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
            raise PermissionError(errno.EACCES, "no read/write access", path)
        device = self._hidraw.device()
        device.open_path(info.path)
        return device


@dataclass(frozen=True, slots=True)
class Attachment:
    """An opened device and where its input reports go."""

    handle: HidHandle
    on_report: Callable[[bytes], None]


class DeviceWatcher:
    """The single HID thread: enumerates every `scan_interval` (hot-plug) and reads reports.

    Callbacks run on this thread: `attached(info)` may open the device and return an
    Attachment; `detached(info)` follows when the device disappears or fails (after which
    the watcher closes the handle).
    """

    def __init__(
        self,
        transport: HidTransport,
        attached: Callable[[HidDeviceInfo], Attachment | None],
        detached: Callable[[HidDeviceInfo], None],
        *,
        scan_interval: float = 2.0,
        poll_interval: float = 0.01,
    ) -> None:
        self._transport = transport
        self._attached = attached
        self._detached = detached
        self._scan_interval = scan_interval
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._rescan = threading.Event()
        self._thread: threading.Thread | None = None
        self._devices: dict[bytes, tuple[HidDeviceInfo, Attachment | None]] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="headset-hid", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._rescan.set()  # wakes an idle wait at once
        if self._thread is not None:
            self._thread.join(timeout=5)
        for path in list(self._devices):
            self._drop(path)

    def _run(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_scan or self._rescan.is_set():
                self._rescan.clear()
                self._scan()
                next_scan = now + self._scan_interval
            if not any(attachment for _, attachment in self._devices.values()):
                # Nothing open to read: sleep until the next hot-plug scan instead of waking
                # every poll interval (that alone cost ~1.3 % of a core with no headset).
                self._rescan.wait(max(0.0, next_scan - time.monotonic()))
                continue
            self._read_all()
            self._stop.wait(self._poll_interval)

    def _scan(self) -> None:
        try:
            present = {i.path: i for i in self._transport.enumerate()}
        except Exception:
            log.exception("HID enumeration failed")
            return
        for path in [p for p in self._devices if p not in present]:
            self._drop(path)
        for path, info in present.items():
            if path not in self._devices:
                try:
                    attachment = self._attached(info)
                except Exception:
                    log.exception("setting up HID device %r failed", path)
                    attachment = None
                self._devices[path] = (info, attachment)

    def _drop(self, path: bytes) -> None:
        info, attachment = self._devices.pop(path)
        self._detached(info)
        if attachment is not None:
            try:
                attachment.handle.close()
            except OSError:
                pass

    def _read_all(self) -> None:
        for path, (_info, attachment) in list(self._devices.items()):
            if attachment is None:
                continue
            try:
                while report := attachment.handle.read():
                    attachment.on_report(report)
            except OSError:
                log.info("HID device %r went away", path)
                self._drop(path)


def system_hid_transport() -> HidTransport | None:
    """hidapi's hidraw backend on Linux; None (headsets unsupported) when it is missing."""
    if not sys.platform.startswith("linux"):
        return None  # only the hidraw backend is wired and tested
    try:
        return HidrawTransport()
    except ImportError:
        log.warning("hidapi is not installed: headset buttons and LEDs are not used")
        return None
