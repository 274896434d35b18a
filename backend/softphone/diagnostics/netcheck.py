"""The network check: PBX reachability per transport, round trip, STUN, TURN, RTP port range."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from enum import StrEnum

from softphone.domain.account import AccountConfig, Transport, split_host_port
from softphone.domain.network import NetworkSettings

log = logging.getLogger(__name__)

TIMEOUT = 2.0  # per probe; a PBX farther than this away is unusable for calls anyway
_STUN_MAGIC = 0x2112A442
_STUN_BINDING = 0x0001
_TURN_ALLOCATE = 0x0003
_ATTR_MAPPED = 0x0001
_ATTR_XOR_MAPPED = 0x0020
_ATTR_REQUESTED_TRANSPORT = 0x0019
_ATTR_ERROR_CODE = 0x0009


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report. `check` and `problem` are keys the frontend translates;
    `params` fills the sentence (host, port, milliseconds...)."""

    check: str
    status: Status
    problem: str = ""
    params: dict[str, str | int | float] = field(default_factory=dict)


def run_network_check(
    account: AccountConfig, network: NetworkSettings, tls_ca_file: str | None = None
) -> list[CheckResult]:
    """Every probe, in the order the user reads them. Blocking (seconds): run off the UI path."""
    host, port = split_host_port(account.server)
    host = host.strip("[]")
    results = []
    for transport in Transport:
        results.append(
            check_pbx(
                host,
                _probe_port(port, transport, account.transport),
                transport,
                transport is account.transport,
                account,
                tls_ca_file,
            )
        )
    results.append(check_stun(network.stun_server))
    results.append(check_turn(network.turn_server))
    results.append(check_rtp_ports(network.rtp_port_min, network.rtp_port_max))
    return results


def _probe_port(port: int | None, transport: Transport, own: Transport) -> int:
    """The server field's port belongs to the account's transport (UDP and TCP share one, as
    SIP servers do); other transports are probed on their standard ports."""
    default = 5061 if transport is Transport.TLS else 5060
    if port is None:
        return default
    same_kind = (transport is Transport.TLS) == (own is Transport.TLS)
    return port if same_kind else default


def _options(
    host: str, port: int, transport: Transport, local: tuple[str, int], account: AccountConfig
) -> bytes:
    branch = "z9hG4bK" + secrets.token_hex(8)
    via_proto = transport.value.upper()
    scheme = "sips" if transport is Transport.TLS else "sip"
    return (
        f"OPTIONS {scheme}:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/{via_proto} {local[0]}:{local[1]};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <{scheme}:{account.user}@{account.domain}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <{scheme}:{host}:{port}>\r\n"
        f"Call-ID: {secrets.token_hex(12)}@netcheck\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Accept: application/sdp\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def check_pbx(  # noqa: PLR0917 (one probe, all of it spelled out)
    host: str,
    port: int,
    transport: Transport,
    in_use: bool,
    account: AccountConfig,
    tls_ca_file: str | None = None,
) -> CheckResult:
    """OPTIONS over one transport; any SIP answer means reachable (401/403/405 included)."""
    name = f"pbx_{transport.value}"
    params: dict[str, str | int | float] = {
        "host": host,
        "port": port,
        "transport": transport.value.upper(),
    }
    try:
        family, kind = (
            _family(host),
            socket.SOCK_DGRAM if transport is Transport.UDP else socket.SOCK_STREAM,
        )
        started = time.monotonic()
        with socket.socket(family, kind) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect((host, port))
            if transport is Transport.TLS:
                context = ssl.create_default_context(cafile=tls_ca_file)
                context.check_hostname = False  # the PBX check is about reachability;
                context.verify_mode = ssl.CERT_NONE  # trust is checked when signing in
                with context.wrap_socket(sock, server_hostname=host) as tls:
                    reply = _exchange(tls, host, port, transport, account, stream=True)
            else:
                reply = _exchange(
                    sock, host, port, transport, account, stream=transport is not Transport.UDP
                )
        rtt = round((time.monotonic() - started) * 1000, 1)
    except TimeoutError:
        return _pbx_failure(name, in_use, "no_answer", params)
    except ConnectionRefusedError:
        return _pbx_failure(name, in_use, "refused", params)
    except ssl.SSLError:
        return _pbx_failure(name, in_use, "tls_handshake", params)
    except OSError as exc:
        log.info("network check %s: %s", name, exc)
        return _pbx_failure(name, in_use, "unreachable", params)
    if not reply.startswith(b"SIP/2.0 "):
        return _pbx_failure(name, in_use, "not_sip", params)
    params["rtt_ms"] = rtt
    if rtt > 300:
        return CheckResult(name, Status.WARNING, "slow", params)
    return CheckResult(name, Status.OK, "", params)


def _exchange(
    sock: socket.socket,
    host: str,
    port: int,
    transport: Transport,
    account: AccountConfig,
    *,
    stream: bool,
) -> bytes:
    local = sock.getsockname()[:2]
    sock.sendall(_options(host, port, transport, local, account))
    if not stream:
        return sock.recv(65535)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65535:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _pbx_failure(
    name: str, in_use: bool, problem: str, params: dict[str, str | int | float]
) -> CheckResult:
    # Only the account's own transport is an error; the others tell what would work instead.
    return CheckResult(name, Status.ERROR if in_use else Status.WARNING, problem, params)


