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
from softphone.domain.account import Registration, RegistrationState, Transport, split_host_port
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import EngineStarted, Event, RegistrationReported
from softphone.domain.voicemail import VoicemailReported, parse_message_summary
from softphone.engine import mapping
from softphone.engine.auth import AccountAuth, ChallengeOutcome
from softphone.engine.blf import EngineBlf
from softphone.engine.calls import EngineCalls
from softphone.engine.config import EngineConfig
from softphone.engine.media import configure_codecs
from softphone.engine.nat import AddressWatcher, StunServers, apply_account_nat
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.pj_adapters import PjAccount, PjLogWriter
from softphone.engine.refused_calls import RefusedCallReporter, RefusedInviteTap
from softphone.engine.request_filter import RequestFilter
from softphone.engine.router import CommandRouter
from softphone.engine.rx_data import RxDataReader
from softphone.engine.sip_guard import SipGuard
from softphone.engine.sip_transports import (
    Binding,
    SipTransports,
    first_hop,
    local_address_toward,
)
from softphone.engine.sound import BUSY_POLL_MS, EngineSound
from softphone.engine.stats import CallStats
from softphone.engine.tls import apply_account_security, registration_error

log = logging.getLogger(__name__)

# A CRLF keep-alive is ignored by pjsip but makes its poll return: how other threads wake
# the engine loop without it having to poll often (idle CPU).
_WAKE_PACKET = b"\r\n\r\n"
_IDLE_POLL_MS = 500
# Sign-out and quit wait at most this for the registrar to drop our binding (a REGISTER still
# in flight first, then the un-REGISTER and its digest challenge). The supervisor's stop waits
# a little longer than this, and the whole quit stays near 3 s on a registrar that is gone.
UNREGISTER_SECONDS = 2.0
_PJSIP_EBUSY = 171001  # pjsip_regc_send: "regc has another transaction pending"


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
        self._pbx_addresses = PbxAddresses()  # only these may send us requests (or anyone)
        self._request_filter = RequestFilter(
            rx_reader,
            self._pbx_addresses,
            lambda: {self._transports.sip_port, self._transports.wake_port},
        )
        self._account: PjAccount | None = None
        self._unregistering = False
        self._reg_reports = 0  # onRegState answers seen: tells when the un-REGISTER got its own
        self._sound = EngineSound(self._ep, config.sound, emit)
        self._calls = EngineCalls(
            self._ep, config, emit, lambda: self._account, self._sound.ensure_clock
        )
        self._blf = EngineBlf(emit, lambda: self._account, config.log_level)
        self._refused_tap = RefusedInviteTap()
        self._refused = RefusedCallReporter(self._refused_tap, emit)
        self._sip_guard.observer = self._note_request
        self._log_writer = PjLogWriter(config.log_level, self._tap_log)
        self._was_registered = False
        self._auth = AccountAuth(None, "")  # the credentials of the account, bound to a realm
        self._calls.on_policy(lambda _policy: self._publish_presence())
        self._running = False
        self._stats = CallStats(emit)
        self._stun = StunServers(self._ep)
        self._watcher: AddressWatcher | None = None
        self._last_account: cmd.ConfigureAccount | None = None  # to sign in again after a move
        self._commands_router = self._router()  # after every component that handles commands

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
            self._ep, self._emit, not self._config.bind_address, self._follow_pbx_route
        )
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
            self._refused.after_events(
                self._sip_call_ids, self._account.srtp if self._account else None
            )
            self._stats.sample(self._calls.pj_calls())
            self._auth.after_events(self._account)
            if self._watcher is not None:
                self._watcher.poll(self._account is not None)
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
        self._unregister(deadline)
        while time.monotonic() < deadline and self._calls:
            self._pump()
        self._calls.release_all()
        self._blf.release_all()
        if self._account is not None:
            self._account.shutdown()
            self._account = None
        gc.collect()  # no pj wrapper may outlive libDestroy (its destructor would assert)
        # NO_RX_MSG: do not wait for answers we no longer need (libDestroy sleeps 1 s otherwise).
        self._ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)

    def _pump(self) -> None:
        """One short turn of pjsip inside a wait (callbacks run; ended calls are released)."""
        self._ep.libHandleEvents(20)
        self._calls.release_ended()

    def _unregister(self, deadline: float) -> None:
        """Remove our binding at the registrar before the account goes, waiting until
        `deadline` at most. A REGISTER still in flight makes pjsua refuse the un-REGISTER
        (PJSIP_EBUSY) and leave the binding behind: wait for that one to end first. Then wait
        for the un-REGISTER's answer: the registrar challenges it, and pjsua can answer with
        the credentials only while the account still exists."""
        account = self._account
        if account is None:
            return
        self._unregistering = True
        started = time.monotonic()
        while True:
            try:
                account.setRegistration(False)
                break
            except pj.Error as exc:
                if exc.status != _PJSIP_EBUSY or time.monotonic() >= deadline:
                    log.info("no un-REGISTER sent: %s", exc.info())
                    return  # not registered (nothing to remove), or out of time
            self._pump()
        reports = self._reg_reports
        while self._reg_reports == reports and time.monotonic() < deadline:
            self._pump()
        waited = int((time.monotonic() - started) * 1000)
        if self._reg_reports == reports:
            log.warning("the registrar did not answer the un-REGISTER in %d ms", waited)
        else:
            log.info("un-REGISTER answered after %d ms", waited)

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
            completed = self._commands_router.run(command)
            if completed is not None:
                self._emit(completed)

    def _router(self) -> CommandRouter:
        router = CommandRouter()
        router.register(cmd.ConfigureAccount, self._configure_account)
        router.register(cmd.RemoveAccount, self._remove_account)
        router.register(cmd.Shutdown, self._shutdown)
        self._calls.register(router)
        self._blf.register(router)
        self._sound.register(router)
        router.register(cmd.PickupCall, self._pickup)
        router.register(cmd.Reregister, self._reregister)
        router.register(cmd.ReportModules, lambda _c: {"modules": sorted(sys.modules)})
        return router

    def _configure_account(self, command: cmd.ConfigureAccount) -> None:
        self._drop_account()
        account = command.account
        self._last_account = command
        port = command.network.sip_port or self._transports.sip_port
        self._transports.bind(Binding(self._pbx_facing_address(command), port))
        acfg = pj.AccountConfig()
        name = account.display_name.replace('"', "")
        acfg.idUri = f'"{name}" <{account.aor}>' if name else account.aor
        acfg.regConfig.registrarUri = account.registrar
        acfg.regConfig.timeoutSec = 300
        acfg.regConfig.retryIntervalSec = 30
        self._transports.tls.use(account.transport is Transport.TLS)
        transport_id = self._transports.id_of(account.transport)
        if transport_id is None:  # TLS could not start: never fall back
            failed = Registration(RegistrationState.FAILED, ErrorKey.TLS_FAILED)
            self._emit(RegistrationReported(failed))
            return
        acfg.sipConfig.transportId = transport_id
        apply_account_security(acfg, account)
        self._auth = AccountAuth(account, command.password, self._emit)
        self._auth.bind(acfg, account.auth_realm)
        # Every request goes through the PBX (calls to other servers too, when allowed): its
        # routing and its realm are the only ones we trust with the user's credentials.
        acfg.sipConfig.proxies.append(f"{account.registrar};lr")
        # Our DND reaches colleagues as PIDF presence (Kamailio's presence module keeps it);
        # pjsua sends the first PUBLISH once registered, with the status set below.
        acfg.presConfig.publishEnabled = True
        # Voicemail indicator: subscribe to our own message-summary (RFC 3842); a PBX that
        # refuses it can still send unsolicited NOTIFYs, which pjsua reports the same way.
        acfg.mwiConfig.enabled = True
        apply_account_nat(
            acfg, account, command.network, command.turn_password, command.instance_id
        )
        proxy_host = split_host_port(command.network.outbound_proxy)[0]
        self._pbx_addresses.set_hosts((account.host, proxy_host))
        self._request_filter.policy.accept_direct = account.accept_direct_calls
        self._stun.apply(command.network.stun_server)
        self._unregistering = False
        self._account = PjAccount(self)
        self._account.srtp = account.srtp
        self._account.dtmf_method = account.dtmf_method
        self._emit(RegistrationReported(Registration(RegistrationState.REGISTERING)))
        self._account.create(acfg, True)
        self._account.config = account
        self._account.auth = self._auth
        self._publish_presence()

    def _pbx_facing_address(self, command: cmd.ConfigureAccount) -> str:
        """The address SIP listens on: the user's choice, else the one that reaches the PBX,
        so that nothing arriving on another network (a VPN, a guest Wi-Fi) reaches the SIP
        stack at all; "" (every interface) when no route to the PBX is known."""
        if self._config.bind_address:
            return self._config.bind_address
        return local_address_toward(*first_hop(command.account, command.network))

    def _follow_pbx_route(self) -> bool:
        """After an address change: when the PBX is now reached from another local address,
        listen there and sign in again (calls end: their media went to the old address).
        False leaves the change to pjsua (the route to the PBX is unchanged)."""
        command = self._last_account
        if command is None or self._account is None:
            return False
        if self._pbx_facing_address(command) == self._transports.binding.address:
            return False
        log.info("the PBX is reached from another local address: SIP moves there")
        try:
            self._configure_account(command)
        except (pj.Error, SoftphoneError, RuntimeError) as exc:  # as a failed ConfigureAccount
            log.warning("signing in again from the new address failed: %s", exc)
        return True

    def _publish_presence(self) -> None:
        if self._account is None:
            return
        status = pj.PresenceStatus()
        status.status = pj.PJSUA_BUDDY_STATUS_ONLINE
        if self._calls.policy.dnd:
            # RPID activity "busy" plus a note: what other phones show as do-not-disturb.
            status.activity = pj.PJRPID_ACTIVITY_BUSY
            status.note = "dnd"
        else:
            status.activity = pj.PJRPID_ACTIVITY_UNKNOWN
            status.note = "online"
        try:
            self._account.setOnlineStatus(status)
        except pj.Error as exc:
            log.info("presence not published: %s", exc.info())

    def _remove_account(self, command: cmd.RemoveAccount) -> None:
        self._last_account = None
        self._pbx_addresses.set_hosts(())
        if self._drop_account():
            self._emit(RegistrationReported(Registration(RegistrationState.UNCONFIGURED)))

    def _drop_account(self) -> bool:
        if self._account is None:
            return False
        self._calls.hangup_all()
        self._blf.release_all(keep_list=True)
        self._was_registered = False  # the next account's registration subscribes again
        self._unregister(time.monotonic() + UNREGISTER_SECONDS)
        self._account.shutdown()
        self._account = None
        return True

    def _reregister(self, command: cmd.Reregister) -> None:
        if self._account is None:
            return
        if command.outage:
            self._was_registered = False  # the next 200 subscribes BLF again
        try:
            self._account.setRegistration(True)
        except pj.Error as exc:  # a REGISTER is already in flight: its retransmission will do
            log.info("re-register: %s", exc.info())

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

    # --- callbacks (called by the adapters on this thread) ----------------------------------

    def on_reg_state(self, code: int, active: bool) -> None:
        self._reg_reports += 1
        if self._unregistering:
            # The account is going (sign-out, another account, quit): a REGISTER that was in
            # flight or the un-REGISTER answered. Reporting it would tell the app about an
            # account it no longer has, or fail the sign-in of the next one.
            log.info("registrar answered %d while the account is being removed", code)
            return
        reg = mapping.registration(code, active, self._unregistering)
        tls_error = registration_error(self._account.last_reason if self._account else "")
        if tls_error is not None and reg.state is RegistrationState.FAILED:
            reg = Registration(RegistrationState.FAILED, tls_error, code)
        self._emit(RegistrationReported(reg))
        self._pbx_addresses.refresh()  # follow the registrar's DNS name to a new address
        registered = reg.state is RegistrationState.REGISTERED
        self._transports.tls.on_registrar_answer(code, tls_error)
        if registered and self._watcher is not None:
            self._watcher.on_registered()
        if registered and not self._was_registered:
            # First registration, or back after an outage (PBX restart, network): the PBX may
            # have forgotten our subscriptions, so make them again.
            self._blf.on_registered()
        self._was_registered = registered

    def on_reg_challenge(self, realms: list[str]) -> bool:
        """A 401/407 to our REGISTER; True when it is handled (signing in again, or failed
        with its own reason) and the generic failure must not be reported."""
        if self._unregistering:
            return False  # leaving: nothing to learn, the failure is reported as it is
        outcome = self._auth.on_registrar_challenge(realms)
        if outcome is ChallengeOutcome.FOREIGN_REALM:
            self._emit(
                RegistrationReported(
                    Registration(RegistrationState.FAILED, ErrorKey.FOREIGN_REALM, 401)
                )
            )
        return outcome is not ChallengeOutcome.FAILED

    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None:
        self._calls.on_incoming_call(pj_call_id, whole_msg)

    def on_mwi_info(self, whole_msg: str) -> None:
        body = whole_msg.replace("\r\n", "\n").partition("\n\n")[2]
        summary = parse_message_summary(body)
        if summary is None:
            log.info("message-summary NOTIFY without a valid body: ignored")
            return
        self._emit(VoicemailReported(summary))


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
