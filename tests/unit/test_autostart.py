"""Start at login: the XDG autostart entry is written, valid, and removed again."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.desktop.autostart import (
    MINIMIZED_FLAG,
    apply_autostart,
    autostart_dir,
    entry_text,
    exec_quote,
    launch_command,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart")


def test_the_directory_follows_xdg_config_home(tmp_path: Path) -> None:
    assert autostart_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "autostart"
    assert autostart_dir({}) == Path.home() / ".config" / "autostart"


def test_the_command_starts_minimised_on_the_same_data_dir(tmp_path: Path) -> None:
    command = launch_command(tmp_path / "data dir")
    assert command[-3:] == ["--data-dir", str((tmp_path / "data dir").resolve()), MINIMIZED_FLAG]
    assert launch_command()[-1] == MINIMIZED_FLAG


def test_entry_is_written_valid_and_removed(tmp_path: Path) -> None:
    directory = tmp_path / "autostart"
    command = ["/opt/soft phone/softphone", "--data-dir", "/home/a b/data", MINIMIZED_FLAG]
    assert apply_autostart(True, directory, command)
    entry = directory / "softphone.desktop"
    text = entry.read_text()
    assert 'Exec="/opt/soft phone/softphone" --data-dir "/home/a b/data" --minimized\n' in text
    assert text == entry_text(command)
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert apply_autostart(False, directory, command)
    assert not entry.exists()
    assert apply_autostart(False, directory, command)  # removing twice is fine


def test_exec_quoting_escapes_what_the_spec_reserves() -> None:
    assert exec_quote("/usr/bin/softphone") == "/usr/bin/softphone"
    assert exec_quote("50%") == "50%%"
    # `$` is escaped inside the quotes, and the value's escaping doubles the backslash.
    assert exec_quote("/home/$me") == '"/home/\\\\$me"'
