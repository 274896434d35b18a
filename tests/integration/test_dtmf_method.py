"""DTMF method of the account: RFC 4733 events by default, SIP INFO when chosen, end to end.

The pjsua2 test peer logs each received digit with the way it came (RTP event or INFO).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


def _connected_call(ui: UiClient, number: str) -> str:
    mark = ui.mark()
    reply = ui.command("call.dial", number=number)
    assert reply["ok"], reply
    call_id: str = reply["result"]["call_id"]
    ui.wait_for(
        lambda e: (
            e.get("type") == "call_changed"
            and e["call"]["id"] == call_id
            and e["call"]["state"] == "connected"
        ),
        start=mark,
    )
    return call_id


def _send_digits(ui: UiClient, call_id: str, digits: str) -> None:
    # One command per key, as the keypad sends them.
    for digit in digits:
        assert ui.command("call.dtmf", call_id=call_id, digits=digit) == {"ok": True, "result": {}}


def _received(peer: PjPeer, digits: str) -> dict[str, Any]:
    status = peer.wait_until(lambda st: any(c["dtmf"] == digits for c in st["calls"]))
    return next(c for c in status["calls"] if c["dtmf"] == digits)


@pytest.mark.parametrize(
    ("method", "expected"), [(None, "rfc4733"), ("rfc4733", "rfc4733"), ("sip_info", "sip_info")]
)
def test_digits_reach_the_peer_in_order_by_the_chosen_method(
    ui: UiClient,
    kamailio: Kamailio,
    pj_peer_factory: Callable[..., PjPeer],
    method: str | None,
    expected: str,
) -> None:
    extra = {} if method is None else {"dtmf_method": method}
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"], **extra)["ok"]
    peer = pj_peer_factory("1002", mode="silent")
    call_id = _connected_call(ui, "1002")
    _send_digits(ui, call_id, "19*#0")
    leg = _received(peer, "19*#0")
    assert leg["dtmf_methods"] == [expected] * 5


def test_the_method_is_kept_in_the_account_and_bad_values_are_refused(
    app: SoftphoneApp, ui: UiClient, kamailio: Kamailio
) -> None:
    reply = sign_in(ui, kamailio.port, "1001", kamailio.users["1001"], dtmf_method="pigeon")
    assert reply == {"ok": False, "error": "invalid_argument", "field": "dtmf_method"}
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"], dtmf_method="sip_info")["ok"]
    assert app.settings.settings.account is not None
    assert app.settings.settings.account.dtmf_method.value == "sip_info"
    changed = ui.wait_for(lambda e: e.get("type") == "account_changed" and e["account"])
    assert changed["account"]["dtmf_method"] == "sip_info"
