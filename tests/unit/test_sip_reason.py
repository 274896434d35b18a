"""The Reason header (RFC 3326) on captured CANCELs: answered elsewhere, or the caller gave up."""

from __future__ import annotations

import pytest

from softphone.domain.calls import CallDirection, EndReason
from softphone.domain.sip_reason import (
    ReasonValue,
    answered_elsewhere,
    message_reasons,
    parse_reason,
)
from softphone.engine import mapping
from softphone.engine.cancel_reasons import CancelReasons

# Captured from Kamailio 5.6 (tests/pbx) forking 1001 to the app and baresip; baresip answered.
KAMAILIO_INVITE = (
    b"INVITE sip:1001@127.0.0.1:55641;ob SIP/2.0\r\n"
    b"Record-Route: <sip:127.0.0.1:33535;lr;ftag=47b481af81a0b3a8;did=28a.a6c>\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:33535;branch=z9hG4bK09b7.42634fd1507d6c97bd5e5fc32aa7c7a7.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:47893;received=127.0.0.1;branch=z9hG4bK31c94b4556476595;"
    b"rport=47893\r\n"
    b"Contact: <sip:1003-0x5568ed49bbe0@127.0.0.1:47893>\r\n"
    b"Max-Forwards: 69\r\n"
    b"To: <sip:1001@127.0.0.1>\r\n"
    b"From: <sip:1003@127.0.0.1>;tag=47b481af81a0b3a8\r\n"
    b"Call-ID: 2e3976ba3f38b009\r\n"
    b"CSeq: 23996 INVITE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n\r\nv=0\n"
)
KAMAILIO_CANCEL = (
    b"CANCEL sip:1001@127.0.0.1:55641;ob SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:33535;branch=z9hG4bK09b7.42634fd1507d6c97bd5e5fc32aa7c7a7.0\r\n"
    b"Max-Forwards: 69\r\n"
    b"To: <sip:1001@127.0.0.1>\r\n"
    b"From: <sip:1003@127.0.0.1>;tag=47b481af81a0b3a8\r\n"
    b"Call-ID: 2e3976ba3f38b009\r\n"
    b"CSeq: 23996 CANCEL\r\n"
    b"Content-Length: 0\r\n"
    b'Reason: SIP;cause=200;text="Call completed elsewhere"\r\n\r\n'
)
CALL_ID = "2e3976ba3f38b009"

# As other PBXs write them (their source): Asterisk res_pjsip_rfc3326 adds the SIP value and a
# Q.850 one (hangup cause 26, AST_CAUSE_ANSWERED_ELSEWHERE) as two headers; FreeSWITCH
# mod_sofia sends the SIP value for LOSE_RACE/PICKED_OFF, else Q.850 or SIP with its cause name.
ASTERISK = 'Reason: SIP;cause=200;text="Call completed elsewhere"\r\nReason: Q.850;cause=26\r\n'
FREESWITCH = 'Reason: SIP;cause=200;text="Call completed elsewhere"\r\n'
FREESWITCH_CALLER_GAVE_UP = 'Reason: SIP;cause=487;text="ORIGINATOR_CANCEL"\r\n'
FREESWITCH_NORMAL = 'Reason: Q.850;cause=16;text="NORMAL_CLEARING"\r\n'


def _cancel(reason_lines: str, call_id: str = CALL_ID, branch: str = "z9hG4bKb1") -> bytes:
    return (
        "CANCEL sip:1001@127.0.0.1:5070 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 CANCEL\r\n{reason_lines}Content-Length: 0\r\n\r\n"
    ).encode()


def _invite(call_id: str = CALL_ID, branch: str = "z9hG4bKb1", to_tag: str = "") -> bytes:
    to = "<sip:1001@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (
        "INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n"
        f"To: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\r\n"
    ).encode()


def test_kamailios_cancel_says_answered_elsewhere() -> None:
    values = message_reasons(KAMAILIO_CANCEL.decode())
    assert values == [ReasonValue("SIP", 200, "Call completed elsewhere")]
    assert answered_elsewhere(values)


@pytest.mark.parametrize("lines", [ASTERISK, FREESWITCH])
def test_asterisk_and_freeswitch_say_answered_elsewhere(lines: str) -> None:
    assert answered_elsewhere(message_reasons(_cancel(lines).decode()))


def test_asterisks_two_headers_are_both_read() -> None:
    assert message_reasons(_cancel(ASTERISK).decode()) == [
        ReasonValue("SIP", 200, "Call completed elsewhere"),
        ReasonValue("Q.850", 26, ""),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "Q.850;cause=26",  # non-selected user clearing: not awarded the call (decided: elsewhere)
        'q.850 ; CAUSE = 26 ; text="NON_SELECTED_USER_CLEARING"',
        'sip;cause=200;text="Call completed elsewhere"',  # protocol in any case
        'SIP ; cause = 200 ; text = "Call completed elsewhere"',  # LWS around ; and =
        'Q.850;cause=16;text="Normal, call clearing", SIP;cause=200',  # several values
        'SIP;text="a, b; c=1";cause=200',  # separators inside the quoted text
        'SIP;cause="200"',
    ],
)
def test_tolerated_spellings_of_answered_elsewhere(value: str) -> None:
    assert answered_elsewhere(parse_reason(value))


