"""Where the files shipped beside the code (assets/) are, in the source tree or a bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    """assets/ of the source tree, or of a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parents[2] / "assets"
