"""NAT traversal in pjsua2: account NAT settings, STUN, address changes."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pjsua2 as pj
import psutil  # type: ignore[import-untyped]

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.events import Event
from softphone.domain.network import (
    LocalAddressChanged,
    NetworkSettings,
    ReregisteredAfterAddressChange,
)
from softphone.domain.sip_instance import valid_instance_id

log = logging.getLogger(__name__)

ADDRESS_POLL_SECONDS = 2.0  # a laptop changing network is noticed within this (one syscall)
_PJ_TURN_PASSWORD_PLAIN = 0


def apply_account_nat(
    acfg: pj.AccountConfig,
    account: AccountConfig,
    network: NetworkSettings,
    turn_password: str,
    instance_id: str = "",
) -> None:
    """Fill the account's NAT, media-port and proxy settings from the user's choices."""
    nat = acfg.natConfig
    stun = pj.PJSUA_STUN_USE_DEFAULT if network.stun_server else pj.PJSUA_STUN_USE_DISABLED
    nat.sipStunUse = stun
    nat.mediaStunUse = stun
    # rport/received: the registrar's answer tells us our public address and port; pjsua puts
    # it into Contact and Via (and re-registers if it changes), and into the SDP, so the far
    # end sends media to the NAT and not to our private address. Symmetric RTP on the far end
    # (or the PBX) then corrects the port if the NAT changed it.
    nat.contactRewriteUse = 1
    nat.viaRewriteUse = 1
    nat.sdpNatRewriteUse = 1
    nat.contactUseSrcPort = 1
    nat.sipOutboundUse = 1 if network.sip_outbound else 0
    apply_instance_id(acfg, account, network, instance_id)
    nat.udpKaIntervalSec = network.keepalive_seconds
    # pjsua reaches TURN only through its ICE media transport: TURN implies ICE.
    nat.iceEnabled = network.ice or bool(network.turn_server)
    nat.turnEnabled = bool(network.turn_server)
    if network.turn_server:
        nat.turnServer = network.turn_server
        nat.turnConnType = pj.PJ_TURN_TP_UDP
        nat.turnUserName = network.turn_user
        nat.turnPasswordType = _PJ_TURN_PASSWORD_PLAIN
        nat.turnPassword = turn_password
    media = acfg.mediaConfig.transportConfig
    media.port = network.rtp_port_min
    media.portRange = network.rtp_port_count
    if network.outbound_proxy:
        # Every request goes to the outbound proxy first, whatever route the account adds.
        suffix = "" if account.transport is Transport.UDP else f";transport={account.transport}"
        scheme = "sips" if account.transport is Transport.TLS else "sip"
        proxies = pj.StringVector()
        proxies.append(f"{scheme}:{network.outbound_proxy};lr{suffix}")
        for proxy in acfg.sipConfig.proxies:
            proxies.append(proxy)
        acfg.sipConfig.proxies = proxies


def apply_instance_id(
    acfg: pj.AccountConfig, account: AccountConfig, network: NetworkSettings, instance_id: str
) -> None:
    """Register with a stable `+sip.instance`, so that the registrar replaces the binding of
    an earlier engine process of ours (crashed, killed, or on another port) instead of adding
    one next to it, and forks no call to a dead contact.

    pjsua's own RFC 5626 support applies to TCP and TLS only: there it sends `reg-id=1` and
    this instance, with `Supported: outbound` (never `Require`), and a registrar without
    outbound ignores the reg-id (RFC 5626 4.2). Elsewhere (UDP, or outbound turned off) the
    instance alone goes into the REGISTER's Contact (RFC 5627 style, no reg-id): registrars
    that know instances match on it, the others ignore an unknown Contact parameter.
    Known gap (pjsua 2.15.1, TCP/TLS with outbound on, a registrar without outbound): once
    pjsua rebuilds its Contact (a NAT rewrite, an address change) it leaves the instance out.
    """
    if not instance_id:
        return
    if not valid_instance_id(instance_id):  # it is written into a SIP header: no injection
        log.warning("invalid SIP instance id ignored")
        return
    acfg.natConfig.sipOutboundInstanceId = f"<{instance_id}>"
    if network.sip_outbound and account.transport is not Transport.UDP:
        return  # pjsua adds the instance itself (twice would be a malformed Contact)
    acfg.regConfig.contactParams = f';+sip.instance="<{instance_id}>"'


class StunServers:
    """The Endpoint's STUN server list follows the account's setting (resolved in background)."""

    def __init__(self, ep: pj.Endpoint) -> None:
        self._ep = ep
        self._current = ""

    def apply(self, server: str) -> None:
        if server == self._current:
            return
        servers = pj.StringVector()
        if server:
            servers.append(server)
        try:
            self._ep.natUpdateStunServers(servers, False)
            self._current = server
        except pj.Error as exc:
            log.warning("STUN server %s not usable: %s", server, exc.info())


def interface_addresses() -> frozenset[str]:
    """This computer's routable addresses (loopback and IPv6 link-local left out)."""
    found: set[str] = set()
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            text = addr.address.split("%", 1)[0]
            if text.startswith(("127.", "fe80:")) or text == "::1":
                continue
            found.add(text)
    return frozenset(found)


class AddressWatcher:
    """Notices an interface address change by polling (cheap: one getifaddrs every 2 s, on the
    engine thread), then has the SIP sockets follow the route to the PBX (`rebind`: True when
    it opened them on another address and signed in again) or else asks pjsua to restart its
    transports and re-register."""

    def __init__(
        self,
        ep: pj.Endpoint,
        emit: Callable[[Event], None],
        enabled: bool,
        rebind: Callable[[], bool] = lambda: False,
        read: Callable[[], frozenset[str]] = interface_addresses,
    ) -> None:
        self._ep = ep
        self._emit = emit
        self._rebind = rebind
        self._read = read
        self._enabled = enabled  # off when bound to one address: other changes do not matter
        self._addresses = read() if enabled else frozenset()
        self._next = time.monotonic() + ADDRESS_POLL_SECONDS
        self._changed_at: float | None = None

    def next_due(self) -> float | None:
        return self._next if self._enabled else None

    def poll(self, has_account: bool) -> None:
        if not self._enabled or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + ADDRESS_POLL_SECONDS
        addresses = self._read()
        if addresses == self._addresses:
            return
        log.info("local addresses changed: %s -> %s", sorted(self._addresses), sorted(addresses))
        self._addresses = addresses
        self._emit(LocalAddressChanged(tuple(sorted(addresses))))
        if not addresses or not has_account:
            return  # offline: pjsua's registration retries take over when a network returns
        self._changed_at = time.monotonic()
        if self._rebind():
            return
        try:
            self._ep.handleIpChange(pj.IpChangeParam())
        except pj.Error as exc:
            log.warning("IP change handling failed: %s", exc.info())
            self._changed_at = None

    def on_registered(self) -> None:
        """A 2xx to REGISTER: if it follows an address change, say how long it took."""
        if self._changed_at is None:
            return
        elapsed = int((time.monotonic() - self._changed_at) * 1000)
        self._changed_at = None
        log.info("re-registered %d ms after the address change", elapsed)
        self._emit(ReregisteredAfterAddressChange(elapsed))
