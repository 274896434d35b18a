"""The biggest conference the engine allows: the user plus 4 remote parties (PJSUA_MAX_CALLS
is 4), every remote hears every other remote and the user; a 5th call is refused.

Each peer plays its own tone and records what it receives; the app plays 1000 Hz. In the
mix each remote must find the four other tones (about a quarter of the energy each) and not
its own (the bridge never sends a port its own audio back).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx import tones
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app

pytestmark = pytest.mark.integration

APP_TONE = 1000
# Distinct, below 4 kHz (G.711), no one a harmonic of another or of the app's tone.
PEER_TONES = {"1002": 450, "1003": 700, "1004": 1350, "1005": 1850}
CONFERENCE_S = 3.0


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(tmp_path / "app", play_wav=wav, record_dir=tmp_path / "rec") as running:
        yield running


def _changed(e: dict[str, Any], call_id: str) -> dict[str, Any] | None:
    if e.get("type") == "call_changed" and e["call"]["id"] == call_id:
        call: dict[str, Any] = e["call"]
        return call
    return None


def test_conference_of_four_remote_parties_everyone_hears_everyone_and_a_fifth_is_refused(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    peers = {ext: pj_peer_factory(ext, mode="tone", tone_hz=hz) for ext, hz in PEER_TONES.items()}
    calls = {ext: ui.dial_connected(ext) for ext in PEER_TONES}  # each new one holds the last
    reply = ui.command("call.dial", number="1006")
    assert reply == {"ok": False, "error": "too_many_calls", "field": None}

    mark = ui.mark()
    assert ui.command("call.conference") == {"ok": True, "result": {}}
    for call_id in calls.values():
        ui.wait_for(
            lambda e, cid=call_id: (
                (c := _changed(e, cid)) is not None
                and c["conference"] is True
                and c["state"] == "connected"
            ),
            15.0,
            mark,
        )
    time.sleep(CONFERENCE_S)
    # Still at the limit during the conference: a 5th call is refused, nothing else changes.
    assert ui.command("call.dial", number="1006")["error"] == "too_many_calls"
    for call_id in calls.values():
        assert ui.command("call.hangup", call_id=call_id)["ok"]

    for ext, peer in peers.items():
        status = peer.wait_until(lambda st: len(st["finished"]) >= 1, timeout=15.0)
        time.sleep(0.3)  # the WAV is complete a tick after the call ends
        wav = Path(status["finished"][0]["recording"])
        end = tones.duration(wav) - 0.3  # hang-ups are within ~0.3 s of each other
        start = end - (CONFERENCE_S - 1.0)  # the last seconds: all four mixed in for sure
        heard = {
            hz: tones.tone_power_ratio(wav, hz, start, end)
            for hz in (APP_TONE, *PEER_TONES.values())
        }
        own = PEER_TONES[ext]
        others = [hz for hz in (APP_TONE, *PEER_TONES.values()) if hz != own]
        print(ext, {hz: round(r, 3) for hz, r in heard.items()})
        for hz in others:
            assert heard[hz] > 0.08, f"{ext} does not hear {hz} Hz: {heard}"
        assert heard[own] < 0.03, f"{ext} hears its own tone back: {heard}"
        assert sum(heard[hz] for hz in others) > 0.7, f"{ext}: mostly noise: {heard}"
