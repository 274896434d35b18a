"""DNS look-ups of sign-in: the provisioning URL (TXT/SRV) and the SIP server (RFC 3263)."""

from __future__ import annotations

import ipaddress
import logging
import os
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from softphone.domain.account import Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.provisioning.defaults import ENV_DNS_SERVER

# dnspython (~8 MiB, 7.8 measured alone) is imported by the first look-up, not at the app's
# start: only an e-mail sign-in without a provisioning URL looks anything up (issue 21).
if TYPE_CHECKING:
    import dns.resolver

log = logging.getLogger(__name__)

LIFETIME = 5.0  # seconds for one look-up, all servers and retries included
PROVISIONING_SRV = "_softphone-provisioning._tcp"
PROVISIONING_TXT = "_softphone-provisioning"
MAX_URL = 2048
# RFC 3263 4.1: NAPTR services we can use, best first when the domain states no order.
_NAPTR_SERVICES = {"SIPS+D2T": Transport.TLS, "SIP+D2T": Transport.TCP, "SIP+D2U": Transport.UDP}
_DEFAULT_SRV = (
    ("_sips._tcp", Transport.TLS),
    ("_sip._tcp", Transport.TCP),
    ("_sip._udp", Transport.UDP),
)


@dataclass(frozen=True, slots=True)
class SipTarget:
    """Where to register: `server` as AccountConfig takes it (host or address, and port)."""

    server: str
    transport: Transport


def make_resolver(server: str | None = None) -> dns.resolver.Resolver:
    """The system's resolvers, or `ip[:port]` from SOFTPHONE_DNS_SERVER (tests, odd networks)."""
    import dns.resolver

    server = server if server is not None else os.environ.get(ENV_DNS_SERVER, "")
    if not server:
        resolver = dns.resolver.Resolver()
    else:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        try:
            ipaddress.ip_address(host)
            port_number = int(port) if port else 53
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, ENV_DNS_SERVER) from exc
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port_number
    resolver.lifetime = LIFETIME
    return resolver


def custom_resolver() -> bool:
    return bool(os.environ.get(ENV_DNS_SERVER))


def _query(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> list[Any]:
    """Records, or [] when the name or type does not exist; SERVFAIL/timeouts are raised."""
    import dns.exception
    import dns.resolver

    try:
        return list(resolver.resolve(name, rdtype, search=False))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.resolver.NoNameservers as exc:
        log.info("DNS: no server answered for %s %s", name, rdtype)
        raise SoftphoneError(ErrorKey.NO_SIP_SERVER) from exc
    except (dns.exception.Timeout, dns.exception.DNSException, ValueError) as exc:
        log.info("DNS look-up of %s %s failed: %s", name, rdtype, type(exc).__name__)
        raise SoftphoneError(ErrorKey.NO_SIP_SERVER) from exc


def _host(name: Any) -> str:
    return str(name.to_text(omit_final_dot=True))


def provisioning_url_from_dns(domain: str, resolver: dns.resolver.Resolver) -> str:
    """The URL a domain publishes (TXT wins over SRV); "" when it publishes none."""
    try:
        txts = _query(resolver, f"{PROVISIONING_TXT}.{domain}", "TXT")
        srvs = [] if txts else _query(resolver, f"{PROVISIONING_SRV}.{domain}", "SRV")
    except SoftphoneError:
        return ""  # a broken DNS means "no provisioning": the RFC 3263 look-up says more
    for txt in txts:
        text = b"".join(txt.strings).decode("ascii", "replace").strip()
        if text.startswith("https://") and len(text) <= MAX_URL:
            return text
    for srv in sorted(srvs, key=lambda r: (r.priority, -r.weight)):
        host = _host(srv.target)
        if host and host != ".":
            return f"https://{host}:{srv.port}/softphone/{{email}}.json"
    return ""


def locate_sip_server(domain: str, resolver: dns.resolver.Resolver) -> SipTarget:
    """RFC 3263: NAPTR, then SRV, then the domain's own address; NO_SIP_SERVER if nothing."""
    srv_names: list[tuple[str, Transport]] = []
    naptrs = _query(resolver, domain, "NAPTR")
    for rec in sorted(naptrs, key=lambda r: (r.order, r.preference)):
        service = rec.service.decode("ascii", "replace").upper()
        if rec.flags.decode("ascii", "replace").lower() == "s" and service in _NAPTR_SERVICES:
            srv_names.append((_host(rec.replacement), _NAPTR_SERVICES[service]))
    if not naptrs:
        srv_names = [(f"{prefix}.{domain}", transport) for prefix, transport in _DEFAULT_SRV]
    for name, transport in srv_names:
        records = _query(resolver, name, "SRV")
        for srv in _srv_order(records):
            host = _host(srv.target)
            if not host or host == ".":
                continue  # "." : the service is decidedly not available here (RFC 2782)
            return SipTarget(_server(host, srv.port, transport, resolver), transport)
    if _has_address(resolver, domain):
        return SipTarget(_server(domain, None, Transport.UDP, resolver), Transport.UDP)
    raise SoftphoneError(ErrorKey.NO_SIP_SERVER)


def _has_address(resolver: dns.resolver.Resolver, domain: str) -> bool:
    for rdtype in ("A", "AAAA"):
        try:
            if _query(resolver, domain, rdtype):
                return True
        except SoftphoneError:
            continue  # REFUSED/SERVFAIL for one type: try the other, then give up
    return False


def _srv_order(records: list[Any]) -> list[Any]:
    """RFC 2782: lowest priority first, weighted random choice within one priority."""
    out: list[Any] = []
    for priority in sorted({r.priority for r in records}):
        group = [r for r in records if r.priority == priority]
        while group:
            total = sum(r.weight for r in group)
            pick = random.uniform(0, total) if total else 0
            for rec in group:
                pick -= rec.weight
                if pick <= 0:
                    break
            group.remove(rec)
            out.append(rec)
    return out


def _server(host: str, port: int | None, transport: Transport, resolver: Any) -> str:
    """host:port for AccountConfig. With a test resolver the system cannot resolve the name,
    so UDP/TCP targets become addresses; TLS keeps the name its certificate is checked for."""
    if custom_resolver() and transport is not Transport.TLS:
        for rdtype in ("A", "AAAA"):
            addresses = _query(resolver, host, rdtype)
            if addresses:
                address = addresses[0].to_text()
                host = f"[{address}]" if rdtype == "AAAA" else address
                break
    return f"{host}:{port}" if port else host
