"""The phone registers again by itself when the PBX comes back (restart, network loss).

Kamailio keeps registrations and subscriptions in memory (usrloc db_mode 0, presence
subs_db_mode 0): after its restart it knows nobody, like a hosted PBX that lost its state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app
from support.app_harness import registration_event as _registration

pytestmark = pytest.mark.integration

OUTAGE_S = 10.0
PEER_TONE = 700


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app", record_dir=tmp_path / "rec") as running:
        yield running


def _line(ui: UiClient, extension: str, state: str, start: int, timeout: float = 10.0) -> None:
    ui.wait_for(
        lambda e: (
            e.get("type") == "line_state"
            and e["line"]["extension"] == extension
            and e["line"]["state"] == state
        ),
        timeout,
        start,
    )


def _outage(ui: UiClient, kamailio: Kamailio) -> tuple[float, float]:
    """Stop the PBX for OUTAGE_S; return (seconds until the UI said so, seconds from the
    PBX's return until registered again)."""
    mark = ui.mark()
    stopped_at = time.monotonic()
    kamailio.stop()
    ui.wait_for(_registration("unregistered", "server_unreachable"), OUTAGE_S, mark)
    noticed_s = time.monotonic() - stopped_at
    time.sleep(max(0.0, stopped_at + OUTAGE_S - time.monotonic()))
    mark = ui.mark()
    kamailio.start()
    back_at = time.monotonic()
    ui.wait_for(_registration("registered"), 10.0, mark)
    return noticed_s, time.monotonic() - back_at


def test_idle_phone_registers_again_after_a_pbx_restart(
    ui: UiClient,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="softphone.phone.registration_watch")
    mark = ui.mark()
    assert ui.command("settings.update", blf_users=[{"extension": "1003", "name": "C"}])["ok"]
    _line(ui, "1003", "free", mark)

    mark = ui.mark()
    noticed_s, back_s = _outage(ui, kamailio)
    print(f"outage noticed after {noticed_s:.1f} s; registered {back_s:.2f} s after return")
    # Its port was closed (ICMP port unreachable): no REGISTER was left in flight, and the
    # probe that found the PBX back registered at once (backoff: tests/unit).
    messages = [r.getMessage() for r in caplog.records]
    assert "the registrar answers again: registering now" in messages
    assert not [m for m in messages if "next try in" in m]
    # The restarted PBX forgot our BLF subscription: it was made again.
    _line(ui, "1003", "unknown", mark)
    _line(ui, "1003", "free", mark)
    # Reachable again: a new peer registers on the restarted PBX and answers our call.
    peer = baresip_factory("1002")
    mark, peer_mark = ui.mark(), peer.mark()
    call_id = ui.command("call.dial", number="1002")["result"]["call_id"]
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    assert ui.command("call.hangup", call_id=call_id)["ok"]


def test_a_call_survives_a_pbx_outage_and_the_phone_registers_again(
    app: SoftphoneApp,
    ui: UiClient,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    tmp_path: Path,
) -> None:
    peer = baresip_factory("1002")
    mark, peer_mark = ui.mark(), peer.mark()
    call_id = ui.command("call.dial", number="1002")["result"]["call_id"]
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    connected_at = time.monotonic()
    time.sleep(1.0)

    mark = ui.mark()
    outage_from = time.monotonic() - connected_at
    noticed_s, back_s = _outage(ui, kamailio)
    outage_to = outage_from + OUTAGE_S
    print(f"in call: outage noticed after {noticed_s:.1f} s; registered {back_s:.2f} s after")
    # RTP goes peer to peer (Kamailio only routes signalling): the call went on.
    assert not [e for e in ui.events[mark:] if e.get("type") == "call_removed"]
    assert [c.state.value for c in app.calls.snapshots()] == ["connected"]
    peer_mark = peer.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)
    # The BYE is routed by the restarted PBX from the Route set alone: the peer hears it.
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)
    recording = tmp_path / "rec" / f"{call_id}.wav"
    deadline = time.monotonic() + 5
    while not (recording.exists() and recording.stat().st_size > 8000):
        assert time.monotonic() < deadline, "no recording of the call"
        time.sleep(0.1)
    time.sleep(0.5)  # the recorder finishes its WAV a little after the call
    heard = tones.tone_power_ratio(
        recording, PEER_TONE, start_s=outage_from + 1, end_s=outage_to - 1
    )
    assert heard > 0.5, f"the peer's tone was not heard during the outage ({heard:.2f})"


def test_a_tcp_account_registers_again_after_a_pbx_restart(
    app: SoftphoneApp, kamailio: Kamailio
) -> None:
    client = UiClient(app)
    try:
        reply = client.command(
            "account.setup",
            server=f"127.0.0.1:{kamailio.port}",
            user="1001",
            password=kamailio.users["1001"],
            transport="tcp",
        )
        assert reply["ok"], reply
        noticed_s, back_s = _outage(client, kamailio)
        print(f"tcp: outage noticed after {noticed_s:.1f} s; registered {back_s:.2f} s after")
    finally:
        client.close()
