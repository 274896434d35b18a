"""A simulated Jabra headset's Redial calls a real peer again through Kamailio.

Only hidapi is faked (the Jabra EVOLVE LINK MS's recorded descriptor); the app, its history
store, the PBX and the peer (baresip, answering by itself) are real.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx.baresip import Baresip
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app
from support.fake_hid import FakeHidTransport

pytestmark = pytest.mark.integration

JABRA = "0b0e-0307"
# Jabra EVOLVE LINK MS, report 2. In: bit0 Hook Switch (level), bit4 Redial (button).
# Out: bit0 Off-Hook.
REDIAL, RELEASED, HOOK_UP = b"\x02\x10\x00", b"\x02\x00\x00", b"\x02\x01\x00"
REDIAL_HOOK_UP = b"\x02\x11\x00"  # Redial pressed during a call: the hook stays up
IN_CALL, IDLE = b"\x02\x01\x00", b"\x02\x00\x00"


@pytest.fixture
def hid() -> FakeHidTransport:
    return FakeHidTransport(JABRA)


@pytest.fixture
def app(tmp_path: Path, hid: FakeHidTransport) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app", hid_transport=hid) as running:
        yield running


def _dialled_calls(ui: UiClient, start: int) -> set[str]:
    return {
        e["call"]["id"]
        for e in ui.events[start:]
        if e.get("type") == "call_changed" and e["call"]["direction"] == "outgoing"
    }


def test_headset_redial_calls_the_last_number_again(
    ui: UiClient, hid: FakeHidTransport, baresip_factory: Callable[..., Baresip]
) -> None:
    headset = hid.wait_handle(JABRA)
    peer = baresip_factory("1003", answermode="auto")
    first = ui.dial_connected("1003")  # a call from the UI: the history's last outgoing
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=first)["ok"]
    ui.wait_call(first, "ended", mark)
    deadline = time.monotonic() + 5
    while not any(
        e["direction"] == "outgoing" and e["number"] == "1003"
        for e in ui.command("history.list")["result"]["entries"]
    ):
        assert time.monotonic() < deadline, "the call never reached the history"
        time.sleep(0.1)
    headset.wait_written(lambda r: r == IDLE)

    mark, peer_mark = ui.mark(), peer.mark()
    headset.press(REDIAL)
    headset.press(RELEASED)
    headset.press(REDIAL)  # the same press reported again by the device
    headset.press(RELEASED)
    connected = ui.wait_call_state("connected", timeout=15, start=mark)
    assert connected["id"] != first
    assert (connected["direction"], connected["number"]) == ("outgoing", "1003")
    peer.wait_for_event("CALL_ESTABLISHED", start=peer_mark)
    headset.wait_written(lambda r: r == IN_CALL)
    headset.press(HOOK_UP)  # the latching hook follows Off-Hook
    time.sleep(1.0)
    assert _dialled_calls(ui, mark) == {connected["id"]}  # one press, one call

    headset.press(REDIAL_HOOK_UP)  # during a call: ignored (no second call)
    headset.press(HOOK_UP)
    time.sleep(3.0)  # past the duplicate window, then hang up with the hook
    assert _dialled_calls(ui, mark) == {connected["id"]}
    end_mark = ui.mark()
    headset.press(RELEASED)  # Hook Switch back to 0: hang up
    ended = ui.wait_call(connected["id"], "ended", end_mark)
    assert ended["end_reason"] == "hangup_local"
    headset.wait_written(lambda r: r == IDLE)
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)
