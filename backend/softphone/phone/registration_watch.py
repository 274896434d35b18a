"""Keeps a signed-in account registered through PBX restarts and network loss."""

from __future__ import annotations

import enum
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable

from softphone.domain import commands as cmd
from softphone.domain.account import (
    AccountConfig,
    Registration,
    RegistrationState,
    Transport,
    split_host_port,
)
from softphone.domain.errors import ErrorKey

log = logging.getLogger(__name__)

# A registration fails only when it expires (minutes), so the registrar is probed: an
# OPTIONS (UDP) or a connection (TCP/TLS) every PROBE_S while registered. 5 s finds a 10 s
# outage for sure; two small datagrams (UDP: the registrar, then our AOR through it, see
# _UNBOUND_CODES) every 5 s cost nothing measurable.
PROBE_S = 5.0
# While the PBX is away it is probed faster, so that it is re-registered with at once when
# it answers again (a cheap probe, not a REGISTER: no load on a PBX that is starting up).
OUTAGE_PROBE_S = 1.0
PROBE_TIMEOUT_S = 2.0
# A probe that times out may be one lost datagram: two in a row are an outage. A refused
# one (ICMP port unreachable, TCP RST) means nobody listens: at once.
TIMEOUTS_FOR_OUTAGE = 2
# REGISTER retries while the PBX is away, in seconds; the last one repeats.
BACKOFF_S = (2.0, 4.0, 8.0, 16.0, 30.0)
_DEFAULT_PORTS = {Transport.UDP: 5060, Transport.TCP: 5060, Transport.TLS: 5061}


class ProbeResult(enum.Enum):
    ANSWERED = "answered"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    # The registrar answers and, asked about our own address of record (UDP only), says it
    # still reaches us (BOUND: 200 from our phone) or knows no binding for it (UNBOUND).
    BOUND = "bound"
    UNBOUND = "unbound"


_REACHABLE = frozenset({ProbeResult.ANSWERED, ProbeResult.BOUND, ProbeResult.UNBOUND})
# A PBX that restarts between two probes (Kamailio keeps usrloc in memory) answers them
# all, yet has forgotten us: incoming calls get 480/404 until our next REGISTER refresh,
# minutes later. So the UDP probe also sends OPTIONS to our own AOR through the registrar
# (From a non-local domain, so it is routed, not challenged): with our binding it reaches
# our phone (pjsua answers 200); without it the registrar answers 404 or 480.
_UNBOUND_CODES = frozenset({404, 480})


Probe = Callable[[AccountConfig], ProbeResult]


