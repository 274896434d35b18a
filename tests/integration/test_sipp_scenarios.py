"""What clients rarely send, sent by SIPp through the test Kamailio (tests/sipp/*.xml).

Each scenario checks the app's SIP answers itself (expected responses, `ereg check_it` on
headers and SDP: sipp exits non-zero otherwise); each test also checks what the app showed
(the UI's call events). One app and one Kamailio serve the module: the app is signed in as
1001, sipp calls as 1005 (digest auth) or is called as 1005 (registered by sipp itself).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx.kamailio import Kamailio
from pbx.sipp import Sipp, register
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, registration_event, running_app, sign_in

pytestmark = pytest.mark.integration

CALLER = "1005"  # sipp's extension


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    pbx = Kamailio(work_dir=tmp_path_factory.mktemp("sipp-pbx") / "kamailio")
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path_factory.mktemp("sipp-app") / "app") as running:
        yield running


@pytest.fixture(scope="module")
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    client = UiClient(app)
    assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    client.wait_for(registration_event("registered"), timeout=10)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _no_call_left(app: SoftphoneApp, ui: UiClient) -> Iterator[None]:
    """Every scenario ends with no call at the app (no ghost card, nothing left ringing)."""
    yield
    for call in app.calls.snapshots():
        ui.command("call.hangup", call_id=call.id)
        pytest.fail(f"a call was left at the app: {call}")


def _caller(kamailio: Kamailio, scenario: str, tmp_path: Path, **kw: Any) -> Sipp:
    """sipp calling the app (1001) through the PBX as 1005."""
    return Sipp(
        scenario,
        tmp_path / "sipp",
        kamailio.address,
        user=CALLER,
        password=kamailio.users[CALLER],
        **kw,
    )


def _callee(kamailio: Kamailio, scenario: str, tmp_path: Path, **kw: Any) -> Sipp:
    """sipp registered as 1005, waiting for the app's call."""
    sipp = Sipp(scenario, tmp_path / "sipp", None, **kw)
    register(tmp_path, kamailio.port, CALLER, kamailio.users[CALLER], port=sipp.port)
    return sipp


def _ended(ui: UiClient, call_id: str, start: int, timeout: float = 15.0) -> dict[str, Any]:
    return ui.wait_call(call_id, "ended", start, timeout)


def _ringing_from_sipp(ui: UiClient, start: int) -> dict[str, Any]:
    call = ui.wait_call_state("ringing_in", timeout=15, start=start)
    assert call["number"] == CALLER, call
    return call


def _audio_received(ui: UiClient, call_id: str, start: int) -> dict[str, Any]:
    """The first media sample of `call_id` in which the app received RTP (sipp echoes it)."""
    event = ui.wait_for(
        lambda e: (
            e.get("type") == "call_quality"
            and e["quality"]["call_id"] == call_id
            and e["quality"]["rx_packets"] > 0
        ),
        timeout=10,
        start=start,
    )
    quality: dict[str, Any] = event["quality"]
    return quality


# --- 1. delayed offer ----------------------------------------------------------------------


