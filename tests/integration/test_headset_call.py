"""A simulated Jabra headset answers a real call through Kamailio, mutes it and hangs up.

Only hidapi is faked (the Jabra EVOLVE LINK MS's recorded descriptor); the app, the PBX and
the caller (baresip) are real. The app plays 1000 Hz as its microphone; baresip records what
it receives, so "mute" is checked as silence on the caller's side.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx import tones
from pbx.baresip import Baresip
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app
from support.fake_hid import FakeHidTransport

pytestmark = pytest.mark.integration

APP_TONE = 1000
JABRA = "0b0e-0307"
# Jabra EVOLVE LINK MS, report 2. In: bit0 Hook Switch, bit2 Phone Mute (toggle).
# Out: bit0 Off-Hook, bit1 Mute, bit2 Ring, bit4 Microphone, bit5 Telephony Ringer.
HOOK_UP, HOOK_UP_MUTE, HOOK_DOWN = b"\x02\x01\x00", b"\x02\x05\x00", b"\x02\x00\x00"
RINGING, IN_CALL, MUTED, IDLE = b"\x02\x24\x00", b"\x02\x01\x00", b"\x02\x13\x00", b"\x02\x00\x00"


@pytest.fixture
def hid() -> FakeHidTransport:
    return FakeHidTransport(JABRA)


@pytest.fixture
def app(tmp_path: Path, hid: FakeHidTransport) -> Iterator[SoftphoneApp]:
    wav = tones.write_tone_wav(tmp_path / "app-tone.wav", APP_TONE, 3.0, rate=16000)
    with running_app(
        tmp_path / "app", play_wav=wav, record_dir=tmp_path / "rec", hid_transport=hid
    ) as running:
        yield running


def test_headset_answers_mutes_and_hangs_up_a_real_call(
    ui: UiClient, hid: FakeHidTransport, baresip_factory: Callable[..., Baresip]
) -> None:
    headset = hid.wait_handle(JABRA)
    listed = ui.wait_for(  # in the snapshot, or just after it if the scan came later
        lambda e: e.get("type") in ("snapshot", "headsets_changed") and bool(e["headsets"])
    )
    assert listed["headsets"] == [
        {
            "name": "Jabra EVOLVE LINK MS",
            "vendor_id": 0x0B0E,
            "product_id": 0x0307,
            "telephony": True,
            "reason_key": None,
            "key": "0b0e:0307",
        }
    ]
    peer = baresip_factory("1003")
    mark, peer_mark = ui.mark(), peer.mark()
    peer.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    headset.wait_written(lambda r: r == RINGING)

    headset.press(HOOK_UP)  # the answer button: Hook Switch goes to 1
    connected = ui.wait_call_state("connected", start=mark)
    assert connected["id"] == ringing["id"]
    peer.wait_for_event("CALL_ESTABLISHED", start=peer_mark)
    t0 = time.monotonic()
    headset.wait_written(lambda r: r == IN_CALL)
    headset.press(HOOK_UP)  # the device confirming Off-Hook: must not hang up or re-answer
    time.sleep(2.0)

    t_mute, mark = time.monotonic() - t0, ui.mark()
    headset.press(HOOK_UP_MUTE)
    headset.press(HOOK_UP)
    muted = ui.wait_for(
        lambda e: e.get("type") == "call_changed" and e["call"]["muted"] is True, start=mark
    )
    assert muted["call"]["state"] == "connected"
    t_muted = time.monotonic() - t0
    headset.wait_written(lambda r: r == MUTED)
    headset.press(HOOK_UP_MUTE)  # its acknowledgement of the Mute LED: not an unmute
    headset.press(HOOK_UP)
    time.sleep(2.0)
    t_end = time.monotonic() - t0

    mark = ui.mark()
    headset.press(HOOK_DOWN)  # the hang-up button: Hook Switch back to 0
    ended = ui.wait_call_state("ended", start=mark)
    assert ended["end_reason"] == "hangup_local" and ended["muted"] is True
    headset.wait_written(lambda r: r == IDLE)
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)

    time.sleep(0.3)
    heard = peer.received_wavs()[-1]
    assert tones.tone_power_ratio(heard, APP_TONE, 0.5, t_mute - 0.1) > 0.5
    assert not tones.is_silent(heard, -40.0, 0.5, t_mute - 0.1)
    assert tones.is_silent(heard, -45.0, t_muted + 0.4, t_end - 0.2)
