"""The engine process: one thread owns pjsua2, polls it, and runs the commands it is sent."""

from __future__ import annotations

import gc
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import pjsua2 as pj

from softphone.diagnostics.logfiles import StdoutFollowingHandler
from softphone.domain import commands as cmd
from softphone.domain.events import EngineStarted, Event
from softphone.engine.account import UNREGISTER_SECONDS, EngineAccount
from softphone.engine.blf import EngineBlf
from softphone.engine.calls import EngineCalls
from softphone.engine.config import EngineConfig
from softphone.engine.media import configure_codecs
from softphone.engine.media_budget import MediaBudget
from softphone.engine.nat import AddressWatcher, StunServers
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.pj_adapters import PjLogWriter
from softphone.engine.refused_calls import RefusedCallReporter, RefusedInviteTap
from softphone.engine.request_filter import RequestFilter
from softphone.engine.router import CommandRouter
from softphone.engine.rx_data import RxDataReader
from softphone.engine.sip_guard import SipGuard
from softphone.engine.sip_transports import SipTransports
from softphone.engine.sound import BUSY_POLL_MS, FRAME_MS, EngineSound
from softphone.engine.stats import CallStats

log = logging.getLogger(__name__)

# A CRLF keep-alive is ignored by pjsip but makes its poll return: how other threads wake
# the engine loop without it having to poll often (idle CPU).
_WAKE_PACKET = b"\r\n\r\n"
_IDLE_POLL_MS = 500


class Engine:
    """Owns the pjsua2 Endpoint. Every method runs on the engine thread, none on any other."""

    def __init__(self, config: EngineConfig, emit: Callable[[Event], None]) -> None:
        self._config = config
        self._emit = emit
        self._commands: queue.SimpleQueue[cmd.EngineCommand] = queue.SimpleQueue()
        self._ep = pj.Endpoint()
        self._transports = SipTransports(self._ep, config)
        rx_reader = RxDataReader()
        self._sip_guard = SipGuard(rx_reader)  # lives as long as the endpoint holding its module
        pbx_addresses = PbxAddresses()  # only these may send us requests (or anyone)
        media_budget = MediaBudget(config.max_calls)  # calls in and out share the sockets
        self._request_filter = RequestFilter(
            rx_reader,
            pbx_addresses,
            lambda: {self._transports.sip_port, self._transports.wake_port},
            media_budget,
        )
        self._sound = EngineSound(self._ep, config.sound, emit)
        self._calls = EngineCalls(
            self._ep,
            config,
            emit,
            lambda: self._account.current,
            self._sound.ensure_clock,
            media_budget=media_budget,
        )
        self._blf = EngineBlf(emit, lambda: self._account.current, config.log_level)
        self._account = EngineAccount(
            emit=emit,
            bind_address=config.bind_address,
            transports=self._transports,
            calls=self._calls,
            blf=self._blf,
            pbx_addresses=pbx_addresses,
            source_policy=self._request_filter.policy,
            stun=StunServers(self._ep),
            pump=self._pump,
        )
        self._refused_tap = RefusedInviteTap()
        self._refused = RefusedCallReporter(self._refused_tap, emit)
        self._sip_guard.observer = self._note_request
        self._log_writer = PjLogWriter(config.log_level, self._tap_log)
        self._running = False
        self._stats = CallStats(emit)
        self._watcher: AddressWatcher | None = None
        self._router = self._make_router()  # after every component that handles commands

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = False
        ep_cfg.uaConfig.maxCalls = self._config.max_calls
        ep_cfg.uaConfig.userAgent = self._config.user_agent
        # The writer passes level 4 (BLF reads whole NOTIFY bodies from the message log, and
        # forwards only up to the configured level to our log); what pjlib produces is
        # lowered again right after init and raised only while colleagues are monitored.
        ep_cfg.logConfig.level = max(4, self._config.log_level)
        ep_cfg.logConfig.consoleLevel = max(4, self._config.log_level)
        ep_cfg.logConfig.writer = self._log_writer
        ep_cfg.logConfig.decor = 0
        ep_cfg.medConfig.clockRate = 16000
        ep_cfg.medConfig.sndClockRate = 16000
        ep_cfg.medConfig.audioFramePtime = FRAME_MS  # the bridge's frame: see engine/sound.py
        ep_cfg.medConfig.ecTailLen = 0  # echo cancellation belongs to the device layer
        # pjsua closes its (null) sound device after 1 s without a connection to slot 0,
        # stopping the bridge mid-call (a call's recording ended after 1.06 s, silent, in a
        # full run); EngineSound opens and stops that clock itself (ensure_clock, stop_clock).
        ep_cfg.medConfig.sndAutoCloseTime = -1
        # Continuous RTP (no silence suppression): keeps NAT mappings of the media open and
        # lets the far end tell "no audio" from silence.
        ep_cfg.medConfig.noVad = True
        self._ep.libInit(ep_cfg)
        self._transports.open()
        self._ep.libStart()
        self._sip_guard.install()  # before any packet is read: see sip_guard.py
        self._request_filter.install()  # after the guard: see request_filter.py
        self._sound.start()  # no call: no bridge clock, no media poll (they come with calls)
        configure_codecs(self._ep)
        self._blf.apply_log_level()
        # Address changes matter only when not bound to one address by the user.
        self._watcher = AddressWatcher(
            self._ep, self._emit, not self._config.bind_address, self._account.follow_pbx_route
        )
        self._account.watcher = self._watcher
        self._running = True
        self._emit(EngineStarted(pid=os.getpid(), sip_port=self._transports.sip_port))

    def run(self) -> None:
        """Poll pjsua2 and run queued commands until Shutdown."""
        while self._running:
            self._ep.libHandleEvents(self._poll_ms())
            self._calls.after_events()
            self._request_filter.unheard.end_calls(self._calls.pj_calls())
            self._sound.update(self._calls.needs_audio(), bool(self._calls))
            self._blf.after_events()
            self._refused.after_events(self._sip_call_ids, self._account.srtp)
            self._stats.sample(self._calls.pj_calls())
            self._account.after_events()
            if self._watcher is not None:
                self._watcher.poll(self._account.current is not None)
            self._drain_commands()
        self._destroy()

    def _poll_ms(self) -> int:
        """Sleep until the next deadline (spread subscriptions, no-answer forwarding)."""
        if self._sound.busy():
            return BUSY_POLL_MS  # sound devices opening or closing: attach them promptly
        nat_due = (
            self._stats.next_due(bool(self._calls)),
            self._watcher.next_due() if self._watcher else None,
        )
        due = [
            d
            for d in (self._blf.next_due(), self._calls.next_deadline(), *nat_due)
            if d is not None
        ]
        if not due:
            return _IDLE_POLL_MS
        wait_ms = int((min(due) - time.monotonic()) * 1000) + 1
        return max(0, min(_IDLE_POLL_MS, wait_ms))

    def _destroy(self) -> None:
        """Hang up, unregister (bounded wait), release every pj object, then destroy."""
        self._sound.shutdown()  # no audio callback may reach the bridge while it goes
        deadline = time.monotonic() + UNREGISTER_SECONDS
        try:
            self._ep.hangupAllCalls()
        except pj.Error as exc:
            log.info("shutdown: %s", exc.info())
        self._account.unregister(deadline)
        while time.monotonic() < deadline and self._calls:
            self._pump()
        self._calls.release_all()
        self._blf.release_all()
        self._account.release()
        gc.collect()  # no pj wrapper may outlive libDestroy (its destructor would assert)
        # NO_RX_MSG: do not wait for answers we no longer need (libDestroy sleeps 1 s otherwise).
        self._ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)

    def _pump(self) -> None:
        """One short turn of pjsip inside a wait (callbacks run; ended calls are released)."""
        self._ep.libHandleEvents(20)
        self._calls.release_ended()

    # --- commands (from other threads, through the queue) -----------------------------------

    def submit(self, command: cmd.EngineCommand, wake: socket.socket) -> None:
        """Thread-safe: queue `command` and wake the loop."""
        self._commands.put(command)
        wake.sendto(_WAKE_PACKET, ("127.0.0.1", self._transports.wake_port))

    def _drain_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            completed = self._router.run(command)
            if completed is not None:
                self._emit(completed)

    def _make_router(self) -> CommandRouter:
        router = CommandRouter()
        router.register(cmd.Shutdown, self._shutdown)
        self._account.register(router)
        self._calls.register(router)
        self._blf.register(router)
        self._sound.register(router)
        router.register(cmd.PickupCall, self._pickup)
        router.register(cmd.ReportModules, lambda _c: {"modules": sorted(sys.modules)})
        return router

    def _pickup(self, command: cmd.PickupCall) -> dict[str, object]:
        dialog, caller_uri = self._blf.pickup_target(command.extension)
        return self._calls.pickup(command.call_id, caller_uri, dialog)

    def _shutdown(self, command: cmd.Shutdown) -> None:
        self._running = False

    def _note_request(self, message: bytes) -> None:
        self._refused_tap.note_request(message)
        self._calls.cancels.note_request(message)

    def _tap_log(self, text: str) -> None:
        self._blf.tap.offer(text)
        self._refused_tap.offer(text)

    def _sip_call_ids(self) -> list[str]:
        ids = []
        for call in self._calls.pj_calls():
            try:
                ids.append(str(call.getInfo().callIdString))
            except pj.Error:
                continue  # disconnected meanwhile: released on this turn
        return ids


