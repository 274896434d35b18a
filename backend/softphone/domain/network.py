"""Network settings of the account (ports, STUN, ICE, TURN, keep-alives) and call quality."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from softphone.domain.account import split_host_port
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event

# The documented default RTP range (docs/firewall.md): 100 ports, 2 per call (RTP + RTCP);
# the engine runs at most 4 calls, so this leaves room for ports other programs hold.
RTP_PORT_MIN = 40000
RTP_PORT_MAX = 40099
KEEPALIVE_DEFAULT = 15  # seconds; home routers drop idle UDP mappings after 30 s or more
NO_MEDIA_WARNING_SECONDS = 5  # no audio packet for this long during a call: the user is told


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """What the user may tune for firewalls and NAT; defaults work behind a typical NAT."""

    sip_port: int = 0  # 0: automatic (any free port)
    rtp_port_min: int = RTP_PORT_MIN
    rtp_port_max: int = RTP_PORT_MAX
    stun_server: str = ""  # host[:port]; empty: no STUN (the registrar's rport answer suffices)
    ice: bool = False
    turn_server: str = ""  # host[:port]; the password lives in the keyring
    turn_user: str = ""
    keepalive_seconds: int = KEEPALIVE_DEFAULT  # 0: off
    outbound_proxy: str = ""  # host[:port]
    sip_outbound: bool = True  # RFC 5626 (only used when the registrar supports it)

    def __post_init__(self) -> None:
        if self.sip_port != 0 and not 1024 <= self.sip_port <= 65535:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "sip_port")
        if not 1024 <= self.rtp_port_min <= 65534:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "rtp_port_min")
        # At least 8 ports: four calls with RTP and RTCP each.
        if not self.rtp_port_min + 7 <= self.rtp_port_max <= 65535:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "rtp_port_max")
        if not 0 <= self.keepalive_seconds <= 3600:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "keepalive_seconds")
        for name in ("stun_server", "turn_server", "outbound_proxy"):
            value = getattr(self, name)
            if value and not _valid_server(value):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
        if len(self.turn_user) > 128 or any(ord(c) < 32 for c in self.turn_user):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "turn_user")
        if self.turn_server and not self.turn_user:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "turn_user")

    @property
    def rtp_port_count(self) -> int:
        return self.rtp_port_max - self.rtp_port_min + 1

    @property
    def turn_secret_key(self) -> str:
        """The keyring entry of the TURN password."""
        return f"turn:{self.turn_user}@{self.turn_server}"


def _valid_server(value: str) -> bool:
    host, port = split_host_port(value)
    if not host or len(value) > 255 or any(c.isspace() or ord(c) < 32 for c in value):
        return False
    return port is None or 0 < port < 65536


def network_from_json(data: Any) -> NetworkSettings:
    """Build NetworkSettings from parsed JSON (settings file or wire); unknown keys refused."""
    if not isinstance(data, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "network")
    types = {f.name: f.type for f in fields(NetworkSettings)}
    for key, value in data.items():
        expected = {"int": int, "str": str, "bool": bool}.get(str(types.get(key)))
        if expected is None or type(value) is not expected:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, str(key)[:32])
    return NetworkSettings(**data)


@dataclass(frozen=True, slots=True)
class CallQuality:
    """One sample of a call's media statistics (from RTP/RTCP), as the engine measured it."""

    call_id: str
    codec: str
    rx_packets: int
    tx_packets: int
    loss_percent: float  # of the packets we should have received
    jitter_ms: float  # receive jitter
    rtt_ms: float | None  # round trip from RTCP; None until the first RTCP report
    remote_loss_percent: float  # what the far end reports losing of ours (RTCP RR)
    no_media_seconds: int  # seconds since the last received audio packet (0: flowing)
    local_address: str = ""  # where our media goes out from / is received on
    remote_address: str = ""  # where we send media (a TURN relay shows up here)
    # What receive jitter costs in delay: our jitter buffer's average (pjmedia's, since
    # the call began), the share of the mouth-to-ear delay that is ours to watch.
    jitter_buffer_ms: float = 0.0

    @property
    def level(self) -> str:
        """good / fair / poor, for the small indicator (thresholds of ITU-T G.107-ish rules)."""
        rtt = self.rtt_ms or 0.0
        if self.no_media_seconds or self.loss_percent >= 5 or self.jitter_ms >= 60 or rtt >= 600:
            return "poor"
        if self.loss_percent >= 1 or self.jitter_ms >= 30 or rtt >= 300:
            return "fair"
        return "good"


@dataclass(frozen=True, slots=True)
class CallQualityReported(Event):
    """The engine sampled a call's media statistics (about once a second while connected)."""

    quality: CallQuality


@dataclass(frozen=True, slots=True)
class LocalAddressChanged(Event):
    """The computer's interface addresses changed (another network): the engine re-registers."""

    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReregisteredAfterAddressChange(Event):
    """The registrar accepted us again after an address change, `elapsed_ms` after it."""

    elapsed_ms: int
