"""TLS signalling and SRTP media for the engine: the TLS transport and account security."""

from __future__ import annotations

import hashlib
import logging
import socket
from pathlib import Path

import pjsua2 as pj

from softphone.domain.account import AccountConfig, SrtpMode, Transport
from softphone.domain.calls import EndReason
from softphone.domain.errors import ErrorKey
from softphone.engine.config import EngineConfig
from softphone.settings.ca_bundle import system_ca_file

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_MS = 5000

_SRTP_USE = {
    SrtpMode.OFF: pj.PJMEDIA_SRTP_DISABLED,
    SrtpMode.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpMode.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}


def create_tls_transport(ep: pj.Endpoint, config: EngineConfig) -> int | None:
    """A TLS client/listener that verifies the server against `config.tls_ca_file`.

    OpenSSL reads the CA file for every new connection, so the app can rewrite it (a newly
    trusted certificate) without restarting the engine. Returns None if TLS cannot start:
    UDP/TCP accounts must keep working then, TLS accounts fail with `tls_failed`.
    """
    tcfg = pj.TransportConfig()
    # Next to the UDP/TCP port (5060 -> 5061, the usual pair) when that is fixed; else any.
    tcfg.port = config.sip_port + 1 if config.sip_port else 0
    tcfg.boundAddress = config.bind_address
    if config.public_address:
        tcfg.publicAddress = config.public_address
    tls = tcfg.tlsConfig
    tls.method = pj.PJSIP_TLSV1_2_METHOD  # the wheel's OpenSSL 1.0.2k has no TLS 1.3
    tls.verifyServer = config.tls_verify_server
    tls.verifyClient = False
    # A server that accepts TCP but never speaks TLS (a plain SIP port) held the handshake,
    # and the REGISTER with it, until the sign-in timed out: fail it well before.
    tls.msecTimeout = HANDSHAKE_TIMEOUT_MS
    tls.CaListFile = str(config.tls_ca_file) if config.tls_ca_file else system_ca_file()
    tls.sockOptParams = no_delay()
    try:
        return int(ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tcfg))
    except pj.Error as exc:
        log.warning("no TLS transport: %s", exc.info())
        return None


def ca_bundle_digest(config: EngineConfig) -> str:
    """A digest of the CA file TLS verifies with ("" when unreadable): tells when it changed."""
    if not config.tls_ca_file:
        return ""
    try:
        return hashlib.sha256(Path(config.tls_ca_file).read_bytes()).hexdigest()
    except OSError:
        return ""


def no_delay() -> pj.SockOptParams:
    """TCP_NODELAY: after a 407 the ACK and the authenticated INVITE leave back to back, and
    Nagle held the INVITE for the PBX's delayed ACK (+40 ms on every call setup, measured)."""
    opt = pj.SockOpt()
    opt.level = socket.IPPROTO_TCP
    opt.optName = socket.TCP_NODELAY
    opt.setOptValInt(1)
    params = pj.SockOptParams()
    params.sockOpts.append(opt)
    return params


def apply_account_security(acfg: pj.AccountConfig, account: AccountConfig) -> None:
    """SRTP mode; mandatory SRTP also requires a TLS hop for the SDP that carries the keys."""
    media = acfg.mediaConfig
    media.srtpUse = _SRTP_USE[account.srtp]
    # 1: pjsua refuses SRTP calls whose signalling is not TLS on the first hop. Only with
    # mandatory: "optional" means best effort and must not make a call fail.
    media.srtpSecureSignaling = 1 if account.srtp is SrtpMode.MANDATORY else 0
    if account.transport is Transport.TLS:
        # Keep-alives over the TLS connection: the PBX reaches us only through it.
        acfg.natConfig.tcpKeepAliveInterval = 30


def registration_error(reason: str) -> ErrorKey | None:
    """A TLS failure behind a REGISTER that got no answer (pjsip reports it as 503)."""
    if "ECERTVERIF" in reason or "certificate verification" in reason.lower():
        return ErrorKey.TLS_UNTRUSTED
    if "PJSIP_TLS_" in reason or "SSL" in reason:
        return ErrorKey.TLS_FAILED
    return None


def end_reason(reason: EndReason, code: int, srtp: SrtpMode | None) -> EndReason:
    """488/606 mean the other side took none of our media offers: name the likely cause."""
    if reason is not EndReason.FAILED or code not in (488, 606):
        return reason
    return EndReason.ENCRYPTION_REFUSED if srtp is SrtpMode.MANDATORY else EndReason.MEDIA_REFUSED
