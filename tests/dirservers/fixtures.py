"""pytest fixtures: a seeded Radicale and a seeded slapd per test, stopped by PID after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dirservers.data import MALFORMED_VCARDS, people, vcard
from dirservers.radicale import Radicale
from dirservers.slapd import PEOPLE, Slapd, person_ldif

ENTRIES = 300

# An entry slapd accepts but no phone can dial: skipped and counted by the sync.
BAD_LDAP = (
    f"dn: uid=bad-tel,{PEOPLE}\nobjectClass: inetOrgPerson\nuid: bad-tel\ncn: Tel Broken\n"
    "sn: Broken\ntelephoneNumber: ask the reception\n\n"
)


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    server = Radicale(tmp_path / "radicale")
    cards = {p.key: vcard(p, "4.0" if i % 2 else "3.0") for i, p in enumerate(people(ENTRIES))}
    server.seed(cards | MALFORMED_VCARDS)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    server = Slapd(tmp_path / "slapd")
    server.configure([person_ldif(p) for p in people(ENTRIES, seed=11)] + [BAD_LDAP])
    try:
        yield server.start()
    finally:
        server.stop()
