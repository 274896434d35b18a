"""Tray icon under Xvfb with a real XEmbed tray host (trayer): it appears, shows the status,
its menu sets do-not-disturb and quits, and closing the window keeps the app in the tray."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pbx.kamailio import Kamailio
from support.app_harness import UiClient, sign_in
from support.waiting import until

from .window_harness import Display, WindowProcess, open_window_and_wait_for, xdg_env, xvfb_display

TRAY_CHILD = Path(__file__).with_name("tray_child.py")
BRAND = (0x1D, 0x6F, 0x42)
REGISTERED = (0x1F, 0x9D, 0x55)
DND = (0xD6, 0x45, 0x45)
_GEOMETRY = re.compile(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)")

pytestmark = pytest.mark.skipif(
    shutil.which("trayer") is None or shutil.which("xdotool") is None,
    reason="trayer and xdotool (build/apt-packages.txt) are needed",
)


def _x(display: Display, *argv: str) -> str:
    env = {k: v for k, v in display.env.items() if v is not None}
    result = subprocess.run(
        argv, check=False, env={**_base_env(), **env}, capture_output=True, text=True, timeout=10
    )
    return result.stdout


def _base_env() -> dict[str, str]:
    return dict(os.environ)


@contextlib.contextmanager
def trayer(display: Display) -> Iterator[None]:
    """A panel with a system tray (XEmbed) at the top right, stopped by PID."""
    env = {**_base_env(), **{k: v for k, v in display.env.items() if v is not None}}
    proc = subprocess.Popen(
        [
            *("trayer", "--edge", "top", "--align", "right", "--widthtype", "request"),
            *("--height", "32", "--SetDockType", "true", "--expand", "false"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until(
            lambda: '"panel"' in _x(display, "xwininfo", "-root", "-tree"), 10, "trayer", every=0.1
        )
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def tray_icons(display: Display) -> list[tuple[int, int, int, int]]:
    """Absolute x, y, width, height of our icon windows embedded in trayer's panel."""
    lines = _x(display, "xwininfo", "-root", "-tree").splitlines()
    icons: list[tuple[int, int, int, int]] = []
    for i, line in enumerate(lines):
        if '"panel"' not in line:
            continue
        depth = len(line) - len(line.lstrip())
        for child in lines[i + 1 :]:
            if len(child) - len(child.lstrip()) <= depth:
                break
            if (match := _GEOMETRY.search(child)) and "tray_child" in child:
                w, h, x, y = (int(g) for g in match.groups())
                if w > 4 and h > 4:  # trayer's 1x1 helper windows are not icons
                    icons.append((x, y, w, h))
    return icons


def window_visible(display: Display) -> bool:
    return bool(_x(display, "xdotool", "search", "--onlyvisible", "--name", "^Softphone$").strip())


def _colour_near(display: Display, rect: tuple[int, int, int, int], rgb: tuple[int, ...]) -> int:
    x, y, w, h = rect
    area = display.grab()[y : y + h, x : x + w].astype(int)
    return int((np.abs(area - np.array(rgb)).sum(axis=-1) < 40).sum())


def _child(
    display: Display, tmp_path: Path, *flags: str
) -> contextlib.AbstractContextManager[WindowProcess]:
    return open_window_and_wait_for(
        [sys.executable, str(TRAY_CHILD), str(tmp_path / "app"), *flags],
        lambda w: w.event("ready") is not None,
        display=display,
        log_path=tmp_path / "tray_child.log",
        extra_env={"SOFTPHONE_NOTIFICATIONS": "0", **xdg_env(tmp_path / "home")},
        stop_grace=20.0,
    )


def _menu_choose(display: Display, icon: tuple[int, int, int, int], downs: int) -> None:
    x, y, w, h = icon
    _x(display, "xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
    time.sleep(1.0)  # the menu pops up and grabs the keyboard
    _x(display, "xdotool", "key", *(["Down"] * downs), "Return")


def test_tray_icon_status_menu_and_close_to_tray(
    kamailio: Kamailio, tmp_path: Path, artifacts: Path
) -> None:
    with (
        # Wider than the 1280-pixel window: with no window manager nothing keeps the window
        # off the panel, and the screenshot must see the icon.
        xvfb_display(size=(1920, 1080)) as display,
        trayer(display),
        _child(display, tmp_path) as child,
    ):
        until(lambda: bool(tray_icons(display)), 20, "the tray icon", every=0.1)
        icon = tray_icons(display)[0]
        until(lambda: _colour_near(display, icon, BRAND) > 20, 10, "the icon painted", every=0.1)
        ready = child.event("ready")
        assert ready is not None
        ui = UiClient.at(ready["port"], ready["token"])
        try:
            assert ui.command("app.info")["result"]["tray"] is True
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
            until(lambda: _colour_near(display, icon, REGISTERED) > 3, 10, "a green dot", every=0.1)
            display.screenshot(artifacts / "tray-registered.png")

            mark = ui.mark()
            _menu_choose(display, icon, downs=2)  # Show, Do not disturb
            ui.wait_for(
                lambda e: e.get("type") == "settings_changed" and e["settings"]["dnd"],
                timeout=10,
                start=mark,
            )
            until(lambda: _colour_near(display, icon, DND) > 3, 10, "a red dot", every=0.1)

            until(lambda: window_visible(display), 30, "the window", every=0.1)
            child.send_line("user_close")
            until(lambda: not window_visible(display), 10, "the window hidden", every=0.1)
            time.sleep(1.0)
            assert child.proc.poll() is None  # still running: calls still ring
            assert ui.command("app.info")["ok"]

            x, y, w, h = icon
            _x(display, "xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
            until(lambda: window_visible(display), 10, "the window shown again", every=0.1)
        finally:
            ui.close()
        _menu_choose(display, icon, downs=3)  # Show, Do not disturb, (separator), Quit
        until(lambda: child.event("exited") is not None, 30, "the app to quit", every=0.1)
        assert child.proc.wait(20) == 0


def test_without_a_tray_host_closing_the_window_quits(tmp_path: Path) -> None:
    with xvfb_display(size=(1024, 700)) as display, _child(display, tmp_path) as child:
        until(lambda: window_visible(display), 30, "the window", every=0.1)
        child.send_line("user_close")
        until(lambda: child.event("exited") is not None, 30, "the app to quit", every=0.1)
        assert child.event("exited") == {"event": "exited", "tray": False}


def test_started_minimized_it_waits_in_the_tray_until_clicked(tmp_path: Path) -> None:
    with (
        xvfb_display(size=(1920, 1080)) as display,
        trayer(display),
        _child(display, tmp_path, "--minimized"),
    ):
        until(lambda: bool(tray_icons(display)), 20, "the tray icon", every=0.1)
        time.sleep(3.0)  # long enough for a window that was going to show to have shown
        assert not window_visible(display)
        x, y, w, h = tray_icons(display)[0]
        _x(display, "xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
        until(
            lambda: window_visible(display), 20, "the window after a click on the icon", every=0.1
        )