def _family(host: str) -> socket.AddressFamily:
    return socket.getaddrinfo(host, None)[0][0]


def _stun_request(kind: int, attrs: bytes = b"") -> tuple[bytes, bytes]:
    tid = os.urandom(12)
    return struct.pack("!HHI", kind, len(attrs), _STUN_MAGIC) + tid + attrs, tid


def _stun_attrs(data: bytes) -> dict[int, bytes]:
    attrs: dict[int, bytes] = {}
    pos = 20
    while pos + 4 <= len(data):
        kind, length = struct.unpack_from("!HH", data, pos)
        attrs.setdefault(kind, data[pos + 4 : pos + 4 + length])
        pos += 4 + length + (-length % 4)
    return attrs


def _mapped_address(attrs: dict[int, bytes]) -> tuple[str, int] | None:
    if _ATTR_XOR_MAPPED in attrs:
        value = attrs[_ATTR_XOR_MAPPED]
        port = struct.unpack_from("!H", value, 2)[0] ^ (_STUN_MAGIC >> 16)
        if value[1] == 0x01:
            raw = struct.unpack_from("!I", value, 4)[0] ^ _STUN_MAGIC
            return socket.inet_ntoa(struct.pack("!I", raw)), port
    if _ATTR_MAPPED in attrs and attrs[_ATTR_MAPPED][1] == 0x01:
        value = attrs[_ATTR_MAPPED]
        return socket.inet_ntoa(value[4:8]), struct.unpack_from("!H", value, 2)[0]
    return None


def _stun_transaction(server: str, kind: int, attrs: bytes = b"") -> tuple[bytes, str, float]:
    host, port = split_host_port(server)
    request, tid = _stun_request(kind, attrs)
    with socket.socket(_family(host.strip("[]")), socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT / 2)
        sock.connect((host.strip("[]"), port or 3478))
        started = time.monotonic()
        for _attempt in range(2):  # UDP: one retransmission
            sock.send(request)
            with contextlib.suppress(TimeoutError):
                while True:
                    data = sock.recv(2048)
                    if data[8:20] == tid:
                        rtt = round((time.monotonic() - started) * 1000, 1)
                        return data, sock.getsockname()[0], rtt
    raise TimeoutError


def check_stun(server: str) -> CheckResult:
    """Our public address as a STUN server sees it; NAT if it differs from the local one."""
    if not server:
        return CheckResult("stun", Status.SKIPPED, "not_configured")
    params: dict[str, str | int | float] = {"server": server}
    try:
        data, local_ip, rtt = _stun_transaction(server, _STUN_BINDING)
    except (OSError, TimeoutError):
        return CheckResult("stun", Status.WARNING, "no_answer", params)
    mapped = _mapped_address(_stun_attrs(data))
    if mapped is None:
        return CheckResult("stun", Status.WARNING, "not_stun", params)
    params.update(public_address=mapped[0], local_address=local_ip, rtt_ms=rtt)
    return CheckResult("stun", Status.OK, "behind_nat" if mapped[0] != local_ip else "", params)


def check_turn(server: str) -> CheckResult:
    """An unauthenticated Allocate: a TURN server answers 401 (asking for credentials)."""
    if not server:
        return CheckResult("turn", Status.SKIPPED, "not_configured")
    params: dict[str, str | int | float] = {"server": server}
    udp = struct.pack("!HHB3x", _ATTR_REQUESTED_TRANSPORT, 4, 17)
    try:
        data, _local, rtt = _stun_transaction(server, _TURN_ALLOCATE, udp)
    except (OSError, TimeoutError):
        return CheckResult("turn", Status.ERROR, "no_answer", params)
    error = _stun_attrs(data).get(_ATTR_ERROR_CODE)
    code = error[2] * 100 + error[3] if error and len(error) >= 4 else 0
    params["rtt_ms"] = rtt
    if code == 401 or struct.unpack_from("!H", data)[0] == 0x0103:
        return CheckResult("turn", Status.OK, "", params)
    return CheckResult("turn", Status.WARNING, "not_turn", params)


def check_rtp_ports(first: int, last: int) -> CheckResult:
    """Can we bind the RTP range here? (A local firewall or another program may hold it.)"""
    params: dict[str, str | int | float] = {"first": first, "last": last}
    busy = []
    for port in range(first, last + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("0.0.0.0", port))  # media arrives on every interface
            except OSError:
                busy.append(port)
    params["busy"] = len(busy)
    params["total"] = last - first + 1
    if len(busy) == last - first + 1:
        return CheckResult("rtp_ports", Status.ERROR, "all_busy", params)
    # Four calls need eight ports; fewer free than that is worth a warning.
    if (last - first + 1) - len(busy) < 8:
        return CheckResult("rtp_ports", Status.WARNING, "mostly_busy", params)
    return CheckResult("rtp_ports", Status.OK, "", params)
