"""Generated directory people: accents, several numbers each, and a few malformed entries."""

from __future__ import annotations

import random
from dataclasses import dataclass

GIVEN = [
    "Hélène",
    "John",
    "Jürg",
    "Zoé",
    "François",
    "Anna",
    "Björn",
    "Chloë",
    "Luca",
    "Ñusta",
    "Renée",
    "Søren",
    "Élodie",
    "Marco",
    "Ágnes",
    "Paul",
    "Maëlle",
    "Jörg",
    "Inès",
    "Tomás",
]
FAMILY = [
    "Müller",
    "Dupré",
    "Weber",
    "Rossi",
    "Léger",
    "Schäfer",
    "Bianchi",
    "Núñez",
    "Smith",
    "Çelik",
    "Østergaard",
    "Brückner",
    "Lefèvre",
    "Conti",
    "Zürcher",
    "Moreau",
    "Keller",
    "Gallo",
    "Fässler",
    "Duval",
]


@dataclass(frozen=True, slots=True)
class Person:
    key: str  # file name / LDAP uid
    given: str
    family: str
    mobile: str
    office: str
    extension: str  # "" for people outside the company

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


def people(count: int, seed: int = 7) -> list[Person]:
    """`count` distinct people; every 5th is internal with an extension 2000+i."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        given = GIVEN[i % len(GIVEN)]
        family = FAMILY[(i // len(GIVEN)) % len(FAMILY)] + ("" if i < 400 else f"{i}")
        mobile = f"+41 79 {100 + i // 100:03d} {i % 100:02d} {rng.randint(10, 99)}"
        office = f"044 {200 + i // 100:03d} {i % 100:02d} {rng.randint(10, 99)}"
        extension = str(2000 + i) if i % 5 == 0 else ""
        out.append(Person(f"p{i:05d}", given, family, mobile, office, extension))
    return out


def vcard(p: Person, version: str = "3.0") -> str:
    ext = f"TEL;TYPE=WORK:{p.extension}\r\n" if p.extension else ""
    return (
        f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{p.key}\r\nN:{p.family};{p.given};;;\r\n"
        f"FN:{p.name}\r\nORG:Acme AG\r\nTEL;TYPE=CELL:{p.mobile}\r\n"
        f"TEL;TYPE=WORK:{p.office}\r\n{ext}END:VCARD\r\n"
    )


# Cards a server stores happily but that are no use as contacts: skipped and counted.
MALFORMED_VCARDS = {
    "bad-noname": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bad-noname\r\nN:;;;;\r\nFN:\r\n"
    "TEL:0441112233\r\nEND:VCARD\r\n",
    "bad-tel": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bad-tel\r\nN:Broken;Tel;;;\r\nFN:Tel Broken\r\n"
    "TEL:call reception and ask\r\nEND:VCARD\r\n",
}
