"""Test-wide setup: `pbx` and `support` importable, an in-memory keyring, `app` and `ui`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from pbx.kamailio import Kamailio  # noqa: E402
from softphone.app import SoftphoneApp  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402
from support.engine_watch import ENGINE_WATCH  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

keyring.set_keyring(MemoryKeyring())

pytest_plugins = ["pbx.fixtures", "dirservers.fixtures", "audiolab.fixtures"]


@pytest.fixture(autouse=True)
def _no_engine_crash() -> Iterator[None]:
    """Every test: an engine that died or restarted without the test killing it fails it
    (apps shared by a module are checked after each of its tests, not only at the end; a
    death between two tests fails the next one)."""
    yield
    failures = ENGINE_WATCH.unexpected()
    if failures:
        pytest.fail(f"the engine process died during the test: {failures}")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    """The real app (engine process, web server) on 127.0.0.1, not signed in; stopped after."""
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    """A UI client of `app` (a module's own `app` when it has one), signed in as 1001."""
    client = UiClient(app)
    assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    yield client
    client.close()
