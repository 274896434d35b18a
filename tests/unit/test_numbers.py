"""What the user types becomes a SIP URI, or a clear invalid_number refusal."""

from __future__ import annotations

import pytest

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.numbers import dial_uri, normalize_number


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("1002", "sip:1002@pbx:5060"),
        ("+41 (0)44 123-45-67", "sip:+410441234567@pbx:5060"),
        ("*21#", "sip:*21#@pbx:5060"),
        ("tel:+41441234567", "sip:+41441234567@pbx:5060"),
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("SIP:bob@example.com;transport=tcp", "sip:bob@example.com"),
        ("carol@example.org", "sip:carol@example.org"),
    ],
)
def test_dialable_input(typed: str, uri: str) -> None:
    assert dial_uri(typed, "pbx:5060") == uri


@pytest.mark.parametrize(
    "typed", ["", "   ", "12a34", "1002<script>", "sip:@host", "x" * 300, "sip:a@b c"]
)
def test_malformed_input_is_refused(typed: str) -> None:
    with pytest.raises(SoftphoneError) as info:
        dial_uri(typed, "pbx")
    assert info.value.key is ErrorKey.INVALID_NUMBER


def test_normalize_strips_separators() -> None:
    assert normalize_number(" 044 123 45 67 ") == "0441234567"
