"""What the native shell (window, tray) offers the backend; empty in browser mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class DesktopShell:
    """Filled in by the CLI once the window exists; commands read it to choose how to act."""

    # Asks the user where to save a file (native dialog); None when cancelled. Blocks.
    ask_save_path: Callable[[str], Path | None] | None = None
    tray: bool = False  # a tray icon is shown: closing the window keeps the app running
    window: bool = False  # a native window (not a browser tab) shows the UI