def _log_to_file(config: EngineConfig) -> None:
    """Log to engine.log, rotated like softphone.log. pjlib prints to stdout before our log
    writer is installed; stdout belongs to the app (browser mode prints the URL line there),
    so this process's fd 1 goes to the log too (the handler keeps it there across rotation)."""
    level = logging.DEBUG if config.log_level >= 4 else logging.INFO
    fmt = "%(asctime)s %(levelname)s [engine:%(threadName)s] %(name)s: %(message)s"
    if config.log_file is None:
        logging.basicConfig(level=level, format=fmt)
        target = os.open(os.devnull, os.O_WRONLY)
        os.dup2(target, 1)
        os.close(target)
        return
    handler = StdoutFollowingHandler(config.log_file, follow_stdout=True)
    handler.setFormatter(logging.Formatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])


def engine_main(conn: Connection, config: EngineConfig) -> None:
    """Entry point of the engine process: run the engine, bridge the pipe to it."""
    _log_to_file(config)
    # Ctrl-C in a terminal reaches the whole process group: the app decides when the engine
    # stops (it sends Shutdown), so a SIGINT here must not kill calls mid-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    send_lock = threading.Lock()

    def emit(event: Event) -> None:
        with send_lock:
            conn.send(event)

    engine = Engine(config, emit)
    engine.start()
    wake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    wake.bind(("127.0.0.1", 0))  # else its first sendto binds it on every interface

    def read_commands() -> None:
        # Only reads the pipe and queues: this thread never touches pjsua2.
        while True:
            try:
                command = conn.recv()
            except (EOFError, OSError):
                command = cmd.Shutdown()  # the app is gone: stop cleanly
            engine.submit(command, wake)
            if isinstance(command, cmd.Shutdown):
                return

    reader = threading.Thread(target=read_commands, name="engine-pipe-reader", daemon=True)
    reader.start()
    try:
        engine.run()
    finally:
        wake.close()
        log.info("engine stopped")