def probe_registrar(account: AccountConfig, timeout: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Is someone answering at the registrar's address? Never raises."""
    host, port = _address(account)
    try:
        if account.transport is Transport.UDP:
            return _probe_udp(host, port, timeout, account.aor)
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult.ANSWERED
    except ConnectionRefusedError:
        return ProbeResult.REFUSED
    except (OSError, UnicodeError):  # timeout, unreachable network, DNS failure
        return ProbeResult.TIMEOUT


def _address(account: AccountConfig) -> tuple[str, int]:
    host, port = split_host_port(account.server)
    return host.strip("[]"), port or _DEFAULT_PORTS[account.transport]


def _probe_udp(host: str, port: int, timeout: float, aor: str | None = None) -> ProbeResult:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        # connect(): the kernel then reports an ICMP port unreachable as ECONNREFUSED.
        sock.connect((host, port))
        local_host, local_port = sock.getsockname()[:2]
        branch = "z9hG4bK" + secrets.token_hex(8)
        target = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        local = (
            f"[{local_host}]:{local_port}"
            if family == socket.AF_INET6
            else (f"{local_host}:{local_port}")
        )
        sock.send(_options(f"sip:{target}", local, branch, f"probe@{local}"))
        deadline = time.monotonic() + timeout
        # Any SIP response will do (100, 401, 404, 405 ...): someone is there.
        _response(sock, branch, deadline, final=False)
        if aor is None:
            return ProbeResult.ANSWERED
        # "invalid" (RFC 2606): a domain no PBX serves, so it does not ask us to authenticate.
        branch = "z9hG4bK" + secrets.token_hex(8)
        sock.send(_options(aor, local, branch, "registration-probe@invalid"))
        try:
            code = _response(sock, branch, time.monotonic() + timeout)
        except TimeoutError:  # our phone busy, or a PBX that drops it: nothing learnt
            return ProbeResult.ANSWERED
        if code == 200:
            return ProbeResult.BOUND
        # 401/407/403/405/...: this PBX does not route it to us; not a sign of anything.
        return ProbeResult.UNBOUND if code in _UNBOUND_CODES else ProbeResult.ANSWERED


def _options(uri: str, local: str, branch: str, sender: str) -> bytes:
    return (
        f"OPTIONS {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {local};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{sender}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <{uri}>\r\n"
        f"Call-ID: {secrets.token_hex(12)}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _response(sock: socket.socket, branch: str, deadline: float, *, final: bool = True) -> int:
    """The status code of the (final) response to the request sent with `branch`."""
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(4096)
        if data.startswith(b"SIP/2.0 ") and branch.encode() in data:
            code = int(data[8:11]) if data[8:11].isdigit() else 0
            if code >= 200 or code == 0 or not final:
                return code


class RegistrationWatch:
    """Probes the registrar of the signed-in account and re-registers after an outage.

    The registration shown meanwhile is "unregistered" with `server_unreachable`: the app
    is trying, the user did nothing wrong. Retries back off (BACKOFF_S) and are made at once
    when the PBX answers again. `interpret` sees every registration the engine reports.
    """

    def __init__(
        self,
        send: Callable[[cmd.EngineCommand], None],
        report: Callable[[Registration], None],
        probe: Probe = probe_registrar,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._report = report
        self._probe = probe
        self._clock = clock
        self._cond = threading.Condition()
        self._account: AccountConfig | None = None
        self._outage = False
        self._answered = False  # the probe got through during an outage: retry now
        self._reachable = False  # what the last probe during an outage said
        self._refused = False
        self._timeouts = 0
        self._bound_seen = False  # the AOR probe reached our phone since the last re-register
        self._attempt = 0
        self._next_probe = 0.0
        self._next_retry = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="registration-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(PROBE_TIMEOUT_S + 1.0)

    def watch(self, account: AccountConfig | None) -> None:
        """Keep `account` registered (None: an account being set up, or signed out)."""
        with self._cond:
            self._account = account
            self._outage = False
            self._timeouts = 0
            self._bound_seen = False
            self._attempt = 0
            self._next_probe = self._clock() + PROBE_S
            self._cond.notify_all()

    @property
    def in_outage(self) -> bool:
        with self._cond:
            return self._outage

    # --- what the engine reports ------------------------------------------------------------

    def interpret(self, registration: Registration) -> Registration:
        """The registration to show for one the engine reported."""
        with self._cond:
            if self._account is None:
                return registration
            if registration.state is RegistrationState.REGISTERED:
                if self._outage:
                    log.info("registered again after an outage")
                self._outage = False
                self._timeouts = 0
                self._attempt = 0
                self._next_probe = self._clock() + PROBE_S
                return registration
            if (
                registration.state is RegistrationState.FAILED
                and registration.error is ErrorKey.SERVER_UNREACHABLE
            ):
                # A REGISTER timed out or the PBX answered 5xx: a transient failure.
                self._begin_outage_locked()
                return Registration(
                    RegistrationState.UNREGISTERED, ErrorKey.SERVER_UNREACHABLE, registration.code
                )
            if registration.state is RegistrationState.FAILED:
                self._outage = False  # refused credentials: retrying would not help
            return registration

    # --- the probe loop ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                account, wait = self._account, self._wait_locked()
                if account is None or wait > 0:
                    self._cond.wait(wait if account is not None else None)
                    continue
                probe_due = self._clock() >= self._next_probe
            if probe_due:
                self._on_probe(account, self._probe(account))
            self._retry_if_due(account)

    def _wait_locked(self) -> float:
        due = self._next_probe
        if self._outage:
            due = min(due, self._next_retry)
        return max(0.0, due - self._clock())

    def _on_probe(self, account: AccountConfig, result: ProbeResult) -> None:
        with self._cond:
            if account != self._account:
                return  # signed out or switched while probing
            now = self._clock()
            if self._outage:
                self._next_probe = now + OUTAGE_PROBE_S
                reachable = result in _REACHABLE
                if reachable and not self._reachable:
                    # Once per return of the PBX: if REGISTER still fails, back off again.
                    self._answered = True
                    self._attempt = 0
                    self._next_retry = now  # immediately, below
                self._reachable = reachable
                self._refused = result is ProbeResult.REFUSED
                return
            self._next_probe = now + PROBE_S
            if result in _REACHABLE:
                self._timeouts = 0
                forgotten = result is ProbeResult.UNBOUND and self._bound_seen
                # Acts once per 200 seen: a PBX whose 404/480 means something else (or that
                # still says it after our REGISTER) does not get a REGISTER every PROBE_S.
                if result is ProbeResult.BOUND:
                    self._bound_seen = True
                elif forgotten:
                    self._bound_seen = False
                if not forgotten:
                    return
            else:
                self._timeouts += 1
                if result is ProbeResult.TIMEOUT and self._timeouts < TIMEOUTS_FOR_OUTAGE:
                    self._next_probe = now + OUTAGE_PROBE_S
                    return
                log.warning("the registrar does not answer (%s): not registered", result.value)
                self._begin_outage_locked()
        if result in _REACHABLE:
            # Not an outage to show: the PBX is there and takes a REGISTER at once.
            log.warning("the registrar no longer knows us (restarted?): registering again")
            self._reregister_now()
            return
        self._report(Registration(RegistrationState.UNREGISTERED, ErrorKey.SERVER_UNREACHABLE))

    def _begin_outage_locked(self) -> None:
        if self._outage:
            return
        now = self._clock()
        self._outage = True
        self._answered = False
        self._reachable = False
        self._refused = False
        self._attempt = 0
        self._next_retry = now + BACKOFF_S[0]
        self._next_probe = now + OUTAGE_PROBE_S
        self._cond.notify_all()

    def _retry_if_due(self, account: AccountConfig) -> None:
        with self._cond:
            now = self._clock()
            if not self._outage or account != self._account or now < self._next_retry:
                return
            # Attempt n happened BACKOFF_S[n] after the one before: 2, 4, 8, 16, 30, 30 ...
            self._attempt += 1
            delay = BACKOFF_S[min(self._attempt, len(BACKOFF_S) - 1)]
            self._next_retry = now + delay
            answered, self._answered = self._answered, False
            # Nobody listens (ICMP port unreachable, TCP RST): a REGISTER now would stay in
            # flight for 32 s (UDP), and its retransmissions, up to 4 s apart, would then be
            # what registers us when the PBX is back, instead of the immediate one below.
            if self._refused and not answered:
                return
        if answered:
            log.info("the registrar answers again: registering now")
        else:
            log.info("registering again (next try in %.0f s if this one fails)", delay)
        self._reregister_now()

    def _reregister_now(self) -> None:
        # outage=True: a PBX that lost us lost our BLF subscriptions too.
        try:
            self._send(cmd.Reregister(outage=True))
        except Exception:  # the engine is restarting: it registers by itself when back
            log.info("re-register not sent: engine unavailable")
