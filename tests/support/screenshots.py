"""Where a test's screenshots for the docs go: docs/screenshots only for `make screenshots`."""

from __future__ import annotations

import os
from pathlib import Path

# `make screenshots` sets it; a plain test run writes into its own temporary directory, so
# running the suite never rewrites files of the checkout.
ENV = "SOFTPHONE_SCREENSHOTS_DIR"


def screenshots_dir(tmp_path: Path) -> Path:
    chosen = os.environ.get(ENV)
    path = Path(chosen) if chosen else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
