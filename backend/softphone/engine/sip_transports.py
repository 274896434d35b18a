"""The endpoint's transports: UDP and TCP (made again on another port or local address), TLS,
and the loopback one that wakes the engine loop."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass

import pjsua2 as pj

from softphone.domain.account import AccountConfig, Transport, split_host_port
from softphone.domain.network import NetworkSettings
from softphone.engine import mapping
from softphone.engine.config import EngineConfig
from softphone.engine.tls import TlsListener, no_delay

log = logging.getLogger(__name__)

_KINDS = ((Transport.UDP, pj.PJSIP_TRANSPORT_UDP), (Transport.TCP, pj.PJSIP_TRANSPORT_TCP))
_SIP_PORT = 5060
_RELEASE_SECONDS = 1.0
_ANY_PORT_ATTEMPTS = 5


@dataclass(frozen=True)
class Binding:
    """Where the UDP and TCP transports listen: `address` "" is every interface."""

    address: str
    port: int


class SipTransports:
    """Every transport of the endpoint: UDP and TCP on one binding, the TLS listener, and
    the loopback UDP transport other threads send a packet to, to wake the engine loop."""

    def __init__(self, ep: pj.Endpoint, config: EngineConfig) -> None:
        self._ep = ep
        self._config = config
        self._ids: dict[Transport, int] = {}  # UDP and TCP
        self.tls = TlsListener(ep, config)
        self.binding = Binding(config.bind_address, 0)  # port 0: not open yet
        self.wake_port = 0
        self._wake_id: int | None = None

    @property
    def sip_port(self) -> int:
        return self.binding.port

    def open(self) -> None:
        start = Binding(self._config.bind_address, self._config.sip_port)
        try:
            port = create_sip_transports(self._ep, self._ids, start, self._config.public_address)
        except pj.Error as exc:
            if not start.port:
                raise
            # The user's port is taken: any port, as rebind_sip_transports does, rather
            # than an engine that cannot start (and would be restarted into the same wall).
            log.warning("SIP port %d not opened (%s): any port instead", start.port, exc.info())
            _close(self._ep, self._ids)
            start = Binding(start.address, 0)
            port = create_sip_transports(self._ep, self._ids, start, self._config.public_address)
        self.binding = Binding(start.address, port)
        self.tls.open()
        self._open_wake()

    def id_of(self, transport: Transport) -> int | None:
        """The transport an account of that kind signs in through; None: it could not start."""
        if transport is Transport.TLS:
            return self.tls.id
        return self._ids.get(transport)

    def bind(self, wanted: Binding) -> None:
        """Listen for UDP and TCP on `wanted` (or as near as rebind_sip_transports gets)."""
        if wanted == self.binding:
            return
        self.binding = rebind_sip_transports(
            self._ep, self._ids, self.binding, wanted, self._config.public_address
        )
        # pjsip sends a request that has no transport of its own (pjsua's PUBLISH) through
        # the first open UDP transport in the order they were made: that must stay the SIP
        # one, not the loopback wake-up one (a PUBLISH to the PBX failed with EINVAL, seen).
        self._open_wake()

    def _open_wake(self) -> None:
        wake = pj.TransportConfig()
        wake.port = 0
        wake.boundAddress = "127.0.0.1"
        old = self._wake_id
        self._wake_id = self._ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, wake)
        self.wake_port = int(self._ep.transportGetInfo(self._wake_id).localName.rsplit(":", 1)[1])
        if old is not None:
            self._ep.transportClose(old)  # after the new port is known: no wake-up is lost


def create_sip_transports(
    ep: pj.Endpoint, transports: dict[Transport, int], binding: Binding, public_address: str
) -> int:
    """Open UDP then TCP on `binding` (port 0: any free port, TCP then takes UDP's).
    Returns the port."""
    if binding.port:
        return _create_on_port(ep, transports, binding, public_address)
    for attempt in range(_ANY_PORT_ATTEMPTS):
        try:
            return _create_on_port(ep, transports, binding, public_address)
        except pj.Error as exc:
            # The free UDP port the kernel gave may be taken for TCP (another program's
            # connection or listener): the engine died at start on it (seen). Another one.
            _close(ep, transports)
            if exc.status != mapping.PJ_EADDRINUSE or attempt == _ANY_PORT_ATTEMPTS - 1:
                raise
            log.info("SIP port taken for TCP: another one")
    raise AssertionError("unreachable")


def _create_on_port(
    ep: pj.Endpoint, transports: dict[Transport, int], binding: Binding, public_address: str
) -> int:
    port = binding.port
    for transport, kind in _KINDS:
        tcfg = pj.TransportConfig()
        tcfg.port = port
        tcfg.boundAddress = binding.address
        if public_address:
            tcfg.publicAddress = public_address
        if transport is Transport.TCP:
            tcfg.sockOptParams = no_delay()  # Nagle delayed call setup (see tls.py)
        transports[transport] = ep.transportCreate(kind, tcfg)
        if not port:
            port = int(ep.transportGetInfo(transports[transport]).localName.rsplit(":", 1)[1])
    return port


def rebind_sip_transports(
    ep: pj.Endpoint,
    transports: dict[Transport, int],
    old: Binding,
    new: Binding,
    public_address: str,
) -> Binding:
    """Close the UDP and TCP transports and open them on `new` (no account uses them at this
    point). Returns the binding now used: when `new` cannot be opened, the same address on
    any port, else every interface on any port: never no transport at all."""
    _close(ep, transports)
    for binding in (new, Binding(new.address, 0), Binding("", 0)):
        try:
            port = _create_when_released(ep, transports, binding, public_address)
            if binding != new:
                log.warning("SIP transports not opened on %s: on %s instead", new, binding)
            log.info("SIP transports on %s:%d (were %s)", binding.address or "*", port, old)
            return Binding(binding.address, port)
        except pj.Error as exc:
            log.warning("SIP transports not opened on %s: %s", binding, exc.info())
            _close(ep, transports)
    raise RuntimeError("no SIP transport could be opened")


def _create_when_released(
    ep: pj.Endpoint, transports: dict[Transport, int], binding: Binding, public_address: str
) -> int:
    """pjsip destroys a closed transport on a later turn of its event loop (once nothing
    holds it), so its port is busy for a moment: try again meanwhile, for up to a second."""
    deadline = time.monotonic() + _RELEASE_SECONDS
    while binding.port and not _udp_port_free(binding) and time.monotonic() < deadline:
        ep.libHandleEvents(10)  # quietly, rather than through pjsip's bind() error log
    while True:
        try:
            return create_sip_transports(ep, transports, binding, public_address)
        except pj.Error as exc:
            _close(ep, transports)
            if exc.status != mapping.PJ_EADDRINUSE or time.monotonic() > deadline:
                raise
            ep.libHandleEvents(10)


def _udp_port_free(binding: Binding) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((binding.address or "0.0.0.0", binding.port))
        except OSError:
            return False
    return True


def _close(ep: pj.Endpoint, transports: dict[Transport, int]) -> None:
    for transport, _kind in _KINDS:
        if transport in transports:
            ep.transportClose(transports.pop(transport))


def first_hop(account: AccountConfig, network: NetworkSettings) -> tuple[str, int]:
    """The host and port every request of the account is sent to first."""
    host, port = split_host_port(network.outbound_proxy or account.server)
    return host, port or _SIP_PORT


def local_address_toward(host: str, port: int) -> str:
    """This computer's IPv4 address that the kernel's routes reach `host` from, or "" when
    there is none (a name that does not resolve, no route, an IPv6-only PBX).

    Resolving may block on DNS like pjsip's own resolution of the same name when it sends
    the REGISTER a moment later on this thread (no DNS resolver is configured in pjsua).
    Connecting a UDP socket sends nothing: it only asks the kernel for the route.
    """
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(infos[0][4])
            return str(probe.getsockname()[0])
    except (OSError, UnicodeError, IndexError) as exc:
        log.info("no local address toward %s (%s): SIP stays on every interface", host, exc)
        return ""
