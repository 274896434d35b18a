"""Export logs in the window: the native save dialog (Qt's, under Xvfb) writes the zip where
the person typed, and cancelling writes nothing."""

from __future__ import annotations

import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

from support.app_harness import UiClient
from support.waiting import until

from .test_tray import TRAY_CHILD, _x, window_visible
from .window_harness import Display, open_window_and_wait_for, xdg_env, xvfb_display


def _dialog(display: Display) -> str:
    return _x(display, "xdotool", "search", "--onlyvisible", "--name", "^Save file$").strip()


def _export(ui: UiClient, replies: list[dict[str, Any]]) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: replies.append(ui.command("logs.export", timeout=60)), daemon=True
    )
    thread.start()
    return thread


def test_export_logs_through_the_save_dialog(tmp_path: Path) -> None:
    target = tmp_path / "out" / "support.zip"
    target.parent.mkdir()
    with (
        xvfb_display(size=(1280, 800)) as display,
        open_window_and_wait_for(
            [sys.executable, str(TRAY_CHILD), str(tmp_path / "app")],
            lambda w: w.event("ready") is not None,
            display=display,
            log_path=tmp_path / "child.log",
            extra_env={"SOFTPHONE_NOTIFICATIONS": "0", **xdg_env(tmp_path / "home")},
        ) as child,
    ):
        until(lambda: window_visible(display), 30, "the window", every=0.1)
        ready = child.event("ready")
        assert ready is not None
        ui = UiClient.at(ready["port"], ready["token"])
        try:
            replies: list[dict[str, Any]] = []
            thread = _export(ui, replies)
            until(lambda: bool(_dialog(display)), 20, "the save dialog", every=0.1)
            wid = _dialog(display).split()[0]
            _x(display, "xdotool", "windowfocus", "--sync", wid)
            _x(display, "xdotool", "key", "--window", wid, "ctrl+a")
            _x(display, "xdotool", "type", "--delay", "20", str(target))
            _x(display, "xdotool", "key", "Return")
            thread.join(30)
            assert replies == [{"ok": True, "result": {"saved": str(target)}}]
            with zipfile.ZipFile(target) as archive:
                assert {"settings.json", "system.txt"} <= set(archive.namelist())

            replies.clear()
            thread = _export(ui, replies)
            until(lambda: bool(_dialog(display)), 20, "the save dialog again", every=0.1)
            wid = _dialog(display).split()[0]
            _x(display, "xdotool", "windowfocus", "--sync", wid)
            _x(display, "xdotool", "key", "Escape")
            thread.join(30)
            assert replies == [{"ok": True, "result": {"cancelled": True}}]
        finally:
            ui.close()
