"""Start at login, minimised to the tray: an XDG autostart entry (Linux desktops)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

ENTRY_NAME = "softphone.desktop"
MINIMIZED_FLAG = "--minimized"


def autostart_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME/autostart (default ~/.config/autostart), per the XDG autostart spec."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart"


def launch_command(data_dir: Path | None = None) -> list[str]:
    """How to start this same installation: the bundle, the installed script, or python -m."""
    if getattr(sys, "frozen", False):
        command = [sys.executable]
    elif (installed := shutil.which("softphone")) is not None:
        command = [installed]
    else:
        command = [sys.executable, "-m", "softphone"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir.resolve())]
    return [*command, MINIMIZED_FLAG]


_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def exec_quote(arg: str) -> str:
    """One Exec argument per the Desktop Entry spec: double quotes, `"` `` ` `` `$` `\\` escaped,
    `%` doubled; then the value's own escaping doubles every backslash again."""
    arg = arg.replace("%", "%%")
    if any(c in _RESERVED for c in arg):
        escaped = "".join(f"\\{c}" if c in '"`$\\' else c for c in arg)
        arg = f'"{escaped}"'
    return arg.replace("\\", "\\\\")


def entry_text(command: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Softphone\n"
        "Comment=Start the softphone minimised to the tray at login\n"
        f"Exec={' '.join(exec_quote(a) for a in command)}\n"
        "Icon=softphone\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def apply_autostart(enabled: bool, directory: Path, command: Sequence[str]) -> bool:
    """Write or remove the entry; True when the file system now matches `enabled`."""
    if not sys.platform.startswith("linux"):
        log.info("start at login is only implemented for Linux desktops")
        return False
    path = directory / ENTRY_NAME
    try:
        if enabled:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(entry_text(command), encoding="utf-8")
            tmp.replace(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        log.error("could not %s %s: %s", "write" if enabled else "remove", path, exc)
        return False
    return True
