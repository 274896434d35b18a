"""TLS signalling and SRTP media for the engine: the TLS transport and account security."""

from __future__ import annotations

import hashlib
import logging
import socket
from dataclasses import replace
from pathlib import Path

import pjsua2 as pj

from softphone.domain.account import AccountConfig, SrtpMode, Transport
from softphone.domain.calls import EndReason
from softphone.domain.errors import ErrorKey
from softphone.engine.config import EngineConfig
from softphone.settings.ca_bundle import system_ca_file

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_MS = 5000
_MAX_RETIRED = 3  # UDP, TCP, TLS and the wake socket use 4 of pjsua's 8 transport slots

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


class TlsListener:
    """The TLS transport accounts sign in through, made anew when the trusted CAs change."""

    def __init__(self, ep: pj.Endpoint, config: EngineConfig) -> None:
        self._ep = ep
        self._config = config
        self.id: int | None = None  # None: TLS could not start
        self._bundle = ""  # digest of the CA bundle the listener was made with
        self._retired: list[int] = []  # earlier listeners, never closed (see _renew)
        self._in_use = False  # the account signs in over TLS
        self._verified = False  # the PBX answered a REGISTER over the current listener

    def open(self) -> None:
        self._bundle = ca_bundle_digest(self._config)
        self.id = create_tls_transport(self._ep, self._config)

    def use(self, in_use: bool) -> None:
        """The next account signs in over TLS (`in_use`) or not; over TLS, through a
        listener made with the CAs trusted now."""
        self._in_use = in_use
        if in_use:
            self._renew_if_trust_changed()

    def on_registrar_answer(self, code: int, tls_error: ErrorKey | None) -> None:
        if self._in_use and tls_error is None and code not in (0, 408, 503):
            self._verified = True  # the PBX answered: over a connection that verified

    def _renew_if_trust_changed(self) -> None:
        """A new TLS listener when the CA bundle changed (a certificate trusted or removed).

        pjsua picks TLS connections by listener, and an open connection to the PBX was
        verified with the old bundle: reusing it would sign in again through a certificate
        the user just stopped trusting. A new listener means a new, verified connection.
        The old listener stays open: closing it while a connection it made still lives
        aborted the engine later (pj_mutex_lock assertion, seen), and made right after the
        close the new one took the old one's memory, so pjsip matched the old connection to
        it again (seen). Listener slots are few (PJSUA_MAX_TRANSPORTS 8): at most
        _MAX_RETIRED are kept; past that, a trust change applies to new connections only.
        """
        digest = ca_bundle_digest(self._config)
        if digest == self._bundle:
            return
        if not self._verified:
            # No connection of this listener passed verification (a refused handshake
            # closes its connection): none can be reused, so no new listener is needed.
            self._bundle = digest
            return
        old = self.id
        if old is not None and len(self._retired) >= _MAX_RETIRED:
            log.warning("CA bundle changed: TLS listener kept (no slot left for a new one)")
            return
        self._bundle = digest
        tls_id = create_tls_transport(self._ep, self._config)
        if tls_id is None and self._config.sip_port:
            # A fixed TLS port (--sip-port) is still held by the old listener: any port
            # will do (we are the client of the PBX's TLS).
            tls_id = create_tls_transport(self._ep, replace(self._config, sip_port=0))
        if tls_id is None:
            return  # keep the old one: TLS goes on working as before
        if old is not None:
            self._retired.append(old)
        self.id = tls_id
        self._verified = False
        log.info("CA bundle changed: new TLS listener %s, new connections verify with it", tls_id)


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
