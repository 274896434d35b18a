"""Contacts of the company directory and the personal address book, as the app sees them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event

MAX_NUMBERS = 20
MAX_TEXT = 200
_LABEL = re.compile(r"^[a-z0-9_\-]{1,32}$")


class ContactSource(StrEnum):
    """Where a contact comes from. Values are part of the wire protocol and the DB."""

    PERSONAL = "personal"
    CARDDAV = "carddav"
    LDAP = "ldap"
    PROVISIONED = "provisioned"  # the provisioning document's inline directory (read-only)


class DisplayOrder(StrEnum):
    FIRST_LAST = "first_last"  # "John Muller", sorted by first name
    LAST_FIRST = "last_first"  # "Muller, John", sorted by last name


# Labels the frontend translates; anything else a server sends is kept as "other".
LABELS = ("mobile", "office", "home", "fax", "other")


@dataclass(frozen=True, slots=True)
class ContactNumber:
    """One number of a contact; `e164` is filled by the store (empty: not a phone number)."""

    label: str
    number: str
    e164: str = ""

    def __post_init__(self) -> None:
        if not _LABEL.match(self.label):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "label")
        if not self.number.strip() or len(self.number) > 64:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "number")


@dataclass(frozen=True, slots=True)
class Contact:
    """A person or place with numbers. `uid` is unique within its source."""

    source: ContactSource
    uid: str
    given: str = ""
    family: str = ""
    display: str = ""  # the server's formatted name (vCard FN, LDAP cn): used when no parts
    org: str = ""
    numbers: tuple[ContactNumber, ...] = ()
    internal: bool = False  # a colleague on the PBX: feeds the BLF user list
    extension: str = ""
    id: int | None = None
    email: str = ""
    etag: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not (self.given.strip() or self.family.strip() or self.display.strip()):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "name")
        for name in ("given", "family", "display", "org", "email", "uid"):
            if len(getattr(self, name)) > MAX_TEXT:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
        if len(self.numbers) > MAX_NUMBERS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "numbers")

    def name(self, order: DisplayOrder = DisplayOrder.FIRST_LAST) -> str:
        """The name to show: parts in the chosen order, else the formatted name."""
        given, family = self.given.strip(), self.family.strip()
        if given and family:
            return f"{family}, {given}" if order is DisplayOrder.LAST_FIRST else f"{given} {family}"
        return given or family or self.display.strip()


def normalize_label(text: str) -> str:
    """Map the labels of vCard TYPE, CSV headers and LDAP attributes onto LABELS."""
    lowered = text.strip().lower()
    for key, words in _LABEL_WORDS:
        if any(word in lowered for word in words):
            return key
    return "other"


_LABEL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fax", ("fax",)),
    ("mobile", ("cell", "mobile", "mobil", "portable", "handy", "cellulare")),
    (
        "office",
        ("work", "business", "office", "bureau", "büro", "buero", "ufficio", "telephonenumber"),
    ),
    ("home", ("home", "domicile", "privat", "casa")),
)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How the local copy of one directory source stands."""

    source: ContactSource
    configured: bool
    syncing: bool = False
    synced_at: float | None = None  # epoch s of the last good sync
    error: ErrorKey | None = None  # why the last sync failed; the copy stays searchable
    count: int = 0
    skipped: int = 0  # entries of the last sync that could not become contacts


@dataclass(frozen=True, slots=True)
class DirectoryChanged(Event):
    """Contacts were added, changed or deleted: shown search results may be stale."""


@dataclass(frozen=True, slots=True)
class DirectoryStatusChanged(Event):
    statuses: tuple[SourceStatus, ...]
