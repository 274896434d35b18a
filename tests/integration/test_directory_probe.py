"""directory.test's probes against the real servers: counts, and the error keys of a sync."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from dirservers.radicale import PASSWORD, USER, Radicale
from dirservers.slapd import ADMIN_DN, ADMIN_PW, PEOPLE, Slapd
from softphone.directory.probe import probe_carddav, probe_ldap
from softphone.directory.store import DirectoryStore
from softphone.domain.directory_sources import CardDavConfig, LdapConfig
from softphone.domain.errors import ErrorKey, SoftphoneError

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _key(call: object) -> ErrorKey:
    with pytest.raises(SoftphoneError) as exc:
        call()  # type: ignore[operator]
    return exc.value.key


def test_carddav_probe(radicale: Radicale, tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "d.sqlite3")
    config = CardDavConfig(radicale.url, USER)
    assert probe_carddav(config, PASSWORD, store) == 302  # 300 people + 2 malformed cards
    assert store.search("helene") == []  # a probe stores nothing
    assert _key(lambda: probe_carddav(config, "wrong", store)) is ErrorKey.AUTH_FAILED
    gone = CardDavConfig(f"http://127.0.0.1:{_free_port()}/dir/", USER)
    assert _key(lambda: probe_carddav(gone, PASSWORD, store)) is ErrorKey.SERVER_UNREACHABLE


def test_ldap_probe(slapd: Slapd, tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "d.sqlite3")
    config = LdapConfig(slapd.url, PEOPLE, bind_dn=ADMIN_DN)
    assert probe_ldap(config, ADMIN_PW, store) == 301  # 300 people + the bad entry
    assert _key(lambda: probe_ldap(config, "wrong", store)) is ErrorKey.AUTH_FAILED
    gone = LdapConfig(f"ldap://127.0.0.1:{_free_port()}", PEOPLE)
    assert _key(lambda: probe_ldap(gone, "", store)) is ErrorKey.SERVER_UNREACHABLE
