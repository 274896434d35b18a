"""A private D-Bus session daemon for a test, stopped by PID with whatever it activated."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator

import psutil


@contextlib.contextmanager
def private_session_bus() -> Iterator[str]:
    """Its address. Tests that own a well-known name (a notification server, a tray watcher)
    meet the app there: on the run's shared session another test's Chromium activates the
    distribution's notification service, which took the name in parallel runs."""
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()
