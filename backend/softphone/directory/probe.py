"""Test a directory source before saving it: reach, authenticate, count what it would sync."""

from __future__ import annotations

from softphone.directory.carddav import _PROPFIND_BODY, CardDavSync, _items, _xml
from softphone.directory.ldap import LdapSync, _error
from softphone.directory.store import DirectoryStore
from softphone.domain.directory_sources import CardDavConfig, LdapConfig
from softphone.domain.errors import SoftphoneError

PROBE_TIMEOUT_S = 10  # int: ldap3 packs it into a socket option


def probe_carddav(config: CardDavConfig, password: str, store: DirectoryStore) -> int:
    """Cards in the address book (one PROPFIND, nothing stored); SoftphoneError keys as a
    sync would raise them (auth_failed, server_unreachable, tls_failed, directory_bad_response)."""
    # The sync's own request and checks: the test fails exactly where a sync would.
    sync = CardDavSync(config, password, store, timeout=PROBE_TIMEOUT_S)
    try:
        response = sync._request("PROPFIND", config.url, _PROPFIND_BODY, 1)
        sync._check(response)
        items = _items(_xml(response.content), config.url)
        return sum(1 for i in items if i.status == 200 and not i.href.endswith("/"))
    finally:
        sync.close()


def probe_ldap(config: LdapConfig, password: str, store: DirectoryStore) -> int:
    """Entries matching base and filter, at most 1000 counted (a bind and one search)."""
    import ldap3  # only when the user tests an LDAP source (see ldap.py)

    sync = LdapSync(config, password, store, timeout=PROBE_TIMEOUT_S)
    try:
        conn = sync._connect()
        try:
            conn.search(
                config.base,
                config.filter,
                search_scope=ldap3.SUBTREE,
                attributes=[],
                size_limit=1000,
            )
            return len([e for e in conn.response or [] if e.get("type") == "searchResEntry"])
        finally:
            conn.unbind()
    except SoftphoneError:
        raise
    except ldap3.core.exceptions.LDAPSizeLimitExceededResult:
        return 1000
    except Exception as exc:
        raise _error(exc) from exc
