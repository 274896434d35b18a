"""PBX feature codes against Kamailio: forwarding switched on and off by dialled codes, a
pickup prefix, and how the PBX's answer is reported. Kamailio has no feature-code logic, so
an accepted code is a registered user (a pjsua2 peer standing in for the PBX's code handler,
hanging up after "its announcement"); *403.../*488... get 403/488 and unknown codes 404.
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


def _reported(ui: UiClient, code: str, outcome: str, mark: int) -> dict[str, Any]:
    return ui.wait_for(
        lambda e: e.get("type") == "feature_code" and e["code"] == code and e["outcome"] == outcome,
        timeout=15.0,
        start=mark,
    )


def _forwarding(ui: UiClient) -> dict[str, Any]:
    """The forwarding rules as the app last pushed them (what the top bar shows)."""
    settings = [e["settings"] for e in ui.events if e.get("type") == "settings_changed"]
    return settings[-1]["forwarding"] if settings else {}


def test_an_accepted_code_changes_the_forwarding_and_the_app_stops_forwarding_itself(
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
    dialling = _reported(ui, "*721004", "dialling", mark)
    assert (dialling["purpose"], dialling["rule"]) == ("forwarding_on", "unconditional")
    _called(on_code)
    # Answered, announcement playing: not accepted yet, the top bar shows no forwarding.
    assert _forwarding(ui)["unconditional"] is False
    assert _forwarding(ui)["unconditional_to"] == "1004"  # what the user typed is kept
    on_code.hangup()  # the PBX hangs up after its announcement: the usual "accepted"
    accepted = _reported(ui, "*721004", "accepted", mark)
    assert accepted["error"] is None
    assert accepted["call_id"] == dialling["call_id"]
    ui.wait_for(
        lambda e: (
            e.get("type") == "settings_changed"
            and e["settings"]["forwarding"]["unconditional"] is True
        ),
        start=mark,
    )

    # The PBX forwards now: a call reaching the app rings (no 302 from the app as well).
    mark = ui.mark()
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    _ok(ui.command("call.reject", call_id=ringing["id"]))

    mark = ui.mark()
    _ok(ui.command("settings.update", forwarding={"unconditional": False}))
    _called(off_code)
    off_code.hangup()
    _reported(ui, "*73", "accepted", mark)
    assert _forwarding(ui)["unconditional"] is False
    assert len(on_code.status()["finished"]) + len(on_code.status()["calls"]) == 1


@pytest.mark.parametrize(
    ("template", "code", "sip_code"),
    [("*403{number}", "*4031004", 403), ("*79{number}", "*791004", 404)],
    ids=["forbidden", "unknown-code"],
)
def test_a_refused_code_leaves_the_forwarding_unchanged_and_names_the_code(
    ui: UiClient, template: str, code: str, sip_code: int
) -> None:
    mark = ui.mark()
    _ok(
        ui.command(
            "settings.update",
            forwarding={"unconditional": True, "unconditional_to": "1004"},
            feature_codes={"forwarding_mode": "pbx", "unconditional_on": template},
        )
    )
    refused = _reported(ui, code, "refused", mark)
    assert refused["error"] == "feature_code_refused"
    assert (refused["sip_code"], refused["purpose"]) == (sip_code, "forwarding_on")
    # The call card of the code call is labelled by the event naming its call id.
    dialling = _reported(ui, code, "dialling", mark)
    assert dialling["call_id"] == refused["call_id"]
    ui.wait_call(refused["call_id"], "ended", mark)
    pushed = [e for e in ui.events[mark:] if e.get("type") == "settings_changed"]
    assert pushed, "the mode change is stored at once"
    assert all(e["settings"]["forwarding"]["unconditional"] is False for e in pushed)
    assert pushed[-1]["settings"]["feature_codes"]["forwarding_mode"] == "pbx"


def test_a_code_answered_but_never_hung_up_by_the_pbx_is_not_taken_as_accepted(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    on_code = pj_peer_factory("*721004", mode="silent")
    mark = ui.mark()
    _ok(
        ui.command(
            "settings.update",
            forwarding={"unconditional": True, "unconditional_to": "1004"},
            feature_codes={"forwarding_mode": "pbx"},
        )
    )
    dialling = _reported(ui, "*721004", "dialling", mark)
    _called(on_code)
    # A second change while the code is open is refused, not queued behind the user's back.
    reply = ui.command("settings.update", forwarding={"busy": True, "busy_to": "1005"})
    assert reply == {"ok": False, "error": "feature_code_pending", "field": None}
    _ok(ui.command("call.hangup", call_id=dialling["call_id"]))  # the user gave up
    unconfirmed = _reported(ui, "*721004", "unconfirmed", mark)
    assert unconfirmed["error"] == "feature_code_unconfirmed"
    assert _forwarding(ui)["unconditional"] is False


def test_pickup_prefix_dials_prefix_and_extension(
    ui: UiClient, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    pickup_code = pj_peer_factory("**1003", mode="silent")
    _ok(ui.command("settings.update", feature_codes={"pickup_prefix": "**"}))
    reply = ui.command("blf.pickup", extension="1003")
    assert reply["ok"], reply
    _called(pickup_code)
    _ok(ui.command("call.hangup", call_id=reply["result"]["call_id"]))


def test_a_refused_pickup_code_is_reported(ui: UiClient) -> None:
    _ok(ui.command("settings.update", feature_codes={"pickup_prefix": "*403"}))
    mark = ui.mark()
    reply = ui.command("blf.pickup", extension="1003")
    assert reply["ok"], reply
    refused = _reported(ui, "*4031003", "refused", mark)
    assert (refused["purpose"], refused["sip_code"]) == ("pickup", 403)
    assert refused["call_id"] == reply["result"]["call_id"]


def test_bad_codes_are_refused_with_the_field(ui: UiClient) -> None:
    reply = ui.command("settings.update", feature_codes={"busy_on": "*90"})
    assert reply == {"ok": False, "error": "invalid_argument", "field": "feature_codes.busy_on"}
    reply = ui.command("settings.update", feature_codes="pbx")
    assert reply == {"ok": False, "error": "invalid_argument", "field": "feature_codes"}
