"""PBX feature codes against Kamailio: forwarding switched on and off by dialled codes, and a
pickup prefix. Kamailio has no feature-code logic, so each code is a registered user (a
pjsua2 peer standing in for the PBX's code handler): what reaches it is the dialled code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx.kamailio import Kamailio, default_users
from pbx.pj_peer_proc import PjPeer
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration

CODE_USERS = {"*721004": "pwcode1", "*73": "pwcode2", "**1003": "pwcode3"}


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    pbx = Kamailio(work_dir=tmp_path / "kamailio", users=default_users() | CODE_USERS)
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture
def ui(tmp_path: Path, kamailio: Kamailio) -> Iterator[UiClient]:
    with running_app(tmp_path / "app") as app:
        client = UiClient(app)
        assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        yield client
        client.close()


def _ok(reply: dict[str, Any]) -> None:
    assert reply == {"ok": True, "result": {}}, reply


def _called(peer: PjPeer) -> None:
    """The code's stand-in got the INVITE and answered it (like a PBX announcement)."""
    peer.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"]),
        timeout=10.0,
    )


def _hang_up_all(ui: UiClient, app_calls: list[str]) -> None:
    for call_id in app_calls:
        ui.command("call.hangup", call_id=call_id)


def _new_call_ids(ui: UiClient, mark: int) -> list[str]:
    ids: list[str] = []
    for event in ui.events[mark:]:
        if event.get("type") == "call_changed" and event["call"]["id"] not in ids:
            ids.append(event["call"]["id"])
    return ids


def test_pbx_mode_dials_the_on_and_off_codes_and_the_app_stops_forwarding_itself(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    on_code = pj_peer_factory("*721004", mode="silent")
    off_code = pj_peer_factory("*73", mode="silent")
    caller = pj_peer_factory("1002", mode="silent")

    mark = ui.mark()
    _ok(
        ui.command(
            "settings.update",
            forwarding={"unconditional": True, "unconditional_to": "1004"},
            feature_codes={"forwarding_mode": "pbx"},
        )
    )
    _called(on_code)
    _hang_up_all(ui, _new_call_ids(ui, mark))

    # The PBX forwards now: a call reaching the app rings (no 302 from the app as well).
    mark = ui.mark()
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    _ok(ui.command("call.reject", call_id=ringing["id"]))

    mark = ui.mark()
    _ok(ui.command("settings.update", forwarding={"unconditional": False}))
    _called(off_code)
    _hang_up_all(ui, _new_call_ids(ui, mark))
    assert len(on_code.status()["finished"]) + len(on_code.status()["calls"]) == 1


def test_pickup_prefix_dials_prefix_and_extension(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    pickup_code = pj_peer_factory("**1003", mode="silent")
    _ok(ui.command("settings.update", feature_codes={"pickup_prefix": "**"}))
    reply = ui.command("blf.pickup", extension="1003")
    assert reply["ok"], reply
    _called(pickup_code)
    _ok(ui.command("call.hangup", call_id=reply["result"]["call_id"]))


def test_bad_codes_are_refused_with_the_field(ui: UiClient) -> None:
    reply = ui.command("settings.update", feature_codes={"busy_on": "*90"})
    assert reply == {"ok": False, "error": "invalid_argument", "field": "feature_codes.busy_on"}
    reply = ui.command("settings.update", feature_codes="pbx")
    assert reply == {"ok": False, "error": "invalid_argument", "field": "feature_codes"}