@pytest.mark.parametrize(
    "value",
    [
        FREESWITCH_CALLER_GAVE_UP.removeprefix("Reason: "),
        FREESWITCH_NORMAL.removeprefix("Reason: "),
        'SIP;cause=487;text="Request Terminated"',
        'SIP;cause=600;text="Busy Everywhere"',  # declined elsewhere: still a call not taken
        'SIP;text="Call completed elsewhere"',  # prose alone decides nothing
        'Q.850;text="cause=26"',
        "X-Vendor;cause=200",  # another protocol's 200 is not SIP's
        "SIP;cause=2OO",  # letters O
        "SIP;cause=\u0662\u0660\u0660",  # Arabic-Indic digits 200: not ASCII
        "SIP;cause=0000200",  # absurdly long
        '"SIP";cause=200',
        "",
        ";cause=200",
        "SIP;cause=",
    ],
)
def test_other_reasons_are_not_answered_elsewhere(value: str) -> None:
    assert not answered_elsewhere(parse_reason(value))


def test_a_cancel_without_reason_is_a_caller_giving_up() -> None:
    assert message_reasons(_cancel("").decode()) == []


def test_a_folded_header_is_read_and_only_reason_headers_count() -> None:
    message = _cancel("Reason: SIP;\r\n cause=200\r\nX-Reason: Q.850;cause=26\r\n").decode()
    assert message_reasons(message) == [ReasonValue("SIP", 200, "")]


def test_hostile_sizes_are_bounded() -> None:
    many = "Reason: " + ", ".join(["Q.850;cause=16"] * 5000) + "\r\n"
    assert len(message_reasons(_cancel(many * 50).decode())) <= 16
    huge = 'Reason: SIP;text="' + "x" * 100_000 + '";cause=200\r\n'
    assert not answered_elsewhere(message_reasons(_cancel(huge).decode()))  # cut, not parsed
    assert parse_reason('SIP;cause=200;text="unterminated, Q.850;cause=26') == [
        ReasonValue("SIP", 200, '"unterminated, Q.850;cause=26')
    ]


def test_the_engine_tap_matches_the_cancel_to_its_invite() -> None:
    tap = CancelReasons()
    tap.note_request(KAMAILIO_INVITE)
    tap.note_request(KAMAILIO_CANCEL)
    assert tap.answered_elsewhere(CALL_ID)
    assert not tap.answered_elsewhere(CALL_ID)  # asked once, when the call ends: forgotten


def test_a_cancel_that_matches_no_invite_branch_changes_nothing() -> None:
    tap = CancelReasons()
    tap.note_request(_invite())
    tap.note_request(_cancel(FREESWITCH, branch="z9hG4bKforged"))  # pjsip answers it 481
    assert not tap.answered_elsewhere(CALL_ID)
    tap.note_request(_cancel(FREESWITCH, call_id="other"))  # no INVITE with that Call-ID
    assert not tap.answered_elsewhere("other")
    tap.note_request(_invite(call_id="re", to_tag="t1"))  # a re-INVITE is no ringing call
    tap.note_request(_cancel(FREESWITCH, call_id="re"))
    assert not tap.answered_elsewhere("re")


def test_a_later_plain_cancel_of_the_same_invite_wins() -> None:
    tap = CancelReasons()
    tap.note_request(_invite())
    tap.note_request(_cancel(FREESWITCH))
    tap.note_request(_cancel(""))  # what pjsip acted on last: the caller gave up
    assert not tap.answered_elsewhere(CALL_ID)


def test_the_tap_remembers_a_bounded_number_of_calls() -> None:
    tap = CancelReasons()
    for n in range(1000):
        tap.note_request(_invite(call_id=f"c{n}"))
        tap.note_request(_cancel(FREESWITCH, call_id=f"c{n}"))
    assert tap.answered_elsewhere("c999") and not tap.answered_elsewhere("c0")
    assert len(tap._branches) <= 64 and len(tap._elsewhere) <= 64


def test_end_reason_of_an_incoming_call_cancelled_after_an_answer_elsewhere() -> None:
    incoming = CallDirection.INCOMING
    assert (
        mapping.end_reason(487, incoming, False, None, answered_elsewhere=True)
        is EndReason.ANSWERED_ELSEWHERE
    )
    assert mapping.end_reason(487, incoming, False, None) is EndReason.CANCELLED
    # The user acted first, or the call was talked, or no CANCEL ended it: not elsewhere.
    assert (
        mapping.end_reason(487, incoming, False, EndReason.REJECTED, answered_elsewhere=True)
        is EndReason.REJECTED
    )
    assert (
        mapping.end_reason(200, incoming, True, None, answered_elsewhere=True)
        is EndReason.HANGUP_REMOTE
    )
    assert (
        mapping.end_reason(408, incoming, False, None, answered_elsewhere=True)
        is EndReason.CANCELLED
    )
