"""The SIP account the user signs in with, and its registration state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.errors import ErrorKey, SoftphoneError

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.?)+$|^\[[0-9A-Fa-f:.]+\]$")
_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]{1,64}$")


class Transport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class SrtpMode(StrEnum):
    """Media encryption (SRTP, keys exchanged in SDP: SDES) for the account's calls."""

    OFF = "off"  # plain RTP only
    OPTIONAL = "optional"  # encrypt when the other side accepts, else plain RTP
    MANDATORY = "mandatory"  # encrypted or no call (488); keys travel in SIP, so TLS only


class DtmfMethod(StrEnum):
    """How in-call digits are sent: RTP events (RFC 4733) or, for PBXs that need it, SIP INFO."""

    RFC4733 = "rfc4733"
    SIP_INFO = "sip_info"


class RegistrationState(StrEnum):
    UNCONFIGURED = "unconfigured"
    REGISTERING = "registering"
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """What identifies the account; the password is kept apart (OS keyring)."""

    server: str
    user: str
    auth_user: str = ""
    display_name: str = ""
    transport: Transport = Transport.UDP
    srtp: SrtpMode = SrtpMode.OFF
    dtmf_method: DtmfMethod = DtmfMethod.RFC4733
    # Digest credentials answer only this realm: set by the user, else the one the registrar
    # named in its first challenge (`learned_realm`, remembered by the app).
    realm: str = ""
    learned_realm: str = ""
    # Off: only URIs on the account's server are dialled (every call goes through the PBX).
    allow_direct_calls: bool = False
    # Off: the engine answers 403 to requests that do not come from the PBX's addresses
    # (spoofed caller IDs, SIP scanners); on: calls straight to this computer's IP ring too.
    accept_direct_calls: bool = False

    def __post_init__(self) -> None:
        host, port = split_host_port(self.server)
        if not host or not _HOST.match(host) or (port is not None and not 0 < port < 65536):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "server")
        if not _USER.match(self.user):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "user")
        if self.auth_user and not _USER.match(self.auth_user):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "auth_user")
        if len(self.display_name) > 64 or any(ord(c) < 32 or c == '"' for c in self.display_name):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "display_name")
        if self.srtp is SrtpMode.MANDATORY and self.transport is not Transport.TLS:
            # SDES keys are in the SDP: over UDP/TCP anyone on the path reads them.
            raise SoftphoneError(ErrorKey.SRTP_NEEDS_TLS, "srtp")
        for name in ("realm", "learned_realm"):
            realm = getattr(self, name)
            if len(realm) > 128 or any(not 32 <= ord(c) < 127 or c in '"\\' for c in realm):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)

    @property
    def auth_realm(self) -> str:
        """The realm credentials are bound to ("" until the registrar has named one)."""
        return self.realm or self.learned_realm

    @property
    def host(self) -> str:
        return split_host_port(self.server)[0]

    @property
    def domain(self) -> str:
        """The SIP domain for addresses of record and dialled numbers (server with its port)."""
        return self.server

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    @property
    def registrar(self) -> str:
        suffix = "" if self.transport is Transport.UDP else f";transport={self.transport.value}"
        scheme = "sips" if self.transport is Transport.TLS else "sip"
        return f"{scheme}:{self.server}{suffix}"


@dataclass(frozen=True, slots=True)
class Registration:
    """What the registrar last said: state, and why it failed when it did."""

    state: RegistrationState
    error: ErrorKey | None = None
    code: int | None = None


def split_host_port(server: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` -> (host, port or None)."""
    server = server.strip()
    if server.startswith("["):
        host, _, rest = server.partition("]")
        host += "]"
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = server.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit():
        return "", None
    return host, int(port_text)
