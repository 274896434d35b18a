"""The phone keeps working when its engine dies or hostile SIP arrives.

Fixtures: RFC 4475 torture messages (tests/fixtures/rfc4475, copied from the RFC's data).
Every message goes only to the app's own SIP port on 127.0.0.1; responses go back to the
sender's source address (pjsip adds `received`), so nothing leaves the loopback.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pbx.baresip import Baresip
from softphone.app import SoftphoneApp
from support.app_harness import UiClient
from support.engine_watch import kill_engine

pytestmark = pytest.mark.integration

TORTURE = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "rfc4475").glob("*.dat"))


def _registered(event: dict[str, object]) -> bool:
    reg = event.get("registration")
    return isinstance(reg, dict) and reg.get("state") == "registered"


def _call_connects(ui: UiClient, peer: Baresip) -> None:
    mark, peer_mark = ui.mark(), peer.mark()
    call_id = ui.command("call.dial", number=peer.user)["result"]["call_id"]
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)


def test_killed_engine_is_restarted_and_registers_again(
    app: SoftphoneApp, ui: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    peer = baresip_factory("1002")
    mark, peer_mark = ui.mark(), peer.mark()
    ui.command("call.dial", number="1002")
    peer.wait_for_event("CALL_INCOMING", start=peer_mark)
    peer.accept()
    ui.wait_call_state("connected", start=mark)

    old_pid = app.engine.pid
    assert old_pid is not None
    mark = ui.mark()
    killed_at = time.monotonic()
    kill_engine(app)  # a native crash, as far as the app can tell

    ended = ui.wait_call_state("ended", start=mark)
    assert ended["end_reason"] == "engine_failed"  # the call in progress is marked ended
    ui.wait_for(lambda e: e.get("type") == "snapshot", start=mark)  # the UI is told to reload
    ui.wait_for(
        lambda e: e.get("type") == "registration_changed" and _registered(e), timeout=10, start=mark
    )
    assert time.monotonic() - killed_at < 5.0
    assert app.engine.pid not in (None, old_pid)
    _call_connects(ui, peer)


def test_rfc4475_torture_messages_leave_the_phone_working(
    app: SoftphoneApp, ui: UiClient, baresip_factory: Callable[..., Baresip]
) -> None:
    assert len(TORTURE) >= 50
    pid, port = app.engine.pid, app.engine.sip_port
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for message in TORTURE:
            udp.sendto(message.read_bytes(), ("127.0.0.1", port))
            time.sleep(0.01)
    finally:
        udp.close()
    for message in TORTURE:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as tcp:
            tcp.sendall(message.read_bytes())
            tcp.settimeout(0.3)
            try:
                tcp.recv(4096)
            except (TimeoutError, ConnectionError):
                pass
    time.sleep(1.0)
    for call in app.calls.snapshots():  # valid INVITEs among them ring: refuse them
        ui.command("call.hangup", call_id=call.id)
    assert app.engine.pid == pid, "the engine process was restarted: it crashed"
    assert app.accounts.registration.state.value == "registered"
    _call_connects(ui, baresip_factory("1002"))
