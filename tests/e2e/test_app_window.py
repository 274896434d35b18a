"""The real app in its real window (pywebview, Qt WebEngine) under Xvfb: loads, signs in, paints."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pbx.kamailio import Kamailio

from .window_harness import (
    ARTIFACTS,
    Display,
    WindowProcess,
    open_window_and_wait_for,
    xdg_env,
    xvfb_display,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="needs dbus-run-session"),
]


@pytest.fixture
def xvfb() -> Iterator[Display]:
    with xvfb_display(size=(1280, 800)) as display:
        yield display


def _ui_connected(window: WindowProcess) -> bool:
    # Logged by the backend once the page's script ran and authenticated its Socket.IO link.
    return "UI connected" in window.log_tail(200)


def test_app_window_loads_the_ui_and_registers(
    xvfb: Display, kamailio: Kamailio, tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "softphone",
        "--data-dir",
        str(tmp_path / "app"),
        "--server",
        f"127.0.0.1:{kamailio.port}",
        "--user",
        "1001",
        "--display-name",
        "Window Test",
        "--password-env",
        "WINDOW_TEST_PW",
        "--sip-bind",
        "127.0.0.1",
    ]
    env = {
        **xdg_env(tmp_path),
        "WINDOW_TEST_PW": kamailio.users["1001"],
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    with open_window_and_wait_for(
        command, _ui_connected, display=xvfb, log_path=tmp_path / "app.log", extra_env=env
    ) as window:
        assert window.proc.poll() is None
        # The registrar saw us: the UI connected to a backend that registered with Kamailio.
        deadline = time.monotonic() + 15
        while "registration registered" not in window.log_tail(400) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # let WebEngine paint
        shot = xvfb.screenshot(ARTIFACTS / "app-window-xvfb.png")
        pixels = xvfb.grab()
        # A painted UI, not a blank or black screen: many distinct colours on it.
        colours = np.unique(pixels.reshape(-1, 3), axis=0)
        assert len(colours) > 50, f"window looks blank ({len(colours)} colours), see {shot}"
        log = window.log_tail(400)
        # Seen twice in CI, never alone: say what the app's log held about it.
        said = [
            line
            for line in log.splitlines()
            if any(word in line for word in ("registration", "engine", "ERROR", "WARNING"))
        ]
        assert "registration registered" in log, "not registered within 15 s:\n" + "\n".join(
            said[-40:]
        )
    settings = (tmp_path / "app" / "config" / "settings.json").read_text()
    assert kamailio.users["1001"] not in settings  # a scripted password is never stored
