"""The linphonec driver reads call events from lines linphonec 5.1 printed (captured in runs)."""

from __future__ import annotations

from pbx.linphone import _INFO_DTMF, parse_line

REPLACES_URI = (
    "<sip:1003@127.0.0.1:54328?Require=replaces&Replaces=PItqejJ9JDP6DnTYLKfi-shTNK.6JW18"
    "%3bto-tag%3djnXns1vM.E7y2qkH.xcJK-sEyMn799mx%3bfrom-tag%3dLaKAG3A3Ub0d9BVMNmGZ9a2hfDzCnSOL>"
)


def _one(line: str) -> tuple[str, int, str, str]:
    events = parse_line(line)
    assert len(events) == 1, events
    e = events[0]
    return e.kind, e.call_id, e.peer, e.detail


def test_call_states_are_read_with_their_call_id_and_peer() -> None:
    peer = "sip:1001@127.0.0.1"
    assert _one(f"linphonec> Receiving new incoming call from {peer}, assigned id 3\n") == (
        "incoming",
        3,
        peer,
        "",
    )
    assert _one(f"Establishing call id to {peer}, assigned id 2\n") == ("outgoing", 2, peer, "")
    assert _one(f"Call 2 to {peer} in progress.") == ("progress", 2, peer, "")
    assert _one(f"linphonec> Call 2 to {peer} ringing.") == ("ringing", 2, peer, "")
    assert _one(f"Call 2 with {peer} connected.") == ("connected", 2, peer, "")
    assert _one(f"Media streams established with {peer} for call 1 (audio).") == (
        "streams_running",
        1,
        peer,
        "audio",
    )
    assert _one(f"Pausing call 3 with {peer}.") == ("pausing", 3, peer, "")
    assert _one(f"linphonec> Call 3 with {peer} is now paused.") == ("paused", 3, peer, "")
    assert _one(f"Call 1 has been paused by {peer}.") == ("paused_by_remote", 1, peer, "")
    assert _one(f"Resuming call 1 with {peer}.") == ("resuming", 1, peer, "")
    assert _one(f"Call 1 with {peer} ended (No error).") == ("ended", 1, peer, "No error")
    assert _one(f"Receiving tone # from {peer}") == ("dtmf", 0, peer, "#")
    assert _one(
        f"The distant endpoint {peer} of call 2 has been transfered, you can safely close the call."
    ) == ("transferred", 2, peer, "")


def test_a_replaces_uri_is_kept_whole_as_the_peer() -> None:
    assert _one(f"Establishing call id to {REPLACES_URI}, assigned id 4") == (
        "outgoing",
        4,
        REPLACES_URI,
        "",
    )
    assert _one(f"Media streams established with {REPLACES_URI} for call 4 (audio).") == (
        "streams_running",
        4,
        REPLACES_URI,
        "audio",
    )


def test_an_event_after_an_unterminated_message_and_its_prompt_is_found() -> None:
    line = (
        "Performing attended transfer of call 2 to call 3linphonec> "
        "Call 3 with sip:1002@127.0.0.1:43437 ended (No error)."
    )
    assert _one(line) == ("ended", 3, "sip:1002@127.0.0.1:43437", "No error")


def test_registration_answers_and_echoed_commands() -> None:
    assert _one("registered, identity=sip:1005@127.0.0.1 duration=600")[0] == "registered"
    assert _one("linphonec> registered=-1") == ("not_registered", 0, "", "-1")
    for echoed in (
        "linphonec> call sip:1001@127.0.0.1",
        "transfer 2 --to-call 3",
        "answer 1",
        "Using wav files instead of soundcard.",
        "linphonec> ",
    ):
        assert parse_line(echoed) == []


def test_info_dtmf_is_read_from_the_sip_log() -> None:
    log = (
        "2026-12-04 05:10:01:100 belle-sip-message-channel [0x1]: received [400] new bytes:\n"
        "INFO sip:1005@127.0.0.1:50623;transport=udp SIP/2.0\n"
        "CSeq: 3554 INFO\n"
        "Content-Type: application/dtmf-relay\n"
        "Content-Length:    22\n"
        "\n"
        "Signal=*\n"
        "Duration=160\n"
        "SIP/2.0 200 Ok\n"
        "Content-Type: application/dtmf-relay\n"
        "Signal=9\n"
    )
    assert _INFO_DTMF.findall(log) == ["*"]
