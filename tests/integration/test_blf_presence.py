"""BLF beyond pjsua's buddy slots and beyond Kamailio-style dialog-info, with real Kamailio:
200 colleagues' DND (published before or after the app subscribes), and pickup of a call
that the PBX reports with minimal (Asterisk-style) dialog-info through the pickup code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx.kamailio import Kamailio, default_users
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipUdpClient
from support.app_harness import UiClient, running_app, sign_in, wait_lines

pytestmark = pytest.mark.integration

COLLEAGUES = [str(2000 + i) for i in range(200)]
# Spread over the list and up to its end: pjsua's slots ran out after the 56th colleague.
DND_BEFORE = [e for i, e in enumerate(COLLEAGUES) if i % 25 == 3] + ["2199"]
DND_AFTER = [e for i, e in enumerate(COLLEAGUES) if i % 25 == 17] + ["2198"]
RINGING = "1005"  # its line is published with Asterisk's minimal dialog-info
PICKUP_CODE_USER = "**1005"  # stands in for the PBX's directed-pickup feature code


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    users = default_users() | {e: f"pw{e}" for e in COLLEAGUES} | {PICKUP_CODE_USER: "pwcode"}
    pbx = Kamailio(work_dir=tmp_path / "kamailio", users=users, tls=False)
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


def _pidf(user: str, note: str) -> str:
    return (
        '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
        f'entity="sip:{user}@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
        f"</status><note>{note}</note></tuple></presence>"
    )


def _publish(
    kamailio: Kamailio, user: str, event: str, content_type: str, body: str, *, etag: str = ""
) -> str:
    """PUBLISH as the user's own phone would (authenticated), kept for 5 minutes; `etag`
    modifies that earlier publication. Returns the publication's entity tag."""
    with SipUdpClient(kamailio.port, user, kamailio.users[user]) as phone:
        uri = f"sip:{user}@127.0.0.1"
        headers = [f"Event: {event}", "Expires: 300", f"Content-Type: {content_type}"]
        if etag:
            headers.append(f"SIP-If-Match: {etag}")
        reply = phone.request("PUBLISH", uri, uri, headers, body=body)
        assert reply.status == 200, reply.status
        return reply.header("SIP-ETag") or ""


def _publish_dnd(kamailio: Kamailio, user: str, dnd: bool, etags: dict[str, str]) -> None:
    body = _pidf(user, "dnd" if dnd else "online")
    etags[user] = _publish(
        kamailio, user, "presence", "application/pidf+xml", body, etag=etags.get(user, "")
    )


def _states(ui: UiClient) -> dict[str, tuple[str, bool]]:
    states = ui.command("blf.states")["result"]["states"]
    return {s["extension"]: (s["state"], s["dnd"]) for s in states}


def test_dnd_of_200_colleagues_shows_whether_published_before_or_after_subscribing(
    ui: UiClient, kamailio: Kamailio
) -> None:
    etags: dict[str, str] = {}
    for user in DND_BEFORE:  # presence known to the PBX before the app subscribes
        _publish_dnd(kamailio, user, True, etags)
    mark = ui.mark()
    users = [{"extension": e, "name": f"User {e}"} for e in COLLEAGUES]
    assert ui.command("settings.update", blf_users=users)["ok"]
    wait_lines(ui, DND_BEFORE, "busy", start=mark, timeout=30.0)
    free = [e for e in COLLEAGUES if e not in DND_BEFORE]
    wait_lines(ui, free, "free", start=mark, timeout=30.0)

    mark = ui.mark()  # presence changing after the lines are known
    for user in DND_AFTER:
        _publish_dnd(kamailio, user, True, etags)
    for user in DND_BEFORE[:3]:
        _publish_dnd(kamailio, user, False, etags)
    wait_lines(ui, DND_AFTER, "busy", start=mark, timeout=10.0)
    wait_lines(ui, DND_BEFORE[:3], "free", start=mark, timeout=10.0)

    in_dnd = set(DND_AFTER) | set(DND_BEFORE[3:])
    want = {e: ("busy", True) if e in in_dnd else ("free", False) for e in COLLEAGUES}
    assert _states(ui) == want


# What Asterisk 18/20 (res_pjsip_dialog_info_body_generator) sends for a ringing extension:
# no call-id, no tags; the remote identity only when it finds the ringing channel.
_ASTERISK_EARLY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="4" state="full" '
    f'entity="sip:{RINGING}@127.0.0.1">\n'
    f' <dialog id="{RINGING}" direction="recipient">\n'
    "  <state>early</state>\n"
    " </dialog>\n"
    "</dialog-info>"
)


def test_minimal_dialog_info_offers_pickup_by_the_feature_code_through_the_pbx(
    ui: UiClient, kamailio: Kamailio, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    code = pj_peer_factory(PICKUP_CODE_USER, mode="silent")
    assert ui.command("settings.update", feature_codes={"pickup_prefix": "**"})["ok"]
    mark = ui.mark()
    users = [{"extension": RINGING, "name": "Ringing"}]
    assert ui.command("settings.update", blf_users=users)["ok"]
    wait_lines(ui, [RINGING], "free", start=mark, timeout=10.0)

    mark = ui.mark()
    _publish(kamailio, RINGING, "dialog", "application/dialog-info+xml", _ASTERISK_EARLY)
    line = ui.wait_for(
        lambda e: e.get("type") == "line_state" and e["line"]["state"] == "ringing",
        10.0,
        mark,
    )["line"]
    assert line == {"extension": RINGING, "state": "ringing", "dnd": False, "pickup": True}

    reply = ui.command("blf.pickup", extension=RINGING)
    assert reply["ok"], reply
    code.wait_until(
        lambda st: any(c["incoming"] and c["state"] == "CONFIRMED" for c in st["calls"]),
        timeout=10.0,
    )
    connected = ui.wait_call_state("connected", start=mark)
    assert connected["id"] == reply["result"]["call_id"]
    assert ui.command("call.hangup", call_id=connected["id"])["ok"]


def test_minimal_dialog_info_offers_no_pickup_without_a_pickup_code(
    ui: UiClient, kamailio: Kamailio
) -> None:
    mark = ui.mark()
    assert ui.command("settings.update", blf_users=[{"extension": RINGING, "name": "R"}])["ok"]
    wait_lines(ui, [RINGING], "free", start=mark, timeout=10.0)
    mark = ui.mark()
    _publish(kamailio, RINGING, "dialog", "application/dialog-info+xml", _ASTERISK_EARLY)
    line = ui.wait_for(
        lambda e: e.get("type") == "line_state" and e["line"]["state"] == "ringing",
        10.0,
        mark,
    )["line"]
    assert line["pickup"] is False
    assert ui.command("blf.pickup", extension=RINGING)["error"] == "invalid_state"
