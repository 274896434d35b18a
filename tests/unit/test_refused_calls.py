"""Incoming INVITEs refused by pjsua itself (488) become incoming calls born ended."""

from __future__ import annotations

from softphone.domain.account import SrtpMode
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.events import EngineCallReported, Event
from softphone.engine.refused_calls import RefusedCallReporter, RefusedInviteTap

# As pjsua logs it at level 1 (seen in engine.log with a non-SRTP caller).
MEDIA_ERROR = "Error initializing media channel: Not Acceptable Here [status=170488]"


def _invite(call_id: str = "abc@host", to_tag: str = "") -> bytes:
    to = "<sip:1001@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (
        "INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\n"
        "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK1\r\n"
        'From: "Bob \u202eSmith" <sip:1002@127.0.0.1>;tag=f1\r\n'
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Type: application/sdp\r\n\r\nv=0\r\n"
    ).encode()


def _reporter() -> tuple[RefusedInviteTap, RefusedCallReporter, list[Event]]:
    tap = RefusedInviteTap()
    events: list[Event] = []
    return tap, RefusedCallReporter(tap, events.append), events


def test_an_invite_followed_by_the_488_media_error_is_reported_once_as_a_missed_call() -> None:
    tap, reporter, events = _reporter()
    tap.note_request(_invite())
    tap.offer(MEDIA_ERROR)
    tap.note_request(_invite())  # the same INVITE retransmitted, refused again
    tap.offer(MEDIA_ERROR)
    reporter.after_events(lambda: [], SrtpMode.MANDATORY)
    [event] = events
    assert isinstance(event, EngineCallReported)
    assert event.direction is CallDirection.INCOMING and event.state is CallState.ENDED
    assert event.end_reason is EndReason.ENCRYPTION_REFUSED and event.sip_code == 488
    assert event.number == "1002" and event.display_name == "Bob Smith"  # bidi stripped


def test_without_mandatory_srtp_the_reason_is_the_media_in_general() -> None:
    tap, reporter, events = _reporter()
    tap.note_request(_invite())
    tap.offer(MEDIA_ERROR)
    reporter.after_events(lambda: [], SrtpMode.OPTIONAL)
    assert [e.end_reason for e in events if isinstance(e, EngineCallReported)] == [
        EndReason.MEDIA_REFUSED
    ]


def test_reinvites_other_errors_and_known_calls_report_nothing() -> None:
    tap, reporter, events = _reporter()
    tap.offer(MEDIA_ERROR)  # no INVITE before it
    tap.note_request(_invite("re@host", to_tag="t9"))  # in-dialog: a call we already have
    tap.offer(MEDIA_ERROR)
    tap.note_request(_invite("ok@host"))
    tap.offer("Error initializing media channel: No memory [status=70007]")
    tap.note_request(b"OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n\r\n")
    tap.offer(MEDIA_ERROR)  # pinned on ok@host, a call we have: not a new missed call
    reporter.after_events(lambda: ["ok@host"], SrtpMode.MANDATORY)
    assert events == []
