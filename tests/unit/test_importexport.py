"""Personal contacts import/export: vCard and CSV round trips, bad lines reported by number."""

from __future__ import annotations

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
