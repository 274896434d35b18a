"""Personal contacts to and from vCard and CSV files, with a report of what was rejected."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from softphone.directory.numbers import is_numberish
from softphone.directory.vcard import BadCardError, parse_card, split_cards, to_vcard
from softphone.domain.directory import (
    LABELS,
    Contact,
    ContactNumber,
    ContactSource,
    normalize_label,
)
from softphone.domain.errors import SoftphoneError

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_REPORTED = 200  # a file of garbage must not make a report bigger than itself

CSV_COLUMNS = ("given", "family", "display", "org", "email", *LABELS)
# A spreadsheet reads a cell starting with = + - @ tab or CR as a formula (OWASP "CSV
# injection"): such cells are written behind a "'" and read back without it. Cells that would
# look escaped get one more ("'=x" is written "''=x"), so every text round-trips exactly.
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")

# Header spellings of common exports (Outlook, Google, our own) -> our column.
_NAME_HEADERS = {
    "given": ("given", "first name", "firstname", "given name", "prénom", "vorname", "nome"),
    "family": ("family", "last name", "lastname", "surname", "family name", "nom", "nachname"),
    "display": ("display", "name", "full name", "display name", "fn"),
    "org": ("org", "company", "organization", "organisation", "firma", "société"),
    "email": ("email", "e-mail", "e-mail address", "mail"),
}


class ImportFormat(StrEnum):
    VCARD = "vcard"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int  # 1-based line in the file (a card's BEGIN line)
    reason: str  # no_name | invalid_number | malformed_vcard | malformed_csv | invalid_field


@dataclass(slots=True)
class ImportResult:
    contacts: list[Contact] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(Rejected(line, reason))


def parse_import(fmt: ImportFormat, data: str) -> ImportResult:
    """Contacts found in `data` (all new personal ones, fresh uids) and the rejected lines.

    Raises BadCardError("bad_encoding") for text that is no Unicode (a lone surrogate, as
    JSON "\\ud800" decodes to: SQLite and vobject fail on it later, far from the cause), and
    BadCardError("too_large") over MAX_IMPORT_BYTES of UTF-8.
    """
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadCardError("bad_encoding") from exc
    if size > MAX_IMPORT_BYTES:
        raise BadCardError("too_large")
    data = data.removeprefix("\ufeff")  # Excel writes a BOM in front of UTF-8 CSV
    if fmt is ImportFormat.VCARD:
        return _parse_vcards(data)
    return _parse_csv(data)


def _parse_vcards(data: str) -> ImportResult:
    result = ImportResult()
    for line, text in split_cards(data):
        try:
            contact = parse_card(text, ContactSource.PERSONAL, uid=str(uuid.uuid4()))
        except BadCardError as exc:
            result.reject(line, exc.reason)
            continue
        result.contacts.append(contact)
    return result


def _column_map(header: list[str]) -> dict[int, str]:
    """Index -> our column name (a name field or a number label) for each known header."""
    mapping: dict[int, str] = {}
    for index, title in enumerate(header):
        key = title.strip().lower()
        for column, spellings in _NAME_HEADERS.items():
            if key in spellings:
                mapping[index] = column
                break
        else:
            if any(w in key for w in ("phone", "tel", "mobile", "fax", "number", "nummer")):
                mapping[index] = "num:" + normalize_label(key)
            elif key in LABELS:
                mapping[index] = "num:" + key
    return mapping


def _parse_csv(data: str) -> ImportResult:
    result = ImportResult()
    # The header decides the delimiter: csv.Sniffer guesses wrong on short files with
    # "; " inside cells (several numbers), and European Excel writes ";".
    first = data.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        result.reject(1, "malformed_csv")
        return result
    mapping = _column_map(header)
    if not any(v in ("given", "family", "display") for v in mapping.values()):
        result.reject(1, "malformed_csv")  # no name column: nothing can be read
        return result
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            result.reject(line, "malformed_csv")
            continue
        if not any(cell.strip() for cell in row):
            continue
        try:
            result.contacts.append(_csv_contact(row, mapping))
        except BadCardError as exc:
            result.reject(reader.line_num, exc.reason)
    return result


def _csv_contact(row: list[str], mapping: dict[int, str]) -> Contact:
    fields: dict[str, str] = {}
    numbers: list[ContactNumber] = []
    for index, cell in enumerate(row):
        column = mapping.get(index)
        value = unquote_cell(cell).strip()
        if column is None or not value:
            continue
        if column.startswith("num:"):
            for raw in (part.strip() for part in value.split(";")):
                if not raw:
                    continue
                if not is_numberish(raw) or len(raw) > 64:
                    raise BadCardError("invalid_number")
                numbers.append(ContactNumber(column[4:], raw))
        else:
            fields[column] = value
    try:
        return Contact(
            ContactSource.PERSONAL,
            str(uuid.uuid4()),
            given=fields.get("given", ""),
            family=fields.get("family", ""),
            display=fields.get("display", ""),
            org=fields.get("org", ""),
            email=fields.get("email", ""),
            numbers=tuple(numbers),
        )
    except SoftphoneError as exc:
        raise BadCardError("no_name" if exc.field == "name" else "invalid_field") from exc


def export(fmt: ImportFormat, contacts: list[Contact]) -> str:
    """The contacts as one vCard file or one CSV file (our column set, UTF-8)."""
    if fmt is ImportFormat.VCARD:
        return "".join(to_vcard(c) for c in contacts)
    out = io.StringIO(newline="")
    # Every cell quoted: a spreadsheet that splits on ";" (European Excel) instead of ","
    # must not find a new cell, starting with "=", in the middle of a name.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for c in contacts:
        by_label = {
            label: " ; ".join(n.number for n in c.numbers if n.label == label) for label in LABELS
        }
        row = [c.given, c.family, c.display, c.org, c.email, *by_label.values()]
        writer.writerow([quote_cell(cell) for cell in row])
    return out.getvalue()


def quote_cell(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs as a formula ("+41..." becomes "'+41...")."""
    return "'" + text if _NEEDS_QUOTE.match(text) else text


def unquote_cell(text: str) -> str:
    """The visible text of a cell `quote_cell` wrote (or a spreadsheet saved with a "'")."""
    return text[1:] if _QUOTED.match(text) else text
