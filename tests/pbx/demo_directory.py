"""The demo company's address book: the colleagues and a few hundred outside contacts with
Swiss German, French, Italian and Romansh names (and some from the neighbouring countries),
generated from a fixed seed so every demo shows the same people."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

COMPANY = "Demo AG"
COMPANY_DOMAIN = "demo.test"
OUTSIDE_CONTACTS = 300
_SEED = 20  # issue 20: the demo's living phone


@dataclass(frozen=True, slots=True)
class Card:
    """One address-book entry; `extension` only for colleagues."""

    key: str
    given: str
    family: str
    org: str
    email: str
    numbers: tuple[tuple[str, str], ...]  # (vCard TEL type, number)
    extension: str = ""

    def vcard(self) -> str:
        lines = [
            "BEGIN:VCARD",
            "VERSION:4.0",
            f"UID:{self.key}",
            f"N:{self.family};{self.given};;;",
            f"FN:{self.given} {self.family}",
            f"ORG:{self.org}" if self.org else "",
            f"EMAIL:{self.email}" if self.email else "",
            *(f"TEL;TYPE={kind}:{number}" for kind, number in self.numbers),
            f"TEL;TYPE=WORK:{self.extension}" if self.extension else "",
            "END:VCARD",
        ]
        return "".join(f"{line}\r\n" for line in lines if line)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True, slots=True)
class _Region:
    country: str  # dialling code
    given: tuple[str, ...]
    family: tuple[str, ...]
    areas: tuple[str, ...]  # area codes of office numbers, national form without the 0
    companies: tuple[str, ...]  # "{}" takes a family name
    weight: int


_SWISS_GERMAN = _Region(
    "41",
    _words(
        "Andreas Barbara Beat Claudia Corinne Daniel Daniela Franziska Jonas Karin Lea Lukas "
        "Martin Matthias Monika Nicole Peter Reto Sandra Simon Stefan Thomas Urs Ursula "
        "Yvonne Jürg Regula Fabian Nadja Cédric"
    ),
    _words(
        "Müller Meier Schmid Keller Weber Huber Schneider Steiner Fischer Gerber Brunner "
        "Baumann Frei Zimmermann Moser Widmer Wyss Graf Roth Baumgartner Bachmann Kunz Lüthi "
        "Zürcher Bühler Marti Suter Egli Käser Studer Ammann Hänni Schär Wüthrich Nussbaumer "
        "Hofstetter"
    ),
    _words("44 31 61 41 71 52 62"),
    (
        "{} AG",
        "{} Treuhand AG",
        "{} Informatik GmbH",
        "Elektro {} AG",
        "{} Architekten",
        "Schreinerei {}",
        "Bäckerei {}",
        "Praxis Dr. {}",
        "{} Logistik AG",
        "Garage {}",
    ),
    10,
)
_SWISS_FRENCH = _Region(
    "41",
    _words(
        "Alain Antoine Aurélie Camille Céline Chloé Claire Élodie Émilie François Hélène "
        "Isabelle Jean-Marc Julien Laurent Léa Manon Mathieu Nathalie Nicolas Olivier Pascal "
        "Sébastien Sophie Valérie Yves Gaëlle Loïc"
    ),
    _words(
        "Favre Rochat Bonvin Perrin Girard Dubois Morel Fournier Blanc Jaquet Mottier Rey "
        "Bovet Chevalley Dupraz Clerc Pittet Cuénod Vuilleumier Monnier Jacot Roulet Maillard "
        "Borel Mercier Gendre Berset Décosterd"
    ),
    _words("22 21 26 32 27 24"),
    (
        "{} SA",
        "{} & Fils SA",
        "Fiduciaire {} Sàrl",
        "Garage {} SA",
        "Cabinet {}",
        "Boulangerie {}",
        "Étude {} & Associés",
        "{} Ingénieurs SA",
        "Pharmacie {}",
    ),
    7,
)
_SWISS_ITALIAN = _Region(
    "41",
    _words(
        "Alessandro Andrea Chiara Davide Elena Federica Francesca Giorgio Giulia Lorenzo Luca "
        "Marco Matteo Michela Paolo Roberto Sara Silvia Simone Valentina Stefano Martina "
        "Nicolò"
    ),
    _words(
        "Bernasconi Bianchi Ferrari Colombo Galli Fontana Moretti Pedrazzini Lurati Cattaneo "
        "Beffa Ghisletta Pellandini Crivelli Fumagalli Soldati Rusconi Gianella Righetti "
        "Guidotti Lombardi"
    ),
    ("91",),
    (
        "{} SA",
        "Studio legale {}",
        "{} Costruzioni SA",
        "Farmacia {}",
        "Fiduciaria {} SA",
        "Ristorante {}",
    ),
    4,
)
_ROMANSH = _Region(
    "41",
    _words("Gian Curdin Ursina Mirjam Flurin Men Seraina Duri Annina"),
    _words("Caduff Cathomen Capaul Casutt Cavelti Derungs Tuor Camenisch"),
    ("81",),
    ("{} SA", "Hotel {}", "Furnaria {}"),
    1,
)
_GERMANY = _Region(
    "49",
    _words("Jürgen Katrin Sabine Wolfgang Henrik Anja Jens Birgit Uwe Maren Tobias Svenja"),
    _words("Schulz Becker Hoffmann Wagner Schäfer Koch Richter Klein Wolf Neumann Schwarz Krüger"),
    _words("89 30 40 711 69"),
    ("{} GmbH", "{} & Partner", "{} Maschinenbau GmbH"),
    2,
)
_FRANCE = _Region(
    "33",
    _words("Benoît Amélie Thierry Margaux Guillaume Océane Jérôme Inès"),
    _words("Lefèvre Moreau Lambert Fontaine Rousseau Chevalier Garnier"),
    ("1", "4", "3"),
    ("{} SAS", "Maison {}", "{} Conseil"),
    1,
)
_ITALY = _Region(
    "39",
    _words("Giuseppe Alessia Riccardo Beatrice Tommaso Ilaria Filippo"),
    _words("Esposito Romano Ricci Marino Greco Bruno Gallo Costa"),
    ("2", "11", "6"),
    ("{} S.r.l.", "{} S.p.A.", "Officina {}"),
    1,
)
_REGIONS = (_SWISS_GERMAN, _SWISS_FRENCH, _SWISS_ITALIAN, _ROMANSH, _GERMANY, _FRANCE, _ITALY)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-.")).lower()


_LEGAL_FORMS = frozenset({"ag", "sa", "gmbh", "sarl", "s.r.l.", "s.p.a.", "sas", "&", "dr."})


def _domain(org: str) -> str:
    """Garage Favre SA -> garage-favre.example (RFC 2606: no real company's domain)."""
    words = [_ascii(word) for word in org.split()]
    return "-".join(w for w in words if w and w not in _LEGAL_FORMS) + ".example"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def _swiss(area: str, rest: str, national: bool) -> str:
    """079 123 45 67 or +41 79 123 45 67: address books hold both forms."""
    grouped = f"{rest[:3]} {rest[3:5]} {rest[5:]}"
    return f"0{area} {grouped}" if national else f"+41 {area} {grouped}"


def _office(rng: random.Random, region: _Region) -> str:
    area = rng.choice(region.areas)
    if region.country == "41":
        return _swiss(area, _digits(rng, 7), national=rng.random() < 0.4)
    return f"+{region.country} {area} {_digits(rng, 4)} {_digits(rng, 4 if len(area) < 3 else 3)}"


def _mobile(rng: random.Random, region: _Region) -> str:
    if region.country == "41":
        return _swiss(rng.choice(("76", "77", "78", "79")), _digits(rng, 7), rng.random() < 0.3)
    prefix = {"49": "151", "33": "6", "39": "333"}[region.country]
    return f"+{region.country} {prefix} {_digits(rng, 4)} {_digits(rng, 4)}"


def _outside(rng: random.Random, index: int, region: _Region, given: str, family: str) -> Card:
    numbers: list[tuple[str, str]] = []
    org = ""
    email = ""
    if rng.random() < 0.75:  # most are someone at a customer or a supplier
        org = rng.choice(region.companies).format(rng.choice(region.family))
        email = f"{_ascii(given)}.{_ascii(family)}@{_domain(org)}"
        numbers.append(("WORK", _office(rng, region)))
    if not numbers or rng.random() < 0.7:
        numbers.append(("CELL", _mobile(rng, region)))
    if not org and rng.random() < 0.3:
        numbers.append(("HOME", _office(rng, region)))
    return Card(f"c{index:04d}", given, family, org, email, tuple(numbers))


def outside_contacts(count: int = OUTSIDE_CONTACTS) -> list[Card]:
    """`count` contacts with distinct names, the same ones at every call."""
    rng = random.Random(_SEED)
    weights = [region.weight for region in _REGIONS]
    cards: list[Card] = []
    seen: set[tuple[str, str]] = set()
    while len(cards) < count:
        region = rng.choices(_REGIONS, weights)[0]
        given, family = rng.choice(region.given), rng.choice(region.family)
        if (given, family) in seen:
            continue
        seen.add((given, family))
        cards.append(_outside(rng, len(cards), region, given, family))
    return cards


def colleague(extension: str, name: str) -> Card:
    """A colleague of the demo company: extension, direct line and mobile."""
    given, _, family = name.partition(" ")
    email = f"{_ascii(given)}.{_ascii(family)}@{COMPANY_DOMAIN}"
    numbers = (
        ("WORK", f"+41 44 200 {extension[:2]} {extension[2:]}"),
        ("CELL", f"+41 79 100 {extension[:2]} {extension[2:]}"),
    )
    return Card(f"colleague-{extension}", given, family, COMPANY, email, numbers, extension)
