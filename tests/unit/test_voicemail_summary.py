"""Message-summary bodies (RFC 3842) as PBXs send them, and hostile ones."""

from __future__ import annotations

from softphone.domain.voicemail import MAX_COUNT, VoicemailSummary, parse_message_summary

# RFC 3842 section 5.2's example, Asterisk's (res_pjsip_mwi) and FreeSWITCH's bodies.
RFC_3842 = (
    "Messages-Waiting: yes\r\n"
    "Message-Account: sip:alice@vmail.example.com\r\n"
    "Voice-Message: 2/8 (0/2)\r\n"
    "Fax-Message: 0/0\r\n"
)
ASTERISK = (
    "Messages-Waiting: yes\r\n"
    "Message-Account: sip:*97@pbx.example.com\r\n"
    "Voice-Message: 3/1 (0/0)\r\n"
)
FREESWITCH = (
    "Messages-Waiting: no\r\nMessage-Account: sip:1001@10.0.0.1\r\nVoice-Message: 0/4 (0/0)\r\n"
)


def test_counts_and_the_mailbox_number_come_from_a_real_pbx_body() -> None:
    assert parse_message_summary(ASTERISK) == VoicemailSummary(True, 3, 1, "*97")


def test_a_mailbox_named_by_a_user_name_is_not_dialable() -> None:
    assert parse_message_summary(RFC_3842) == VoicemailSummary(True, 2, 8, "")


def test_no_messages_waiting_shows_none_new() -> None:
    assert parse_message_summary(FREESWITCH) == VoicemailSummary(False, 0, 4, "1001")


def test_yes_without_counts_is_waiting_with_unknown_count() -> None:
    assert parse_message_summary("messages-waiting:YES") == VoicemailSummary(True, 0, 0, "")


def test_bodies_that_are_not_summaries_are_refused() -> None:
    for body in ("", "garbage", "Messages-Waiting: maybe", "Voice-Message: 2/3"):
        assert parse_message_summary(body) is None


def test_hostile_bodies_are_bounded() -> None:
    huge = parse_message_summary("Messages-Waiting: yes\nVoice-Message: 999999999/5\n")
    assert huge is not None and huge.new == MAX_COUNT
    sneaky = parse_message_summary(
        "Messages-Waiting: yes\nMessage-Account: <sip:900;x=1?Replaces=a@evil.example>\n"
    )
    assert sneaky is not None and sneaky.account == "900"
    control = parse_message_summary("Messages-Waiting: yes\nMessage-Account: sip:*9\x007@h\n")
    assert control is not None and control.account in ("", "*97")
    flood = parse_message_summary("Messages-Waiting: yes\n" + "X: y\n" * 100_000)
    assert flood == VoicemailSummary(True, 0, 0, "")
