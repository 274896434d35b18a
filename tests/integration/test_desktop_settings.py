"""Desktop settings through the wire: start at login writes the XDG entry; logs off at start
means no log file from the app or the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration


def test_autostart_switch_writes_and_removes_the_login_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "softphone.desktop"
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        try:
            snapshot = ui.wait_for(lambda e: e.get("type") == "snapshot")
            assert snapshot["settings"]["autostart"] is False
            assert not entry.exists()
            assert ui.command("settings.update", autostart=True)["ok"]
            assert "--minimized" in entry.read_text()
            assert ui.command("settings.update", autostart=False)["ok"]
            assert not entry.exists()
            bad = ui.command("settings.update", autostart="yes")
        finally:
            ui.close()
    assert bad["ok"] is False and bad["error"] == "invalid_argument"


def test_with_logs_off_no_log_file_is_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "app"
    (data_dir / "config").mkdir(parents=True)
    (data_dir / "config" / "settings.json").write_text(json.dumps({"logs": False}))
    with running_app(data_dir) as app:
        ui = UiClient(app)
        try:
            snapshot = ui.wait_for(lambda e: e.get("type") == "snapshot")
            assert snapshot["settings"]["logs"] is False
        finally:
            ui.close()
    assert not (data_dir / "engine.log").exists()
    assert not app.desktop.app_log.path.exists()
