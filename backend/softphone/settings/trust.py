"""PBX certificates the user trusted explicitly, and the CA bundle the engine verifies with."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from softphone.domain.account import AccountConfig, split_host_port
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.ca_bundle import system_ca_file

# cryptography (~6 MiB, 5.8 measured alone) is imported when a certificate is first read
# (the TLS settings, a trust decision), not at the app's start: writing the bundle needs
# none of it (issue 21).
if TYPE_CHECKING:
    from cryptography import x509

log = logging.getLogger(__name__)

DEFAULT_TLS_PORT = 5061
FETCH_TIMEOUT = 5.0
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What the user is shown before trusting a certificate (all of it untrusted text)."""

    subject: str
    issuer: str
    sha256: str  # "AB:CD:...", as browsers show it
    not_before: str  # ISO 8601, UTC
    not_after: str
    self_signed: bool
    name_matches: bool  # issued for the host we connect to (else trusting it cannot help)

    @classmethod
    def from_pem(cls, pem: str, host: str) -> CertificateInfo:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(pem.encode())
        return cls(
            name_matches=name_matches(cert, host),
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            sha256=fingerprint(cert),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            self_signed=cert.issuer == cert.subject,
        )


def name_matches(cert: x509.Certificate, host: str) -> bool:
    """Does the certificate name `host` (subjectAltName; the CN only when there is none)?

    pjsip checks the name too, so a certificate for another name stays refused even once
    trusted: the user is told so instead of being asked to trust it in a loop.
    """
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if sans is not None:
        if ip is not None:
            return ip in sans.get_values_for_type(x509.IPAddress)
        return any(_dns_match(n, host) for n in sans.get_values_for_type(x509.DNSName))
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return any(n == host if ip is not None else _dns_match(n, host) for n in names)


def _dns_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):  # a wildcard covers exactly one left-most label
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def fingerprint(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def tls_address(server: str) -> tuple[str, int]:
    """`host[:port]` of an account server -> where its TLS listener is (5061 by default)."""
    host, port = split_host_port(server)
    if not host or not _HOST.match(host) or (port is not None and not 0 < port < 65536):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "server")
    return host.strip("[]"), port or DEFAULT_TLS_PORT


def fetch_server_certificate(server: str, timeout: float = FETCH_TIMEOUT) -> str:
    """The PEM certificate the server presents, read WITHOUT verifying it (to show it)."""
    host, port = tls_address(server)
    try:
        return ssl.get_server_certificate((host, port), timeout=timeout)
    except ssl.SSLError as exc:
        log.info("TLS handshake with %s:%s failed: %s", host, port, exc)
        raise SoftphoneError(ErrorKey.TLS_FAILED) from exc
    except TimeoutError as exc:
        raise SoftphoneError(ErrorKey.TIMEOUT) from exc
    except (OSError, UnicodeError) as exc:
        log.info("cannot reach %s:%s: %s", host, port, exc)
        raise SoftphoneError(ErrorKey.SERVER_UNREACHABLE) from exc


class TrustStore:
    """Trusted certificates, one PEM file per account server, and the engine's CA bundle.

    The bundle is the system's CAs plus what the user trusted for the account's server only
    (a certificate trusted for one PBX must not vouch for another). The engine's OpenSSL
    rereads it for every connection, so rewriting it takes effect at the next REGISTER.
    """

    def __init__(self, directory: Path, system_cas: str | None = None) -> None:
        self.directory = directory
        self.bundle_path = directory / "ca-bundle.pem"
        self._system_cas = system_ca_file() if system_cas is None else system_cas
        self._lock = threading.Lock()
        self._server = ""

    def _file(self, server: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9.\-]", "_", server)[:80]
        digest = hashlib.sha256(server.lower().encode()).hexdigest()[:8]
        return self.directory / "trusted" / f"{safe}-{digest}.pem"

    def trusted(self, server: str) -> list[str]:
        """PEM certificates the user trusted for `server`."""
        path = self._file(server)
        try:
            return _PEM.findall(path.read_text())
        except FileNotFoundError:
            return []

    def prepare(self, account: AccountConfig | None) -> None:
        """Write the bundle for `account` (before the engine connects to its server)."""
        with self._lock:
            self._server = account.server if account is not None else ""
            self._write_bundle()

    def _write_bundle(self) -> None:
        parts: list[str] = []
        if self._system_cas:
            try:
                parts.append(Path(self._system_cas).read_text())
            except OSError as exc:
                log.warning("system CA bundle unreadable (%s): only trusted certificates", exc)
        if self._server:
            parts.extend(self.trusted(self._server))
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.bundle_path.with_suffix(".tmp")
        tmp.write_text("\n".join(p.rstrip("\n") + "\n" for p in parts))
        os.replace(tmp, self.bundle_path)  # the engine never reads half a file

    def inspect(self, server: str) -> tuple[str, CertificateInfo]:
        """The server's certificate as it is now (PEM) and what to show of it."""
        pem = fetch_server_certificate(server)
        try:
            return pem, CertificateInfo.from_pem(pem, tls_address(server)[0])
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.TLS_FAILED) from exc

    def trust(self, server: str, sha256: str) -> CertificateInfo:
        """Trust the certificate `server` presents, if it is still the one the user saw."""
        pem, info = self.inspect(server)
        if info.sha256 != sha256.strip().upper():
            raise SoftphoneError(ErrorKey.CERTIFICATE_CHANGED)
        if not info.name_matches:
            raise SoftphoneError(ErrorKey.TLS_NAME_MISMATCH)
        with self._lock:
            path = self._file(server)
            path.parent.mkdir(parents=True, exist_ok=True)
            kept = [p for p in self.trusted(server) if _sha256_of(p) != info.sha256]
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(kept) + pem)
            os.replace(tmp, path)
            if self._server == server:
                self._write_bundle()
        log.info("certificate %s trusted for %s", info.sha256, server)
        return info

    def trusted_certificates(self, server: str) -> list[CertificateInfo]:
        """What the user trusted for `server`, to list (and remove) in the account form."""
        host = tls_address(server)[0]
        infos = []
        for pem in self.trusted(server):
            try:
                infos.append(CertificateInfo.from_pem(pem, host))
            except ValueError:
                log.warning("unreadable certificate in the trust file of %s: skipped", server)
        return infos

    def untrust(self, server: str, sha256: str) -> None:
        """Stop trusting one certificate of `server`: its next TLS connection is verified
        without it (the bundle is rewritten when `server` is the account's)."""
        wanted = sha256.strip().upper()
        with self._lock:
            pems = self.trusted(server)
            kept = [p for p in pems if _sha256_of(p) != wanted]
            if len(kept) == len(pems):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "sha256")
            path = self._file(server)
            if kept:
                tmp = path.with_suffix(".tmp")
                tmp.write_text("".join(kept))
                os.replace(tmp, path)
            else:
                path.unlink()
            if self._server == server:
                self._write_bundle()
        log.info("certificate %s no longer trusted for %s", wanted, server)

    def is_trusted(self, server: str, sha256: str) -> bool:
        return any(_sha256_of(p) == sha256 for p in self.trusted(server))


def _sha256_of(pem: str) -> str:
    from cryptography import x509

    return fingerprint(x509.load_pem_x509_certificate(pem.encode()))
