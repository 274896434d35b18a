"""Call handling end to end: hold, mute, call waiting, the call limit, transfer, conference.

The app plays 1000 Hz into every call; peers record what they receive, so "the peer stops
hearing us" is measured on the peer's recording, segment by segment, against the times the
UI saw each state change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in
from support.engine_watch import kill_engine

pytestmark = pytest.mark.integration

APP_TONE = 1000


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(tmp_path / "app", play_wav=wav, record_dir=tmp_path / "rec") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    client = UiClient(app)
    reply = sign_in(client, kamailio.port, "1001", kamailio.users["1001"])
    assert reply == {"ok": True, "result": {}}
    yield client
    client.close()


def _ok(reply: dict[str, Any]) -> None:
    assert reply == {"ok": True, "result": {}}, reply


def _finished_recording(peer: PjPeer, leg_index: int = 0) -> Path:
    """The peer's recording of one finished call (the WAV is complete a tick later)."""
    status = peer.wait_until(lambda st: len(st["finished"]) > leg_index)
    time.sleep(0.3)
    return Path(status["finished"][leg_index]["recording"])


class Timeline:
    """Seconds since the call connected, to cut the peer's recording into segments."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0


def _has_tone(wav: Path, start: float, end: float, freq: float = APP_TONE) -> bool:
    assert end - start > 0.4, "segment too short to judge"
    return tones.tone_power_ratio(wav, freq, start, end) > 0.5 and not tones.is_silent(
        wav, -40.0, start, end
    )


def test_hold_silences_us_for_the_peer_and_resume_brings_the_audio_back(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    peer = pj_peer_factory("1002", mode="silent")
    call_id = ui.dial_connected("1002")
    line = Timeline()
    time.sleep(1.5)
    t_hold, mark = line.now(), ui.mark()
    _ok(ui.command("call.hold", call_id=call_id))
    held = ui.wait_call(call_id, "held", mark)
    assert held["held"] is True
    t_held = line.now()
    assert ui.command("call.hold", call_id=call_id)["error"] == "invalid_state"
    time.sleep(1.5)
    t_resume, mark = line.now(), ui.mark()
    _ok(ui.command("call.resume", call_id=call_id))
    assert ui.wait_call(call_id, "connected", mark)["held"] is False
    t_resumed = line.now()
    time.sleep(1.5)
    t_end = line.now()
    _ok(ui.command("call.hangup", call_id=call_id))

    wav = _finished_recording(peer)
    assert _has_tone(wav, 0.3, t_hold - 0.1)
    assert tones.is_silent(wav, -45.0, t_held + 0.3, t_resume - 0.1)
    assert _has_tone(wav, t_resumed + 0.4, t_end - 0.1)


def test_mute_sends_silence_and_unmute_sends_the_microphone_again(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    peer = pj_peer_factory("1002", mode="silent")
    call_id = ui.dial_connected("1002")
    line = Timeline()
    time.sleep(1.2)
    t_mute, mark = line.now(), ui.mark()
    _ok(ui.command("call.mute", call_id=call_id, muted=True))
    muted = ui.wait_for(
        lambda e: e.get("type") == "call_changed" and e["call"]["muted"] is True, start=mark
    )
    assert muted["call"]["state"] == "connected"
    t_muted = line.now()
    time.sleep(1.2)
    t_unmute, mark = line.now(), ui.mark()
    _ok(ui.command("call.mute", call_id=call_id, muted=False))
    ui.wait_for(
        lambda e: e.get("type") == "call_changed" and e["call"]["muted"] is False, start=mark
    )
    t_unmuted = line.now()
    time.sleep(1.2)
    t_end = line.now()
    assert ui.command("call.mute", call_id=call_id, muted="yes")["error"] == "invalid_argument"
    _ok(ui.command("call.hangup", call_id=call_id))

    wav = _finished_recording(peer)
    assert _has_tone(wav, 0.3, t_mute - 0.1)
    assert tones.is_silent(wav, -45.0, t_muted + 0.2, t_unmute - 0.1)
    assert _has_tone(wav, t_unmuted + 0.2, t_end - 0.1)


def test_dialing_a_second_call_puts_the_first_on_hold_and_the_fifth_call_is_refused(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    pj_peer_factory("1002", mode="echo")
    first = ui.dial_connected("1002")
    mark = ui.mark()
    second = ui.dial_connected("1002")
    ui.wait_call(first, "held", mark)
    # Resuming the held call puts the talking one on hold first (double-click in the UI).
    mark = ui.mark()
    _ok(ui.command("call.resume", call_id=first))
    ui.wait_call(second, "held", mark)
    ui.wait_call(first, "connected", mark)
    ui.dial_connected("1002")
    ui.dial_connected("1002")
    reply = ui.command("call.dial", number="1002")
    assert reply == {"ok": False, "error": "too_many_calls", "field": None}
    states = [c["state"] for c in _snapshot_calls(ui)]
    assert sorted(states) == ["connected", "held", "held", "held"]


def _snapshot_calls(ui: UiClient) -> list[dict[str, Any]]:
    """The latest state of every call, as the event stream tells it."""
    calls: dict[str, dict[str, Any]] = {}
    for event in ui.events:
        if event.get("type") == "call_changed":
            calls[event["call"]["id"]] = event["call"]
        elif event.get("type") == "call_removed":
            calls.pop(event["call_id"], None)
    return list(calls.values())


def test_call_waiting_on_rings_the_second_call_and_answering_it_holds_the_first(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer], baresip_factory: Callable[..., Baresip]
) -> None:
    pj_peer_factory("1002", mode="silent")
    caller = baresip_factory("1003")
    first = ui.dial_connected("1002")
    mark = ui.mark()
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    assert _snapshot_calls(ui)[0]["state"] == "connected"
    mark = ui.mark()
    _ok(ui.command("call.answer", call_id=ringing["id"]))
    ui.wait_call(first, "held", mark)
    ui.wait_call(ringing["id"], "connected", mark)


def test_call_waiting_off_refuses_a_second_call_with_486(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer], baresip_factory: Callable[..., Baresip]
) -> None:
    pj_peer_factory("1002", mode="silent")
    caller = baresip_factory("1003")
    mark = ui.mark()
    _ok(ui.command("settings.update", call_waiting=False))
    changed = ui.wait_for(lambda e: e.get("type") == "settings_changed", start=mark)
    assert changed["settings"]["call_waiting"] is False
    first = ui.dial_connected("1002")
    mark, caller_mark = ui.mark(), caller.mark()
    caller.dial("1001")
    closed = caller.wait_for_event("CALL_CLOSED", start=caller_mark)
    assert "486" in json.dumps(closed), closed
    ended = ui.wait_call_state("ended", start=mark)
    assert ended["direction"] == "incoming" and ended["end_reason"] == "busy_refused"
    assert not any(
        e.get("type") == "call_changed" and e["call"]["state"] == "ringing_in"
        for e in ui.events[mark:]
    )
    ui.wait_for(lambda e: e == {"type": "call_removed", "call_id": ended["id"]}, start=mark)
    assert [c["id"] for c in _snapshot_calls(ui)] == [first]
    # Back on: the next caller rings again.
    _ok(ui.command("settings.update", call_waiting=True))
    mark = ui.mark()
    caller.dial("1001")
    ui.wait_call_state("ringing_in", start=mark)


def test_blind_transfer_hands_the_peer_over_and_ends_our_call(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer], baresip_factory: Callable[..., Baresip]
) -> None:
    transferee = baresip_factory("1002", answermode="auto")
    target = pj_peer_factory("1003", mode="silent")
    call_id = ui.dial_connected("1002")
    mark = ui.mark()
    _ok(ui.command("call.transfer", call_id=call_id, target="1003"))
    ended = ui.wait_call(call_id, "ended", mark)
    assert ended["end_reason"] == "transferred"
    status = target.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )
    assert len(status["calls"]) == 1
    transferee.wait_for_event("CALL_ESTABLISHED", start=0)


def test_conference_mixes_both_peers_and_us(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    talker = pj_peer_factory("1002", mode="tone", tone_hz=600)
    listener = pj_peer_factory("1003", mode="silent")
    first = ui.dial_connected("1002")
    second = ui.dial_connected("1003")
    line = Timeline()
    assert ui.command("call.transfer_attended", call_id=first, to_call_id=first)["ok"] is False
    time.sleep(1.2)
    t_conf, mark = line.now(), ui.mark()
    _ok(ui.command("call.conference"))
    for call_id in (first, second):
        ui.wait_for(
            lambda e, cid=call_id: (
                e.get("type") == "call_changed"
                and e["call"]["id"] == cid
                and e["call"]["conference"] is True
                and e["call"]["state"] == "connected"
            ),
            start=mark,
        )
    t_mixed = line.now()
    time.sleep(1.5)
    t_end = line.now()
    _ok(ui.command("call.hangup", call_id=second))
    wav = _finished_recording(listener)
    # Before: only our tone (the talker is on hold); after: the talker's 600 Hz too.
    assert tones.tone_power_ratio(wav, 600, 0.3, t_conf - 0.1) < 0.05
    assert tones.tone_power_ratio(wav, 600, t_mixed + 0.4, t_end - 0.1) > 0.2
    assert tones.tone_power_ratio(wav, APP_TONE, t_mixed + 0.4, t_end - 0.1) > 0.2
    assert talker.status()["calls"]


def test_attended_transfer_connects_both_peers_and_ends_both_our_calls(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    transferee = pj_peer_factory("1002", mode="silent")
    pj_peer_factory("1003", mode="tone", tone_hz=600)
    first = ui.dial_connected("1002")
    second = ui.dial_connected("1003")
    mark = ui.mark()
    _ok(ui.command("call.transfer_attended", call_id=first, to_call_id=second))
    for call_id in (first, second):
        assert ui.wait_call(call_id, "ended", mark)["end_reason"] == "transferred"
    # The transferee now talks to 1003 directly: it hears 1003's 600 Hz tone.
    transferee.wait_until(
        lambda st: any(not c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"])
    )
    time.sleep(1.5)
    transferee.hangup()
    wav = _finished_recording(transferee, 1)  # its second call: the one REFER made
    assert tones.tone_power_ratio(wav, 600, 0.3, None) > 0.5


def test_call_waiting_off_is_replayed_after_an_engine_restart(
    app: SoftphoneApp,
    ui: UiClient,
    pj_peer_factory: Callable[..., PjPeer],
    baresip_factory: Callable[..., Baresip],
) -> None:
    pj_peer_factory("1002", mode="silent")
    caller = baresip_factory("1003")
    _ok(ui.command("settings.update", call_waiting=False))
    old_pid = app.engine.pid
    assert old_pid is not None
    mark = ui.mark()
    kill_engine(app)  # a native crash, as far as the app can tell
    ui.wait_for(
        lambda e: (
            e.get("type") == "registration_changed" and e["registration"]["state"] == "registered"
        ),
        timeout=15.0,
        start=mark,
    )
    assert app.engine.pid != old_pid
    ui.dial_connected("1002")
    mark, caller_mark = ui.mark(), caller.mark()
    caller.dial("1001")
    assert "486" in json.dumps(caller.wait_for_event("CALL_CLOSED", start=caller_mark))
    assert ui.wait_call_state("ended", start=mark)["end_reason"] == "busy_refused"
