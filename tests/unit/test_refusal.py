"""A refusal's Reason text and Retry-After, read from captured and hostile responses."""

from __future__ import annotations

import pytest

from softphone.domain.refusal import MAX_REASON_TEXT, Refusal, parse_refusal, parse_retry_after

# A 486 as the test's SIPp callee sent it through Kamailio (tests/sipp/uas_refuse_486.xml).
CAPTURED_486 = (
    "SIP/2.0 486 Busy Here\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:57102;rport=57102;received=127.0.0.1;branch=z9hG4bKPjx\r\n"
    'From: "1001" <sip:1001@127.0.0.1>;tag=abc\r\n'
    "To: <sip:1005@127.0.0.1>;tag=tref\r\n"
    "Call-ID: 1-2@127.0.0.1\r\n"
    "CSeq: 13924 INVITE\r\n"
    "Retry-After: 300 (back after lunch);duration=60\r\n"
    'Reason: Q.850;cause=17, SIP;cause=486;text="In a meeting\u202e\x07 until 2"\r\n'
    "Content-Length: 0\r\n\r\n"
)


def test_a_captured_refusal_gives_its_sip_reason_text_cleaned_and_its_delay() -> None:
    assert parse_refusal(CAPTURED_486) == Refusal("In a meeting until 2", 300)


def test_a_refusal_without_either_header_says_nothing() -> None:
    assert parse_refusal("SIP/2.0 603 Decline\r\nCSeq: 1 INVITE\r\n\r\n") == Refusal()


def test_the_q850_text_is_taken_when_there_is_no_sip_text() -> None:
    message = 'SIP/2.0 480 Unavailable\r\nReason: Q.850;cause=18;text="No user responding"\r\n\r\n'
    assert parse_refusal(message).reason_text == "No user responding"


def test_a_long_reason_text_is_bounded() -> None:
    message = f'SIP/2.0 486 Busy\r\nReason: SIP;cause=486;text="{"x" * 5000}"\r\n\r\n'
    assert len(parse_refusal(message).reason_text) == MAX_REASON_TEXT


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 120 (In a meeting) ;duration=60", 120),
        ("0", None),
        ("-5", None),
        ("soon", None),
        ("12345678901", None),  # more digits than a delay has
        ("999999", 86400),  # bounded to a day
        ("\u0661\u0662", None),  # Arabic-Indic digits are not delta-seconds
    ],
)
def test_retry_after_values(value: str, seconds: int | None) -> None:
    assert parse_retry_after(value) == seconds
