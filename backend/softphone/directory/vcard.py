"""vCard 3/4 <-> Contact with vobject; splitting a file into cards so one bad card stays alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from softphone.directory.numbers import is_numberish
from softphone.domain.directory import (
    Contact,
    ContactNumber,
    ContactSource,
    normalize_label,
)
from softphone.domain.errors import SoftphoneError

_BEGIN = re.compile(r"^BEGIN:VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"^END:VCARD\s*$", re.IGNORECASE)
_EXTENSION = re.compile(r"^[1-9][0-9]{0,5}$")


class BadCardError(ValueError):
    """A card that cannot become a contact; `reason` is a stable key for the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def split_cards(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of every BEGIN:VCARD..END:VCARD block; junk between is skipped.

    A block without END yields what it has, so the parser reports it instead of it vanishing.
    """
    start = 0
    block: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _BEGIN.match(line):
            if block is not None:
                yield start, "\n".join(block)
            block, start = [line], number
        elif block is not None:
            block.append(line)
            if _END.match(line):
                yield start, "\n".join(block) + "\n"
                block = None
    if block is not None:
        yield start, "\n".join(block)


def _text(card: Any, name: str) -> str:
    item = getattr(card, name, None)
    if item is None:
        return ""
    value = item.value
    if isinstance(value, list):  # ORG is a list of units
        value = " ".join(str(v) for v in value if v)
    return str(value).strip()


def _types(prop: Any) -> list[str]:
    types: list[str] = []
    for value in prop.params.get("TYPE", []):
        types += [t.strip() for t in str(value).split(",")]
    return types


def parse_card(text: str, source: ContactSource, uid: str | None, etag: str = "") -> Contact:
    """One vCard as a Contact; `uid` None takes the card's UID. Raises BadCardError."""
    import vobject  # here, not at the top: only contact import and CardDAV sync need it

    try:
        card = vobject.readOne(text, validate=False)
    except Exception as exc:  # vobject raises ParseError and plain ValueErrors alike
        raise BadCardError("malformed_vcard") from exc
    if card.name.upper() != "VCARD":
        raise BadCardError("malformed_vcard")
    given = family = ""
    n = getattr(card, "n", None)
    if n is not None and hasattr(n.value, "given"):
        given, family = str(n.value.given or "").strip(), str(n.value.family or "").strip()
    numbers: list[ContactNumber] = []
    extension = _text(card, "x_extension")
    for prop in card.contents.get("tel", []):
        raw = str(prop.value).strip()
        raw = raw[4:] if raw.lower().startswith("tel:") else raw
        if not raw:  # an empty TEL some address books leave behind: nothing to keep
            continue
        if not is_numberish(raw):
            raise BadCardError("invalid_number")
        types = _types(prop)
        label = normalize_label(" ".join(types)) if types else "other"
        numbers.append(ContactNumber(label, raw))
        if not extension and _EXTENSION.match(raw):
            extension = raw
    card_uid = uid if uid is not None else _text(card, "uid")
    if not card_uid:
        raise BadCardError("no_uid")
    try:
        return Contact(
            source=source,
            uid=card_uid,
            given=given,
            family=family,
            display=_text(card, "fn"),
            org=_text(card, "org"),
            email=_text(card, "email"),
            numbers=tuple(numbers),
            internal=bool(extension),
            extension=extension,
            etag=etag,
        )
    except SoftphoneError as exc:
        raise BadCardError("no_name" if exc.field == "name" else "invalid_field") from exc


def to_vcard(contact: Contact) -> str:
    """A vCard 3.0 of the contact (the version every address book imports)."""
    import vobject

    card = vobject.vCard()
    card.add("uid").value = contact.uid
    card.add("n").value = vobject.vcard.Name(family=contact.family, given=contact.given)
    card.add("fn").value = contact.name() or contact.display
    if contact.org:
        card.add("org").value = [contact.org]
    if contact.email:
        card.add("email").value = contact.email
    for number in contact.numbers:
        tel = card.add("tel")
        tel.value = number.number
        tel.type_param = {"office": "WORK", "mobile": "CELL"}.get(
            number.label, number.label.upper()
        )
    if contact.extension and all(n.number != contact.extension for n in contact.numbers):
        card.add("x-extension").value = contact.extension
    return str(card.serialize())
