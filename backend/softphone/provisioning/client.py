"""Fetch one user's provisioning document over HTTPS with the user's own credentials."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from softphone import __version__
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.provisioning import MAX_DOCUMENT_BYTES

# requests (~10 MiB, 9.9 measured alone) is imported by the first fetch, not at the app's
# start: most starts sign in from saved settings and never fetch (issue 21).
if TYPE_CHECKING:
    import requests
    from requests.auth import AuthBase

    from softphone.settings.trust import TrustStore

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 10.0)  # connect, read (each read; the whole body is capped by size too)
MAX_URL = 2048
_ETAG = re.compile(r'^(W/)?"[\x21\x23-\x7e]{0,200}"$')


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signs in: `alice@example.com` split once, checked once."""

    email: str
    user: str
    domain: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        email = text.strip()
        user, at, domain = email.rpartition("@")
        domain = domain.lower().rstrip(".")
        if (
            not at
            or not user
            or len(email) > 254
            or any(ord(c) < 33 or c in '"<>\\' for c in email)
            or not re.fullmatch(
                r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}", domain
            )
        ):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "email")
        return cls(email, user, domain)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched document (None: not modified since `etag`)."""

    body: bytes | None
    etag: str
    url: str


class NotProvisionedError(Exception):
    """The service has no document for this user (404): fall back to DNS."""


def expand_url(template: str, who: Identity) -> str:
    """The template with `{email}`, `{user}`, `{domain}` URL-encoded; only https:// URLs."""
    url = (
        template.replace("{email}", quote(who.email, safe=""))
        .replace("{user}", quote(who.user, safe=""))
        .replace("{domain}", quote(who.domain, safe=""))
    )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "provisioning_url") from exc
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.username is not None  # credentials travel as HTTP auth, never in the URL
        or len(url) > MAX_URL
        or any(ord(c) <= 32 or ord(c) == 127 for c in url)
        or (port is not None and not 0 < port < 65536)
    ):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "provisioning_url")
    return url


def trust_key(url: str) -> str:
    """The TrustStore key of the provisioning host: `host:port` as for a PBX server."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"{host}:{parts.port or 443}"


def ca_bundle(trust: TrustStore, url: str, directory: Path) -> str:
    """System CAs plus what the user trusted for this host only (as for the PBX)."""
    parts: list[str] = []
    system = trust._system_cas  # the same source the PBX's bundle is built from
    if system:
        try:
            parts.append(Path(system).read_text())
        except OSError as exc:
            log.warning("system CA bundle unreadable (%s)", exc)
    parts.extend(trust.trusted(trust_key(url)))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "provisioning-ca-bundle.pem"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(p.rstrip("\n") + "\n" for p in parts))
    os.replace(tmp, path)
    return str(path)


def fetch(url: str, who: Identity, password: str, *, ca_file: str, etag: str = "") -> Fetched:
    """GET the document; SoftphoneError(provisioning_auth_failed | provisioning_unreachable |
    tls_untrusted | provisioning_invalid), NotProvisionedError on 404."""
    import requests
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth

    headers = {"Accept": "application/json", "User-Agent": f"softphone/{__version__}"}
    if etag:
        headers["If-None-Match"] = etag
    with requests.Session() as session:
        session.trust_env = False  # no proxy or .netrc from the environment sees the password
        # Basic at once (the connection is verified HTTPS): servers that check the user
        # before asking for credentials would otherwise answer 403/404 to a bare request.
        response = _get(session, url, headers, ca_file, HTTPBasicAuth(who.email, password))
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and challenge.lower().lstrip().startswith("digest"):
            response.close()
            digest = HTTPDigestAuth(who.email, password)
            response = _get(session, url, headers, ca_file, digest)
        with response:
            return _read(response, url, etag)


def _get(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    ca_file: str,
    auth: AuthBase | None,
) -> requests.Response:
    import requests

    try:
        return session.get(
            url,
            headers=headers,
            auth=auth,
            verify=ca_file or True,
            timeout=TIMEOUT,
            allow_redirects=False,  # a redirect could carry the credentials elsewhere
            stream=True,
        )
    except requests.exceptions.SSLError as exc:
        # The exception's text holds the URL, so the e-mail: log only why TLS failed.
        reason = getattr(exc.__context__, "reason", "") or type(exc).__name__
        log.info("provisioning server %s: TLS refused (%s)", trust_key(url), reason)
        raise SoftphoneError(ErrorKey.TLS_UNTRUSTED) from exc
    except (requests.exceptions.RequestException, OSError, UnicodeError) as exc:
        log.info("provisioning server %s unreachable: %s", trust_key(url), type(exc).__name__)
        raise SoftphoneError(ErrorKey.PROVISIONING_UNREACHABLE) from exc


def _read(response: requests.Response, url: str, etag: str) -> Fetched:
    import requests

    status = response.status_code
    log.info("provisioning server %s answered %s", trust_key(url), status)
    if status == 304 and etag:
        return Fetched(None, etag, url)
    if status in (401, 403):
        raise SoftphoneError(ErrorKey.PROVISIONING_AUTH_FAILED)
    if status == 404:
        raise NotProvisionedError()
    if status != 200:
        raise SoftphoneError(ErrorKey.PROVISIONING_UNREACHABLE, detail=str(status))
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_DOCUMENT_BYTES:
        raise SoftphoneError(ErrorKey.PROVISIONING_INVALID, "document", "too large")
    body = bytearray()
    try:
        for chunk in response.iter_content(65536):
            body.extend(chunk)
            if len(body) > MAX_DOCUMENT_BYTES:
                raise SoftphoneError(ErrorKey.PROVISIONING_INVALID, "document", "too large")
    except requests.exceptions.RequestException as exc:
        raise SoftphoneError(ErrorKey.PROVISIONING_UNREACHABLE) from exc
    new_etag = response.headers.get("ETag", "")
    return Fetched(bytes(body), new_etag if _ETAG.match(new_etag) else "", url)
