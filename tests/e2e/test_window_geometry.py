"""The window reopens where and as large as it was left, and never off the screen."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from support.waiting import until

from .test_tray import TRAY_CHILD, _x, window_visible
from .window_harness import Display, open_window_and_wait_for, xdg_env, xvfb_display

_GEOMETRY = re.compile(
    r"Absolute upper-left X:\s+(-?\d+).*?Absolute upper-left Y:\s+(-?\d+).*?"
    r"Width:\s+(\d+).*?Height:\s+(\d+)",
    re.S,
)


def _window_id(display: Display) -> str:
    return _x(display, "xdotool", "search", "--onlyvisible", "--name", "^Softphone$").split()[0]


def _geometry(display: Display) -> tuple[int, int, int, int]:
    info = _x(display, "xwininfo", "-id", _window_id(display))
    match = _GEOMETRY.search(info)
    assert match, info
    x, y, w, h = (int(g) for g in match.groups())
    return x, y, w, h


def _run(display: Display, data_dir: Path, log: Path, step: Callable[[], None]) -> None:
    with open_window_and_wait_for(
        [sys.executable, str(TRAY_CHILD), str(data_dir)],
        lambda w: w.event("ready") is not None,
        display=display,
        log_path=log,
        extra_env={"SOFTPHONE_NOTIFICATIONS": "0", **xdg_env(data_dir / "home")},
    ):
        until(lambda: window_visible(display), 30, "the window", every=0.1)
        step()


def _saved_window(settings: Path) -> object:
    try:
        return json.loads(settings.read_text()).get("window")
    except (OSError, ValueError):
        return None


def test_size_and_position_are_remembered_and_clamped(tmp_path: Path) -> None:
    data_dir = tmp_path / "app"
    settings = data_dir / "config" / "settings.json"
    wanted = {"x": 200, "y": 120, "width": 900, "height": 650, "maximized": False}
    with xvfb_display(size=(1280, 800)) as display:

        def move_and_resize() -> None:
            wid = _window_id(display)
            _x(display, "xdotool", "windowsize", wid, "900", "650")
            _x(display, "xdotool", "windowmove", wid, "200", "120")
            until(lambda: _saved_window(settings) == wanted, 10, "the geometry saved", every=0.1)

        _run(display, data_dir, tmp_path / "first.log", move_and_resize)

        seen: list[tuple[int, int, int, int]] = []
        _run(display, data_dir, tmp_path / "second.log", lambda: seen.append(_geometry(display)))
        assert seen == [(200, 120, 900, 650)]

        # Saved on a monitor that is gone: it opens centred on the screen that exists.
        data = json.loads(settings.read_text())
        data["window"] = {"x": 3000, "y": 2000, "width": 900, "height": 650, "maximized": False}
        settings.write_text(json.dumps(data))
        seen.clear()
        _run(display, data_dir, tmp_path / "third.log", lambda: seen.append(_geometry(display)))
        assert seen == [((1280 - 900) // 2, (800 - 650) // 2, 900, 650)]
