"""Do-not-disturb and client-side call forwarding with real Kamailio and pjsua2 peers.

The caller is a pj peer playing 600 Hz; the forwarding target records what it hears, so
"the caller reaches the target with audio" is measured on the target's recording.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pbx import tones
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipUdpClient
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

CALLER_TONE = 600


def _ok(reply: dict[str, Any]) -> None:
    assert reply == {"ok": True, "result": {}}, reply


def _settings(ui: UiClient, **changes: Any) -> dict[str, Any]:
    mark = ui.mark()
    _ok(ui.command("settings.update", **changes))
    event = ui.wait_for(lambda e: e.get("type") == "settings_changed", start=mark)
    settings: dict[str, Any] = event["settings"]
    return settings


def _caller_closed_with(caller: PjPeer, code: int) -> None:
    status = caller.wait_until(lambda st: len(st["finished"]) >= 1, timeout=10.0)
    assert status["finished"][0]["last_code"] == code, status


def test_dnd_refuses_a_call_with_486_and_history_says_refused_dnd(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    assert _settings(ui, dnd=True)["dnd"] is True
    caller = pj_peer_factory("1003", mode="tone", tone_hz=CALLER_TONE)
    mark = ui.mark()
    caller.dial("sip:1001@127.0.0.1")
    ended = ui.wait_call_state("ended", start=mark)
    assert ended["direction"] == "incoming" and ended["end_reason"] == "refused_dnd"
    assert not any(
        e.get("type") == "call_changed" and e["call"]["state"] == "ringing_in"
        for e in ui.events[mark:]
    )
    _caller_closed_with(caller, 486)
    entry = ui.wait_for(
        lambda e: e.get("type") == "history_changed" and e["entry"]["outcome"] is not None,
        start=mark,
    )["entry"]
    assert entry["outcome"] == "refused_dnd" and entry["number"] == "1003"
    # Off again: the next call rings.
    _settings(ui, dnd=False)
    mark = ui.mark()
    caller.dial("sip:1001@127.0.0.1")
    ui.wait_call_state("ringing_in", start=mark)


def _target_heard_caller(target: PjPeer) -> None:
    target.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"]),
        timeout=15.0,
    )
    time.sleep(1.5)
    target.hangup()
    status = target.wait_until(lambda st: len(st["finished"]) >= 1)
    time.sleep(0.3)  # the WAV is complete a tick after the call
    wav = Path(status["finished"][0]["recording"])
    assert tones.tone_power_ratio(wav, CALLER_TONE, 0.3, None) > 0.5


def test_unconditional_forwarding_sends_the_caller_to_the_target(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    target = pj_peer_factory("1002", mode="silent")
    caller = pj_peer_factory("1003", mode="tone", tone_hz=CALLER_TONE)
    settings = _settings(ui, forwarding={"unconditional": True, "unconditional_to": "1002"})
    assert settings["forwarding"]["unconditional"] is True
    mark = ui.mark()
    caller.dial("sip:1001@127.0.0.1")
    assert ui.wait_call_state("ended", start=mark)["end_reason"] == "forwarded"
    _target_heard_caller(target)


def test_busy_forwarding_sends_a_second_caller_to_the_target(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    pj_peer_factory("1004", mode="silent")
    target = pj_peer_factory("1002", mode="silent")
    caller = pj_peer_factory("1003", mode="tone", tone_hz=CALLER_TONE)
    _settings(ui, forwarding={"busy": True, "busy_to": "1002"})
    mark = ui.mark()
    reply = ui.command("call.dial", number="1004")
    ui.wait_call_state("connected", start=mark)
    mark = ui.mark()
    caller.dial("sip:1001@127.0.0.1")
    assert ui.wait_call_state("ended", start=mark)["end_reason"] == "forwarded"
    _target_heard_caller(target)
    _ok(ui.command("call.hangup", call_id=reply["result"]["call_id"]))


def test_no_answer_forwarding_rings_first_then_sends_the_caller_to_the_target(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    target = pj_peer_factory("1002", mode="silent")
    caller = pj_peer_factory("1003", mode="tone", tone_hz=CALLER_TONE)
    _settings(ui, forwarding={"no_answer": True, "no_answer_to": "1002", "no_answer_s": 5})
    mark = ui.mark()
    caller.dial("sip:1001@127.0.0.1")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    t0 = time.monotonic()
    ended = ui.wait_call_state("ended", start=mark, timeout=10.0)
    assert ended["id"] == ringing["id"] and ended["end_reason"] == "forwarded"
    assert 4.5 < time.monotonic() - t0 < 6.5
    _target_heard_caller(target)


def test_our_dnd_is_published_as_presence_for_colleagues(ui: UiClient, kamailio: Kamailio) -> None:
    with SipUdpClient(kamailio.port, "1005", kamailio.users["1005"]) as watcher:
        sub = watcher.request(
            "SUBSCRIBE",
            "sip:1001@127.0.0.1",
            "sip:1001@127.0.0.1",
            ["Event: presence", "Accept: application/pidf+xml", "Expires: 60"],
        )
        assert sub.status == 200
        _settings(ui, dnd=True)
        note = watcher.wait_request(lambda m: m.method == "NOTIFY" and "dnd" in m.body)
        assert "busy" in note.body  # RPID activity: what other phones show as DND
        _settings(ui, dnd=False)
        watcher.wait_request(
            lambda m: (
                m.method == "NOTIFY" and "<basic>open</basic>" in m.body and "dnd" not in m.body
            )
        )
