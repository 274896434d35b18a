"""The engine's process is started before the app is imported (start-up time), and its first
events wait in the pipe until the app, built meanwhile, reads them."""

from __future__ import annotations

import time

import psutil
import pytest

from softphone.bus import EventBus
from softphone.domain.events import EngineStarted
from softphone.engine.config import EngineConfig
from softphone.engine.supervisor import EngineSupervisor

pytestmark = pytest.mark.integration


def _sip_socket_bound(pid: int) -> bool:
    try:
        return any(c.laddr for c in psutil.Process(pid).net_connections(kind="udp"))
    except psutil.Error:
        return False


def test_an_engine_spawned_early_publishes_its_start_only_once_read() -> None:
    bus = EventBus()
    seen: list[EngineStarted] = []
    bus.subscribe(EngineStarted, seen.append)
    engine = EngineSupervisor(EngineConfig(bind_address="127.0.0.1", log_file=None), bus)
    engine.spawn()
    try:
        pid = engine.pid
        assert pid
        # The engine binds its SIP socket, then says EngineStarted into the pipe.
        deadline = time.monotonic() + 20
        while not _sip_socket_bound(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _sip_socket_bound(pid)
        assert seen == []  # nothing reaches the bus before the app reads
        engine.start()
        assert len(seen) == 1 and seen[0].pid == pid
        assert engine.sip_port == seen[0].sip_port
    finally:
        engine.stop()
    assert engine.exitcode == 0