def test_a_delayed_offer_invite_is_answered_with_an_offer_and_audio_flows(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    mark = ui.mark()
    sipp = _caller(kamailio, "uac_delayed_offer.xml", tmp_path).start()
    try:
        call = _ringing_from_sipp(ui, mark)
        assert ui.command("call.answer", call_id=call["id"])["ok"]
        ui.wait_call(call["id"], "connected", mark)
        quality = _audio_received(ui, call["id"], mark)
        assert quality["tx_packets"] > 0
        assert ui.command("call.hangup", call_id=call["id"])["ok"]
        sipp.wait()
        assert _ended(ui, call["id"], mark)["end_reason"] == "hangup_local"
    finally:
        sipp.stop()


def test_a_delayed_offer_invite_in_dnd_gets_486_and_the_engine_lives(
    app: SoftphoneApp, kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    assert ui.command("settings.update", dnd=True)["ok"]
    try:
        mark = ui.mark()
        sipp = _caller(kamailio, "uac_delayed_offer_refused.xml", tmp_path).start()
        try:
            sipp.wait()
        finally:
            sipp.stop()
        ended = ui.wait_call_state("ended", timeout=5, start=mark)
        assert ended["end_reason"] == "refused_dnd"
        assert not [
            e
            for e in ui.events[mark:]
            if e.get("type") == "call_changed" and e["call"]["state"] == "ringing_in"
        ]  # refused before ringing: never shown ringing
    finally:
        assert ui.command("settings.update", dnd=False)["ok"]
    assert app.engine.exitcode is None  # still running (engine_watch checks restarts too)


# --- 2, 3, 4. re-INVITE without SDP, UPDATE, 100rel ------------------------------------------


def _answer_and_wait_remote_hangup(
    ui: UiClient, sipp: Sipp, start: int, answer_after_s: float = 0.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Answer sipp's call, let its scenario run to its BYE; the ended call and the media
    samples taken while it was up."""
    call = _ringing_from_sipp(ui, start)
    if answer_after_s:
        time.sleep(answer_after_s)  # sipp's early-dialog requests go first
    assert ui.command("call.answer", call_id=call["id"])["ok"]
    ui.wait_call(call["id"], "connected", start)
    sipp.wait()
    ended = _ended(ui, call["id"], start)
    assert ended["end_reason"] == "hangup_remote", ended
    states = [
        e["call"]["state"]
        for e in ui.events[start:]
        if e.get("type") == "call_changed" and e["call"]["id"] == call["id"]
    ]
    samples = [
        e["quality"]
        for e in ui.events[start:]
        if e.get("type") == "call_quality" and e["quality"]["call_id"] == call["id"]
    ]
    assert "held" not in states, states  # a re-offer is not a hold
    return ended, samples


@pytest.mark.parametrize(
    ("scenario", "answer_after_s"),
    [
        ("uac_reinvite_no_sdp.xml", 0.0),  # the app offers in the re-INVITE's 200
        ("uac_update.xml", 1.0),  # early UPDATE, then UPDATE with an offer once connected
        ("uac_100rel.xml", 1.0),  # reliable 180, PRACKed
        ("uac_timers_app_not_refresher.xml", 0.0),  # 1005 refreshes (UPDATE, re-INVITE)
    ],
)
def test_mid_call_requests_are_answered_and_the_call_goes_on(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path, scenario: str, answer_after_s: float
) -> None:
    mark = ui.mark()
    sipp = _caller(kamailio, scenario, tmp_path).start()
    try:
        _ended_call, samples = _answer_and_wait_remote_hangup(ui, sipp, mark, answer_after_s)
    finally:
        sipp.stop()
    assert samples and samples[-1]["rx_packets"] > 0, samples  # audio until the end


# --- 5. session timers ---------------------------------------------------------------------


def test_as_session_refresher_the_app_refuses_a_short_interval_and_refreshes_in_time(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    """422 below its Min-SE (90 s), then its own UPDATE within the 90 s interval (~45 s in)."""
    mark = ui.mark()
    sipp = _caller(kamailio, "uac_timers_app_refresher.xml", tmp_path, timeout_s=90).start()
    try:
        call = _ringing_from_sipp(ui, mark)
        assert ui.command("call.answer", call_id=call["id"])["ok"]
        ui.wait_call(call["id"], "connected", mark)
        sipp.wait()
    finally:
        sipp.stop()
    assert _ended(ui, call["id"], mark)["end_reason"] == "hangup_remote"
    # The INVITE refused with 422 never showed: it used to ring and end as a missed call.
    shown = {e["call"]["id"] for e in ui.events[mark:] if e.get("type") == "call_changed"}
    assert shown == {call["id"]}


# --- 7. CANCEL and BYE races ---------------------------------------------------------------


def test_a_cancel_crossing_the_answer_leaves_the_call_up(
    app: SoftphoneApp, ui: UiClient, tmp_path: Path
) -> None:
    mark = ui.mark()
    sipp = Sipp(
        "uac_cancel_after_200.xml", tmp_path / "sipp", f"127.0.0.1:{app.engine.sip_port}"
    ).start()
    try:
        _answer_and_wait_remote_hangup(ui, sipp, mark)
    finally:
        sipp.stop()


@pytest.mark.parametrize("scenario", ["uac_bye_after_ack.xml", "uac_bye_before_ack.xml"])
def test_a_bye_at_once_after_or_before_the_ack_ends_the_call(
    app: SoftphoneApp, kamailio: Kamailio, ui: UiClient, tmp_path: Path, scenario: str
) -> None:
    mark = ui.mark()
    sipp = _caller(kamailio, scenario, tmp_path).start()
    try:
        call = _ringing_from_sipp(ui, mark)
        assert ui.command("call.answer", call_id=call["id"])["ok"]
        sipp.wait()
    finally:
        sipp.stop()
    ended = _ended(ui, call["id"], mark)
    assert ended["end_reason"] == "hangup_remote", (ended["end_reason"], ended["sip_code"])
    time.sleep(1.0)  # a late ACK or a 200 retransmission must not bring a card back
    assert app.calls.snapshots() == []
    states = [
        e["call"]["state"]
        for e in ui.events[mark:]
        if e.get("type") == "call_changed" and e["call"]["id"] == call["id"]
    ]
    assert states[-1] == "ended" and states.count("ended") == 1, states


# --- 11. OPTIONS -----------------------------------------------------------------------------


def test_an_options_from_the_pbx_gets_200_with_allow_accept_and_supported(
    app: SoftphoneApp, ui: UiClient, tmp_path: Path
) -> None:
    sipp = Sipp("options.xml", tmp_path / "sipp", f"127.0.0.1:{app.engine.sip_port}").start()
    try:
        sipp.wait()
    finally:
        sipp.stop()


# --- the app calls sipp: 4. reliable 183, 5. 422, 6. early media --------------------------


def _dial_sipp(ui: UiClient) -> str:
    reply = ui.command("call.dial", number=CALLER)
    assert reply["ok"], reply
    call_id: str = reply["result"]["call_id"]
    return call_id


@pytest.mark.parametrize(
    "scenario",
    [
        "uas_early_media.xml",  # 183 with SDP, then 200
        "uas_100rel.xml",  # reliable 183: PRACKed
        "uas_422.xml",  # 422 Min-SE 1900: called again with Session-Expires >= 1900
    ],
)
def test_calling_a_peer_with_early_media_reliable_183_or_422_connects(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path, scenario: str
) -> None:
    sipp = _callee(kamailio, scenario, tmp_path).start()
    try:
        mark = ui.mark()
        call_id = _dial_sipp(ui)
        if scenario != "uas_422.xml":
            ringing = ui.wait_call(call_id, "ringing_out", mark)
            assert ringing["sip_code"] == 183, ringing
        ui.wait_call(call_id, "connected", mark)
        _audio_received(ui, call_id, mark)
        assert ui.command("call.hangup", call_id=call_id)["ok"]
        sipp.wait()
    finally:
        sipp.stop()
    assert _ended(ui, call_id, mark)["end_reason"] == "hangup_local"


# --- 8. redirects ----------------------------------------------------------------------------


def test_a_302_to_another_extension_of_the_pbx_is_followed(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    target = f"sip:1006@{kamailio.address}"
    sipp = _callee(kamailio, "uas_redirect.xml", tmp_path, variables={"target": target})
    register(tmp_path / "1006", kamailio.port, "1006", kamailio.users["1006"], port=sipp.port)
    sipp.start()
    try:
        mark = ui.mark()
        call_id = _dial_sipp(ui)
        ui.wait_call(call_id, "connected", mark)
        assert ui.command("call.hangup", call_id=call_id)["ok"]
        sipp.wait()
    finally:
        sipp.stop()
    assert _ended(ui, call_id, mark)["end_reason"] == "hangup_local"


def test_a_302_to_a_host_that_is_not_the_pbx_is_not_followed(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    target = "sip:1006@127.0.0.3:5099"  # not the PBX: the dialling rule forbids it
    sipp = _callee(kamailio, "uas_redirect_foreign.xml", tmp_path, variables={"target": target})
    sipp.start()
    try:
        mark = ui.mark()
        call_id = _dial_sipp(ui)
        ended = _ended(ui, call_id, mark)
        sipp.wait()
    finally:
        sipp.stop()
    assert (ended["end_reason"], ended["sip_code"]) == ("redirect_refused", 302), ended
    assert "connected" not in {
        e["call"]["state"] for e in ui.events[mark:] if e.get("type") == "call_changed"
    }


# --- 9. refusals with Reason and Retry-After -------------------------------------------------


@pytest.mark.parametrize(("code", "end_reason"), [(486, "busy"), (603, "declined")])
def test_a_refusal_with_reason_and_retry_after_is_shown(
    kamailio: Kamailio, ui: UiClient, tmp_path: Path, code: int, end_reason: str
) -> None:
    # The text is hostile: a bidi override and a control character must not reach the card.
    variables = {
        "retry": "300 (back after lunch);duration=60",
        "reason": f'Q.850;cause=17, SIP;cause={code};text="In a meeting\u202e\x07 until 2"',
    }
    sipp = _callee(kamailio, f"uas_refuse_{code}.xml", tmp_path, variables=variables).start()
    try:
        mark = ui.mark()
        call_id = _dial_sipp(ui)
        ended = _ended(ui, call_id, mark)
        sipp.wait()
    finally:
        sipp.stop()
    assert (ended["end_reason"], ended["sip_code"]) == (end_reason, code), ended
    assert ended["retry_after_s"] == 300
    assert ended["reason_text"] == "In a meeting until 2"


# --- 10. two 200s for one INVITE ---------------------------------------------------------------


def test_two_forked_200s_keep_one_call_and_the_other_dialog_is_ended(
    app: SoftphoneApp, kamailio: Kamailio, ui: UiClient, tmp_path: Path
) -> None:
    # Two sipps registered as 1005 (two +sip.instance): Kamailio forks the app's INVITE to
    # both, both answer 200, and the proxy relays both 200s (RFC 3261 16.7), as after a
    # forking PBX. Each sipp checks its ACK and its BYE: the app must keep one dialog and
    # end the other at once (RFC 3261 13.2.2.4).
    branches = []
    for fork in (1, 2):
        work = tmp_path / f"fork{fork}"
        work.mkdir()
        branch = Sipp("uas_answer.xml", work / "sipp", None)
        password = kamailio.users[CALLER]
        register(work, kamailio.port, CALLER, password, port=branch.port, instance=fork)
        branches.append(branch.start())
    try:
        mark = ui.mark()
        call_id = _dial_sipp(ui)
        ui.wait_call(call_id, "connected", mark)
        time.sleep(1.0)  # the second 200 is ACKed and BYEd meanwhile
        assert [c.id for c in app.calls.snapshots()] == [call_id]  # one call, no ghost
        assert ui.command("call.hangup", call_id=call_id)["ok"]
        for branch in branches:
            branch.wait()
    finally:
        for branch in branches:
            branch.stop()
    shown = {e["call"]["id"] for e in ui.events[mark:] if e.get("type") == "call_changed"}
    assert shown == {call_id}
