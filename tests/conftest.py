"""Test-wide setup: `pbx` and `support` importable, and an in-memory keyring."""

from __future__ import annotations

import sys
from pathlib import Path

import keyring

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from support.memory_keyring import MemoryKeyring  # noqa: E402

keyring.set_keyring(MemoryKeyring())

pytest_plugins = ["pbx.fixtures", "dirservers.fixtures"]
