"""build/'s scripts loaded as modules for unit tests (they are scripts, not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BUILD = Path(__file__).resolve().parents[2] / "build"


def load(name: str) -> ModuleType:
    """build/<name>.py as the module `name` (also in sys.modules, as its dataclasses need),
    with build/ on the import path as when the script runs (trim_icu imports strip_bundle)."""
    if str(BUILD) not in sys.path:
        sys.path.append(str(BUILD))
    spec = importlib.util.spec_from_file_location(name, BUILD / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
