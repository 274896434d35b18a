"""LDAP directory sync with ldap3: paged search under a base and filter, attributes mapped."""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from softphone.directory.carddav import SyncResult
from softphone.directory.numbers import is_numberish
from softphone.directory.store import DirectoryStore
from softphone.domain.directory import Contact, ContactNumber, ContactSource
from softphone.domain.directory_sources import LdapConfig
from softphone.domain.errors import ErrorKey, SoftphoneError

# ldap3 (with pyasn1, ~8 MiB) is imported where a sync or a test of the source runs, not
# when the app starts: most users have no LDAP directory.
if TYPE_CHECKING:
    import ldap3

log = logging.getLogger(__name__)

SOURCE = ContactSource.LDAP
PAGE_SIZE = 500
_EXTENSION = re.compile(r"^[1-9][0-9]{0,5}$")

NUMBER_FIELDS = ("office", "mobile", "home", "fax", "other")


class LdapSync:
    """Reads every matching entry and makes the local LDAP copy equal to it."""

    def __init__(
        self, config: LdapConfig, password: str, store: DirectoryStore, timeout: float = 15
    ) -> None:
        self.config = config
        self._password = password
        self._store = store
        self._timeout = timeout

    def _connect(self) -> ldap3.Connection:
        import ldap3

        cfg = self.config
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if cfg.verify_tls else ssl.CERT_NONE,
            ca_certs_file=cfg.ca_file or None,
        )
        server = ldap3.Server(cfg.url, connect_timeout=self._timeout, tls=tls, get_info=ldap3.NONE)
        conn = ldap3.Connection(
            server,
            user=cfg.bind_dn or None,
            password=self._password if cfg.bind_dn else None,
            receive_timeout=self._timeout,
            raise_exceptions=True,
            read_only=True,
        )
        conn.open()
        if cfg.start_tls:
            conn.start_tls()
        conn.bind()
        return conn

    def sync(self) -> SyncResult:
        """A full read: LDAP has no portable change feed (syncrepl is server-specific)."""
        import ldap3

        result = SyncResult(mode="full")
        attributes = sorted({a for a in self.config.mapping.values() if a})
        contacts: list[Contact] = []
        try:
            conn = self._connect()
            try:
                entries = conn.extend.standard.paged_search(
                    self.config.base,
                    self.config.filter,
                    search_scope=ldap3.SUBTREE,
                    attributes=attributes,
                    paged_size=PAGE_SIZE,
                    generator=True,
                )
                for entry in entries:
                    if entry.get("type") != "searchResEntry":
                        continue
                    contact = self._contact(entry["dn"], entry["attributes"], result)
                    if contact is not None:
                        contacts.append(contact)
            finally:
                conn.unbind()
        except SoftphoneError:
            raise
        except Exception as exc:
            raise _error(exc) from exc
        self._store.replace_source(SOURCE, contacts)
        result.upserted = len(contacts)
        return result

    def _contact(self, dn: str, attrs: Mapping[str, Any], result: SyncResult) -> Contact | None:
        def values(name: str) -> list[str]:
            attr = self.config.attribute(name)
            if not attr:
                return []
            value = attrs.get(attr, [])
            items = value if isinstance(value, list) else [value]
            return [str(v).strip() for v in items if str(v).strip()]

        def first(name: str) -> str:
            found = values(name)
            return found[0] if found else ""

        numbers: list[ContactNumber] = []
        extension = first("extension")
        for label in NUMBER_FIELDS:
            for raw in values(label):
                if not is_numberish(raw) or len(raw) > 64:
                    log.info("ldap: skipped %s: invalid number", dn)
                    result.skip("invalid_number")
                    return None
                numbers.append(ContactNumber(label, raw))
                if not extension and _EXTENSION.match(raw):
                    extension = raw
        try:
            return Contact(
                SOURCE,
                dn,
                given=first("given"),
                family=first("family"),
                display=first("display"),
                org=first("org"),
                email=first("email"),
                numbers=tuple(numbers),
                internal=bool(extension),
                extension=extension,
            )
        except SoftphoneError as exc:
            result.skip("no_name" if exc.field == "name" else "invalid_field")
            return None


def _error(exc: Exception) -> SoftphoneError:
    """ldap3's exception zoo -> our error keys."""
    from ldap3.core import exceptions as lx

    if isinstance(exc, lx.LDAPStartTLSError | ssl.SSLError) or "certificate" in str(exc).lower():
        key = ErrorKey.TLS_FAILED
    elif isinstance(exc, lx.LDAPBindError | lx.LDAPInvalidCredentialsResult):
        key = ErrorKey.AUTH_FAILED
    elif isinstance(exc, lx.LDAPSocketReceiveError | lx.LDAPResponseTimeoutError):
        key = ErrorKey.TIMEOUT
    elif isinstance(exc, lx.LDAPSocketOpenError | lx.LDAPSessionTerminatedByServerError):
        key = ErrorKey.SERVER_UNREACHABLE
    elif isinstance(exc, lx.LDAPInvalidFilterError):
        return SoftphoneError(ErrorKey.INVALID_ARGUMENT, "filter", str(exc))
    elif isinstance(exc, lx.LDAPInsufficientAccessRightsResult):
        key = ErrorKey.AUTH_FAILED
    else:
        key = ErrorKey.DIRECTORY_BAD_RESPONSE
    return SoftphoneError(key, detail=f"{type(exc).__name__}: {exc}")
