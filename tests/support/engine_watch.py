"""Fails a test during which an app's engine process died or was restarted, unless the test
killed it on purpose (`kill_engine`): a restart must never hide a crash."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from softphone.app import SoftphoneApp
from softphone.domain.events import EngineFailed


@dataclass
class _Watched:
    app: SoftphoneApp
    failures: list[str]
    expected: int = 0


class EngineWatch:
    """Every app the harness started, with the engine failures seen on its bus."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[int, _Watched] = {}

    def watch(self, app: SoftphoneApp) -> None:
        watched = _Watched(app, [])

        def on_failed(event: EngineFailed) -> None:
            with self._lock:
                watched.failures.append(event.reason)

        app.bus.subscribe(EngineFailed, on_failed)
        with self._lock:
            self._apps[id(app)] = watched

    def unwatch(self, app: SoftphoneApp) -> list[str]:
        """Forget `app`; the failures nobody expected, if any."""
        with self._lock:
            watched = self._apps.pop(id(app), None)
        return self._unexpected(watched) if watched else []

    def expect_failure(self, app: SoftphoneApp) -> None:
        with self._lock:
            self._apps[id(app)].expected += 1

    def unexpected(self) -> list[str]:
        """Failures nobody expected, in every watched app; counted once (then forgotten)."""
        with self._lock:
            found = [f for w in self._apps.values() for f in self._unexpected(w)]
        return found

    @staticmethod
    def _unexpected(watched: _Watched) -> list[str]:
        surplus = len(watched.failures) - watched.expected
        found = watched.failures[-surplus:] if surplus > 0 else []
        watched.failures.clear()
        watched.expected = 0
        return found


ENGINE_WATCH = EngineWatch()


def kill_engine(app: SoftphoneApp, sig: int = signal.SIGKILL) -> int:
    """Kill `app`'s engine on purpose (a native crash, as far as the app can tell); its pid."""
    pid = app.engine.pid
    assert pid is not None, "no engine process to kill"
    ENGINE_WATCH.expect_failure(app)
    os.kill(pid, sig)
    return pid


# What the supervisor logs when an engine process dies (engine/supervisor.py).
ENGINE_DEATH_LINE = "engine process exited with code"


def engine_deaths_in_logs(*paths: Path) -> list[str]:
    """For apps in another process: the supervisor's death lines in their logs (a file, or a
    directory whose *.log files are read)."""
    files = [f for p in paths for f in (sorted(p.glob("*.log*")) if p.is_dir() else [p])]
    return [
        line.strip()
        for f in files
        if f.is_file()
        for line in f.read_text(errors="replace").splitlines()
        if ENGINE_DEATH_LINE in line
    ]
