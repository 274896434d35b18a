"""Runs the engine in its own process, relays commands and events, restarts it if it dies."""

from __future__ import annotations

import itertools
import logging
import socket
import subprocess
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from multiprocessing.connection import Connection

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CommandCompleted, EngineFailed, EngineStarted, Event
from softphone.engine import child as engine_child
from softphone.engine.config import EngineConfig

log = logging.getLogger(__name__)

_RESTART_DELAYS = (0.2, 1.0, 2.0, 5.0)  # seconds; the last one repeats
# How long quit waits for the engine: its un-REGISTER is bounded at 2 s (worker.py
# UNREGISTER_SECONDS, so the registrar keeps no binding of ours), plus pjsua's teardown
# (~0.2 s). A clean quit takes ~1.2 s; the margin is for a loaded machine, where 2.8 s left
# little room over the 2 s wait. Past this the engine is killed, so a hung engine never
# holds the quit longer.
STOP_SECONDS = 5.0


class EngineProcess:
    """The engine's OS process, with what the supervisor asks of it. A plain subprocess, not
    multiprocessing's: its "spawn" start also starts a resource tracker process for every app
    (6-13 MiB, for semaphores the engine never shares), and re-runs the parent's main script
    in the child."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid = popen.pid

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()  # negative: the signal that ended it

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def join(self, timeout: float) -> None:
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        self._popen.kill()


class EngineSupervisor:
    """The app's handle on the engine: thread-safe `send`/`request`, events onto the bus.

    The engine runs in a child process so that a native assertion in pjsip cannot take the
    window down; when the child dies the supervisor publishes `EngineFailed`, starts a new one
    and replays the account configuration.
    """

    def __init__(self, config: EngineConfig, bus: EventBus) -> None:
        self._config = config
        self._bus = bus
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: EngineProcess | None = None
        self._reader: threading.Thread | None = None
        self._pending: dict[int, Future[CommandCompleted]] = {}
        self._ids = itertools.count(1)
        self._account_command: cmd.ConfigureAccount | None = None
        self._policy_command: cmd.SetIncomingPolicy | None = None
        self._monitored_command: cmd.SetMonitored | None = None
        self._audio_command: cmd.SetAudioRoute | None = None
        self._stopping = False
        self._restarts = 0
        self._started = threading.Event()
        self.sip_port = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def exitcode(self) -> int | None:
        """The current engine process's exit code (None while it runs); 0 after a clean stop."""
        return self._process.exitcode if self._process else None

    def spawn(self) -> None:
        """Start the engine's process now, read it later: its events (EngineStarted first)
        wait in the pipe until start(), so nobody misses them while the app that subscribes
        to them is still being imported and built."""
        self._stopping = False
        if self._process is None:
            self._spawn(read=False)

    def start(self, timeout: float = 15.0) -> None:
        self._stopping = False
        if self._process is None:
            self._spawn()
        elif self._reader is None:
            self._read_events()
        if not self._started.wait(timeout):
            raise SoftphoneError(ErrorKey.ENGINE_UNAVAILABLE, detail="engine did not start")

    def _spawn(self, config: EngineConfig | None = None, *, read: bool = True) -> None:
        parent, child = socket.socketpair()
        with child:
            process = EngineProcess(
                subprocess.Popen(
                    engine_child.command(child.fileno()),
                    pass_fds=(child.fileno(),),
                    env=engine_child.environment(),
                )
            )
        conn = Connection(parent.detach())
        try:
            conn.send(config or self._config)  # the engine's first read
        except OSError:
            log.warning("the engine process ended before its configuration reached it")
        with self._lock:
            self._conn, self._process = conn, process
        self._started.clear()
        if read:
            self._read_events()

    def _read_events(self) -> None:
        """The reader of the current process's pipe: events onto the bus, deaths noticed."""
        conn, process = self._conn, self._process
        assert conn is not None and process is not None
        self._reader = threading.Thread(
            target=self._read, args=(conn, process), name="engine-events", daemon=True
        )
        self._reader.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        self._stopping = True
        process = self._process
        try:
            self.send(cmd.Shutdown())
        except SoftphoneError:
            pass
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                log.warning("engine did not stop in %.1f s: killing pid %s", timeout, process.pid)
                process.kill()
                process.join(2)
        if self._reader is not None:
            self._reader.join(2)

    # --- commands ---------------------------------------------------------------------------

    def send(self, command: cmd.EngineCommand) -> None:
        """Fire and forget (the engine still reports what happened through events)."""
        if isinstance(command, cmd.ConfigureAccount):
            self._account_command = command
        elif isinstance(command, cmd.RemoveAccount):
            self._account_command = None
        elif isinstance(command, cmd.SetIncomingPolicy):
            self._policy_command = command
        elif isinstance(command, cmd.SetMonitored):
            self._monitored_command = command
        elif isinstance(command, cmd.SetAudioRoute):
            self._audio_command = command
        with self._lock:
            if self._conn is None:
                raise SoftphoneError(ErrorKey.ENGINE_UNAVAILABLE)
            try:
                self._conn.send(command)
            except (OSError, ValueError) as exc:
                raise SoftphoneError(ErrorKey.ENGINE_UNAVAILABLE) from exc

    def request(
        self, make: type[cmd.EngineCommand], timeout: float = 5.0, **fields: object
    ) -> CommandCompleted:
        """Send a command built as `make(**fields, request_id=N)` and wait for its reply."""
        request_id = next(self._ids)
        future: Future[CommandCompleted] = Future()
        self._pending[request_id] = future
        try:
            self.send(make(**fields, request_id=request_id))  # type: ignore[call-arg]
            reply = future.result(timeout)
        except FutureTimeout as exc:
            raise SoftphoneError(ErrorKey.TIMEOUT) from exc
        finally:
            self._pending.pop(request_id, None)
        if reply.error is not None:
            raise SoftphoneError(reply.error)
        return reply

    # --- events -----------------------------------------------------------------------------

    def _read(self, conn: Connection, process: EngineProcess) -> None:
        while True:
            try:
                event: Event = conn.recv()
            except (EOFError, OSError):
                break
            except Exception:
                log.exception("undecodable message from the engine")
                continue
            if isinstance(event, CommandCompleted):
                future = self._pending.get(event.request_id)
                if future is not None and not future.done():
                    future.set_result(event)
                continue
            if isinstance(event, EngineStarted):
                self.sip_port = event.sip_port
                self._restarts = 0 if self._started.is_set() else self._restarts
                self._started.set()
            self._bus.publish(event)
        conn.close()
        # Only one thread may wait for the process: two concurrent joins race in waitpid and
        # the loser sees a live process forever. stop() joins when stopping; we join otherwise.
        if not self._stopping:
            process.join(2)
            self._on_engine_died(process)

    def _on_engine_died(self, process: EngineProcess) -> None:
        reason = f"engine process exited with code {process.exitcode}"
        log.error("%s: restarting it", reason)
        with self._lock:
            self._conn = None
        for future in list(self._pending.values()):
            if not future.done():
                future.set_result(CommandCompleted(0, ErrorKey.ENGINE_UNAVAILABLE))
        self._bus.publish(EngineFailed(reason))
        delay = _RESTART_DELAYS[min(self._restarts, len(_RESTART_DELAYS) - 1)]
        self._restarts += 1
        timer = threading.Timer(delay, self._restart)
        timer.name = "engine-restart"
        timer.daemon = True
        timer.start()

    def _restart(self) -> None:
        if self._stopping:
            return
        config = self._config
        if not config.sip_port and self.sip_port and self._restarts <= 1:
            # Same SIP port as the dead engine: the registrar still holds its Contact (no
            # un-REGISTER was sent) and would keep routing INVITEs to a port nobody hears.
            # Only on the first retry, in case that port is what keeps failing.
            config = replace(config, sip_port=self.sip_port)
        self._spawn(config)
        if not self._started.wait(15.0):
            return
        if self._audio_command is not None:  # devices before any call needs them
            self.send(self._audio_command)
        # The policy first: an INVITE may arrive as soon as the account registers.
        if self._policy_command is not None:
            self.send(self._policy_command)
        if self._account_command is not None:
            self.send(self._account_command)
        if self._monitored_command is not None:
            self.send(self._monitored_command)
