"""Caller identity parsing on hostile and ordinary From headers."""

from __future__ import annotations

from softphone.domain.identity import clean_text, header_value, number_from_uri, parse_name_addr


def test_quoted_display_name_and_uri() -> None:
    party = parse_name_addr('"Hélène Dupont" <sip:1002@pbx.example.com>;tag=abc')
    assert (party.display_name, party.uri, party.number) == (
        "Hélène Dupont",
        "sip:1002@pbx.example.com",
        "1002",
    )


def test_unquoted_display_name() -> None:
    party = parse_name_addr("Bob <sip:+41441234567@pbx;user=phone>;tag=1")
    assert party.display_name == "Bob"
    assert party.number == "+41441234567"


def test_bare_uri_without_brackets() -> None:
    party = parse_name_addr("sip:1003@pbx;tag=xyz")
    assert (party.display_name, party.uri, party.number) == ("", "sip:1003@pbx", "1003")


def test_bidi_and_control_characters_are_removed() -> None:
    assert clean_text("evil\u202emoc.\x07lab\r\nx", 50) == "evilmoc.lab x"


def test_long_display_name_is_bounded() -> None:
    party = parse_name_addr('"' + "A" * 5000 + '" <sip:1@h>')
    assert len(party.display_name) == 128
    assert party.number == "1"


def test_escaped_quote_in_display_name() -> None:
    assert parse_name_addr(r'"say \"hi\"" <sip:1@h>').display_name == 'say "hi"'


def test_script_tags_stay_plain_text() -> None:
    party = parse_name_addr('"<script>alert(1)</script>" <sip:1@h>')
    assert party.display_name == "<script>alert(1)</script>"


def test_number_from_tel_and_sips_uris() -> None:
    assert number_from_uri("tel:+41441234567;phone-context=x") == "+41441234567"
    assert number_from_uri("sips:alice@example.com") == "alice"


def test_header_value_finds_compact_form() -> None:
    msg = "INVITE sip:a@b SIP/2.0\r\nf: <sip:9@h>;tag=1\r\nTo: <sip:a@b>\r\n\r\nv=0\r\nf: nope"
    assert header_value(msg, "From", "f") == "<sip:9@h>;tag=1"
    assert header_value(msg, "Contact", "m") is None


def test_any_quoted_pair_in_a_display_name_stands_for_its_character() -> None:
    party = parse_name_addr('"Bob \\x\\\x07\\\\ \\"B\\"" <sip:1099@example.com>;tag=1')
    assert party.display_name == 'Bob x\\ "B"'
