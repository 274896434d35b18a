"""The dialog-info (BLF) parser on NOTIFY bodies captured from the test Kamailio, and on junk."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.domain.dialoginfo import (
    DialogInfoError,
    LineState,
    line_state,
    merge,
    parse_dialog_info,
    ringing_dialog,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dialog_info"


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _state_after(*names: str, dnd: bool = False) -> LineState:
    known: dict = {}
    for name in names:
        known = merge(known, parse_dialog_info(_load(name)))
    return line_state(known, dnd)


def test_an_early_dialog_is_ringing_with_the_tags_pickup_needs() -> None:
    info = parse_dialog_info(_load("01_early.xml"))
    assert info.entity == "sip:1002@127.0.0.1" and info.full and info.version == 2
    ringing = ringing_dialog(merge({}, info))
    assert ringing is not None
    assert ringing.call_id == "elpfFIykzKjKZrKTsJlqzMq1j5pFhJH8"
    assert ringing.local_tag and ringing.remote_tag
    assert ringing.remote_identity == "sip:1003@127.0.0.1"


def test_line_states_follow_a_call_from_ringing_to_hangup() -> None:
    assert _state_after("01_early.xml") is LineState.RINGING
    assert _state_after("02_confirmed.xml") is LineState.BUSY
    assert _state_after("03_terminated.xml") is LineState.FREE
    assert _state_after("03_terminated.xml", dnd=True) is LineState.BUSY


def test_kamailio_keeps_terminated_dialogs_in_full_state_and_they_do_not_count() -> None:
    assert _state_after("04_early_with_old_terminated.xml") is LineState.RINGING
    assert _state_after("04_early_with_old_terminated.xml", "03_terminated.xml") is LineState.FREE


def test_several_dialogs_in_one_notify_are_all_read() -> None:
    info = parse_dialog_info(_load("05_two_ringing.xml"))
    assert [d.state for d in info.dialogs] == ["early", "early", "terminated"]
    assert {d.remote_identity for d in info.dialogs} == {
        "sip:1003@127.0.0.1",
        "sip:1005@127.0.0.1",
    }
    # One answered, one still ringing: still pickable (yellow wins).
    assert _state_after("06_one_answered_one_ringing.xml") is LineState.RINGING


def test_a_partial_document_updates_what_was_known() -> None:
    early = parse_dialog_info(_load("01_early.xml"))
    partial = _load("03_terminated.xml").replace(b'state="full"', b'state="partial"')
    known = merge(merge({}, early), parse_dialog_info(partial))
    assert known == {}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<dialog-info",
        b"<presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
        b"<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='x'/>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b"<dialog-info>&lol;</dialog-info>",
        b"<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info'>"
        + b"<dialog id='x'/>" * 65
        + b"</dialog-info>",
        b"<a>" * 10 + b"x" * (70 * 1024),
        b"\xff\xfe<\x00",
    ],
)
def test_malformed_bodies_raise_the_one_parser_error(body: bytes) -> None:
    with pytest.raises(DialogInfoError):
        parse_dialog_info(body)


def test_hostile_text_is_bounded_and_printable() -> None:
    body = (
        "<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='1' state='full' "
        f"entity='sip:1002@h'><dialog id='d' call-id='{'a' * 5000}' direction='recipient'>"
        "<state>early</state><remote><identity>sip:\u202e1003@h\r\nX: y</identity></remote>"
        "</dialog></dialog-info>"
    )
    dialog = parse_dialog_info(body).dialogs[0]
    assert len(dialog.call_id) == 256
    assert dialog.remote_identity == "sip:1003@hX: y"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_but_the_parser_error(body: bytes) -> None:
    try:
        parse_dialog_info(body)
    except DialogInfoError:
        pass
