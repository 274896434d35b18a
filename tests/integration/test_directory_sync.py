"""Directory sync against a real Radicale (CardDAV) and a real OpenLDAP slapd on loopback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirservers.data import Person, people, vcard
from dirservers.fixtures import ENTRIES
from dirservers.radicale import PASSWORD, USER, Radicale
from dirservers.slapd import ADMIN_DN, ADMIN_PW, PEOPLE, Slapd, person_ldif
from softphone.bus import EventBus
from softphone.directory.carddav import SyncResult
from softphone.directory.service import Directory
from softphone.directory.store import DirectoryStore
from softphone.domain.directory import ContactSource, DirectoryStatusChanged, DisplayOrder
from softphone.domain.directory_sources import CardDavConfig, DirectorySources, LdapConfig
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS

pytestmark = pytest.mark.integration
CARDDAV, LDAP = ContactSource.CARDDAV, ContactSource.LDAP


def make_directory(
    db: Path, sources: DirectorySources, passwords: dict[str, str] | None = None
) -> tuple[Directory, EventBus]:
    bus = EventBus()
    pw = passwords or {
        DIRECTORY_SECRET_KEYS[CARDDAV]: PASSWORD,
        DIRECTORY_SECRET_KEYS[LDAP]: ADMIN_PW,
    }
    directory = Directory(
        DirectoryStore(db, home_country="CH"),
        bus,
        sources=lambda: sources,
        order=lambda: DisplayOrder.FIRST_LAST,
        password=pw.get,
    )
    return directory, bus


def both(rad: Radicale, ldap: Slapd) -> DirectorySources:
    return DirectorySources(
        carddav=CardDavConfig(rad.url, USER),
        ldap=LdapConfig(ldap.url, PEOPLE, bind_dn=ADMIN_DN),
    )


def test_first_sync_fills_a_searchable_copy_and_skips_malformed(
    radicale: Radicale, slapd: Slapd, tmp_path: Path
) -> None:
    directory, bus = make_directory(tmp_path / "dir.sqlite3", both(radicale, slapd))
    statuses: list[DirectoryStatusChanged] = []
    bus.subscribe(DirectoryStatusChanged, statuses.append)
    results = directory.sync_now()
    card, ldap = results[CARDDAV], results[LDAP]
    assert isinstance(card, SyncResult) and isinstance(ldap, SyncResult)
    assert (card.mode, card.upserted, card.skipped_reasons) == (
        "full",
        ENTRIES,
        {"no_name": 1, "invalid_number": 1},
    )
    assert (ldap.upserted, ldap.skipped_reasons) == (ENTRIES, {"invalid_number": 1})
    store = directory.store
    assert store.count(CARDDAV) == store.count(LDAP) == ENTRIES
    found = directory.search("helene mu")
    assert {(c.name(), c.source) for c in found} == {
        ("Hélène Müller", CARDDAV),
        ("Hélène Müller", LDAP),
    }
    helene = next(c for c in found if c.source is CARDDAV)
    assert [n.label for n in helene.numbers] == ["mobile", "office", "office"]
    assert helene.internal and helene.extension == "2000"
    assert len(store.internal()) == 2 * ENTRIES // 5  # every 5th person has an extension
    mobile = helene.numbers[0].number.replace(" ", "")  # "+4179..." found as "079 ..."
    assert directory.name_for("0" + mobile[3:]) == "Hélène Müller"
    assert [c.name() for c in directory.search(mobile[:-1])] == ["Hélène Müller"]
    final = statuses[-1].statuses
    assert {s.source: (s.error, s.count) for s in final}[CARDDAV] == (None, ENTRIES)
    assert all(not s.syncing for s in final)


def test_server_changes_appear_after_refresh(
    radicale: Radicale, slapd: Slapd, tmp_path: Path
) -> None:
    directory, _ = make_directory(tmp_path / "dir.sqlite3", both(radicale, slapd))
    directory.sync_now()
    # CardDAV: add, rename, delete
    radicale.put("new1", _card(Person("new1", "Nouvelle", "Entrée", "+41 79 999 00 01", "", "")))
    radicale.put("p00001", _card(Person("p00001", "Johnny", "Renamed", "+41 79 999 00 02", "", "")))
    radicale.delete("p00002")
    # LDAP: add, rename (attribute change), delete
    admin = slapd.admin()
    admin.add(
        f"uid=ldnew,{PEOPLE}",
        ["inetOrgPerson"],
        {"cn": "Lara Neuling", "sn": "Neuling", "givenName": "Lara", "mobile": "+41799990003"},
    )
    admin.modify(
        f"uid=p00001,{PEOPLE}",
        {"givenName": [("MODIFY_REPLACE", ["Jeanne"])], "sn": [("MODIFY_REPLACE", ["Dubois"])]},
    )
    admin.delete(f"uid=p00002,{PEOPLE}")
    admin.unbind()

    results = directory.sync_now()
    card = results[CARDDAV]
    assert isinstance(card, SyncResult) and card.mode == "incremental"
    assert (card.upserted, card.deleted) == (2, 1)
    assert [c.name() for c in directory.search("nouvelle entree")] == ["Nouvelle Entrée"]
    assert [c.name() for c in directory.search("johnny")] == ["Johnny Renamed"]
    assert [c.name() for c in directory.search("lara neu")] == ["Lara Neuling"]
    assert [c.name() for c in directory.search("jeanne dub")] == ["Jeanne Dubois"]
    assert directory.store.count(CARDDAV) == directory.store.count(LDAP) == ENTRIES
    assert directory.name_for("+41 79 999 00 02") == "Johnny Renamed"


def _card(p: Person) -> str:
    return vcard(p)


def test_server_down_keeps_the_offline_copy_searchable(
    radicale: Radicale, slapd: Slapd, tmp_path: Path
) -> None:
    db = tmp_path / "dir.sqlite3"
    directory, _ = make_directory(db, both(radicale, slapd))
    directory.sync_now()
    radicale.stop()
    slapd.stop()
    results = directory.sync_now()
    assert {s: r.key for s, r in results.items() if isinstance(r, SoftphoneError)} == {
        CARDDAV: ErrorKey.SERVER_UNREACHABLE,
        LDAP: ErrorKey.SERVER_UNREACHABLE,
    }
    status = {s.source: s for s in directory.statuses()}
    assert status[CARDDAV].error is ErrorKey.SERVER_UNREACHABLE
    assert status[CARDDAV].synced_at is not None and status[CARDDAV].count == ENTRIES
    directory.store.close()
    # A restart without the servers: the copy on disk is still the directory.
    again, _ = make_directory(db, both(radicale, slapd))
    assert len(again.search("helene mu")) == 2
    assert again.name_for("2000") == "Hélène Müller"


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_REPORT(self) -> None:
        body = b"<html>surprise: a login page</h"
        self.send_response(207)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/book/"
    finally:
        server.shutdown()
        server.server_close()


def test_broken_answers_and_bad_credentials_are_reported_as_keys(
    radicale: Radicale, slapd: Slapd, garbage_server: str, tmp_path: Path
) -> None:
    wrong = {DIRECTORY_SECRET_KEYS[CARDDAV]: "nope", DIRECTORY_SECRET_KEYS[LDAP]: "nope"}
    directory, _ = make_directory(tmp_path / "a.sqlite3", both(radicale, slapd), wrong)
    results = directory.sync_now()
    assert {s: getattr(r, "key", None) for s, r in results.items()} == {
        CARDDAV: ErrorKey.AUTH_FAILED,
        LDAP: ErrorKey.AUTH_FAILED,
    }
    broken = DirectorySources(
        carddav=CardDavConfig(garbage_server),
        ldap=LdapConfig(slapd.url, "ou=nowhere,dc=example,dc=com", bind_dn=ADMIN_DN),
    )
    directory, _ = make_directory(tmp_path / "b.sqlite3", broken)
    results = directory.sync_now()
    assert {s: getattr(r, "key", None) for s, r in results.items()} == {
        CARDDAV: ErrorKey.DIRECTORY_BAD_RESPONSE,
        LDAP: ErrorKey.DIRECTORY_BAD_RESPONSE,
    }
    assert {s.source: s.error for s in directory.statuses()}[CARDDAV] is (
        ErrorKey.DIRECTORY_BAD_RESPONSE
    )


def test_ldap_over_starttls_and_ldaps_verifies_the_server(tmp_path: Path) -> None:
    server = Slapd(tmp_path / "slapd", tls=True)
    server.configure([person_ldif(p) for p in people(20)])
    server.start()
    try:
        ca = str(server.cert)
        for config in (
            LdapConfig(server.url, PEOPLE, bind_dn=ADMIN_DN, start_tls=True, ca_file=ca),
            LdapConfig(
                f"ldaps://127.0.0.1:{server.ldaps_port}", PEOPLE, bind_dn=ADMIN_DN, ca_file=ca
            ),
        ):
            directory, _ = make_directory(
                tmp_path / f"{config.url[:5]}.sqlite3", DirectorySources(ldap=config)
            )
            result = directory.sync_now()[LDAP]
            assert isinstance(result, SyncResult) and result.upserted == 20, result
        # Without the CA the self-signed server is refused, and said so.
        untrusted = LdapConfig(server.url, PEOPLE, bind_dn=ADMIN_DN, start_tls=True)
        directory, _ = make_directory(
            tmp_path / "untrusted.sqlite3", DirectorySources(ldap=untrusted)
        )
        failure = directory.sync_now()[LDAP]
        assert isinstance(failure, SoftphoneError) and failure.key is ErrorKey.TLS_FAILED
    finally:
        server.stop()
