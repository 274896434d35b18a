"""Test-wide setup: `pbx` and `support` importable, an in-memory keyring, the `app` fixture."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from softphone.app import SoftphoneApp  # noqa: E402
from support.app_harness import running_app  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

keyring.set_keyring(MemoryKeyring())

pytest_plugins = ["pbx.fixtures", "dirservers.fixtures", "audiolab.fixtures"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    """The real app (engine process, web server) on 127.0.0.1, not signed in; stopped after."""
    with running_app(tmp_path / "app") as running:
        yield running
