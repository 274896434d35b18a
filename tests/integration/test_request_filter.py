"""Only the PBX rings the phone, and every request gets an answer.

Kamailio (the PBX) and the app are both on 127.0.0.1, so a "stranger" sends from 127.0.0.2
(Linux routes all of 127/8 to lo; nothing leaves the machine): the engine accepts requests
by the PBX's address, not its port (a PBX's TCP/TLS connections and clusters use other
ports than the registrar's). Requests "from the PBX" here come from 127.0.0.1.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Iterator

import psutil  # type: ignore[import-untyped]
import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.sip_udp import SipMessage, parse
from softphone.app import SoftphoneApp
from softphone.engine.media_budget import WINDOW_S
from support.app_harness import UiClient, sign_in

pytestmark = pytest.mark.integration

PBX_HOST = "127.0.0.1"
STRANGER = "127.0.0.2"


class _Sender:
    """A UDP socket on `host` sending raw requests to the app and reading its answers."""

    def __init__(self, host: str, app_port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = host, int(self.sock.getsockname()[1])
        self.app = (PBX_HOST, app_port)
        self._tags: dict[str, str] = {}  # From tag per Call-ID: a retransmission repeats it

    def request(
        self,
        method: str,
        extra: list[str] | None = None,
        *,
        body: str = "",
        via: str | None = None,
        to_tag: str = "",
        call_id: str | None = None,
        branch: str | None = None,
    ) -> str:
        call_id = call_id or secrets.token_hex(8)
        target = f"sip:1001@{self.app[0]}:{self.app[1]}"
        branch = branch or "z9hG4bK" + secrets.token_hex(8)
        from_tag = self._tags.setdefault(call_id, secrets.token_hex(4))
        lines = [
            f"{method} {target} SIP/2.0",
            f"Via: {via or f'SIP/2.0/UDP {self.host}:{self.port};rport'};branch={branch}",
            "Max-Forwards: 70",
            f'From: "Mallory" <sip:1099@{self.host}:{self.port}>;tag={from_tag}',
            f"To: <{target}>" + (f";tag={to_tag}" if to_tag else ""),
            f"Call-ID: {call_id}",
            f"CSeq: 1 {method}",
            f"Contact: <sip:1099@{self.host}:{self.port}>",
            *(extra or []),
            f"Content-Length: {len(body.encode())}",
            "",
            body,
        ]
        self.sock.sendto("\r\n".join(lines).encode(), self.app)
        return call_id

    def invite(self, **kwargs: str) -> str:
        sdp = (
            f"v=0\r\no=- 1 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            "m=audio 5998 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        return self.request("INVITE", ["Content-Type: application/sdp"], body=sdp, **kwargs)

    def responses(
        self, seconds: float, until: Callable[[list[SipMessage]], bool]
    ) -> list[SipMessage]:
        got: list[SipMessage] = []
        deadline = time.monotonic() + seconds
        while not until(got) and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                break
            message = parse(data)
            if message.is_response:
                got.append(message)
        return got

    def final(self, call_id: str, seconds: float = 3.0) -> SipMessage | None:
        def done(got: list[SipMessage]) -> bool:
            return any(m.status >= 200 and m.header("Call-ID") == call_id for m in got)

        for message in self.responses(seconds, done):
            if message.status >= 200 and message.header("Call-ID") == call_id:
                return message
        return None

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def stranger(app: SoftphoneApp) -> Iterator[_Sender]:
    sender = _Sender(STRANGER, app.engine.sip_port)
    yield sender
    sender.close()


@pytest.fixture
def from_pbx(app: SoftphoneApp) -> Iterator[_Sender]:
    sender = _Sender(PBX_HOST, app.engine.sip_port)
    yield sender
    sender.close()


def _calls_seen(ui: UiClient, start: int) -> list[dict[str, object]]:
    return [e for e in ui.events[start:] if e.get("type") == "call_changed"]


def test_an_invite_from_an_address_that_is_not_the_pbx_gets_403_and_never_rings(
    app: SoftphoneApp, ui: UiClient, stranger: _Sender
) -> None:
    mark = ui.mark()
    call_id = stranger.invite()
    reply = stranger.final(call_id)
    assert reply is not None and reply.status == 403, reply
    time.sleep(1.0)
    assert _calls_seen(ui, mark) == []
    assert app.calls.snapshots() == []


def test_a_flood_of_invites_from_a_stranger_is_refused_and_pbx_calls_still_ring(
    app: SoftphoneApp, ui: UiClient, stranger: _Sender, baresip_factory: Callable[..., Baresip]
) -> None:
    mark = ui.mark()
    ids: set[str] = set()
    got: list[SipMessage] = []
    for _ in range(200):  # answers read as they come: 200 unread ones overflow our socket
        ids.add(stranger.invite())
        got += stranger.responses(0.005, lambda _r: False)
    got += stranger.responses(10.0, lambda r: len({m.header("Call-ID") for m in got + r}) >= 200)
    finals = {m.header("Call-ID"): m.status for m in got if m.status >= 200}
    assert set(finals) == ids
    assert set(finals.values()) == {403}
    assert [m for m in got if m.status < 200] == []  # not even a 100 Trying
    assert _calls_seen(ui, mark) == []
    caller = baresip_factory("1002")
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    assert ringing["number"] == "1002"
    assert ui.command("call.hangup", call_id=ringing["id"])["ok"]


def test_with_direct_calls_accepted_an_invite_from_another_address_rings(
    app: SoftphoneApp, kamailio: Kamailio, stranger: _Sender
) -> None:
    ui = UiClient(app)
    try:
        extra = {"accept_direct_calls": True}
        assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"], **extra)["ok"]
        assert app.settings.settings.account is not None
        assert app.settings.settings.account.accept_direct_calls
        mark = ui.mark()
        stranger.invite()
        ringing = ui.wait_call_state("ringing_in", start=mark)
        assert ringing["number"] == "1099"
        assert ui.command("call.reject", call_id=ringing["id"])["ok"]
        ui.wait_call_state("ended", start=mark)
    finally:
        ui.close()


def test_an_invite_whose_answers_would_come_back_to_the_app_leaves_no_ringing_card(
    app: SoftphoneApp, ui: UiClient, from_pbx: _Sender
) -> None:
    """A Via naming the app itself (no rport): pjsip sends its 180 to itself, the caller
    never hears it, and the card used to ring for over a minute."""
    mark = ui.mark()
    from_pbx.invite(via=f"SIP/2.0/UDP 127.0.0.1:{app.engine.sip_port}")
    time.sleep(2.0)
    assert _calls_seen(ui, mark) == []
    assert app.calls.snapshots() == []


def test_a_notify_for_no_subscription_from_the_pbx_gets_481(
    ui: UiClient, from_pbx: _Sender
) -> None:
    call_id = from_pbx.request(
        "NOTIFY", ["Event: x-unknown-package", "Subscription-State: active;expires=60"]
    )
    reply = from_pbx.final(call_id)
    assert reply is not None and reply.status == 481, reply


def test_an_unknown_method_gets_405_with_allow(ui: UiClient, from_pbx: _Sender) -> None:
    call_id = from_pbx.request("FOO")
    reply = from_pbx.final(call_id)
    assert reply is not None and reply.status == 405, reply
    allow = {m.strip() for m in (reply.header("Allow") or "").split(",")}
    assert {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"} <= allow


def test_a_required_extension_we_lack_gets_420_naming_it(ui: UiClient, from_pbx: _Sender) -> None:
    call_id = from_pbx.request("OPTIONS", ["Require: foo, replaces"])
    reply = from_pbx.final(call_id)
    assert reply is not None and reply.status == 420, reply
    assert reply.header("Unsupported") == "foo"
    call_id = from_pbx.request("OPTIONS", ["Require: replaces"])  # one pjsip supports
    reply = from_pbx.final(call_id)
    assert reply is not None and reply.status == 200, reply


def test_a_ringing_call_whose_caller_never_hears_us_ends_when_its_invite_times_out(
    app: SoftphoneApp, ui: UiClient, from_pbx: _Sender
) -> None:
    """The caller's Via names a port that swallows our answers (a one-way path): it goes on
    retransmitting its INVITE on the RFC 3261 schedule and gives up at 32 s (Timer B). The
    card used to ring on until someone answered a call with nobody there."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind((PBX_HOST, 0))  # bound, never read: no ICMP either
        via = f"SIP/2.0/UDP {PBX_HOST}:{black_hole.getsockname()[1]}"
        mark = ui.mark()
        started = time.monotonic()
        branch = "z9hG4bK" + secrets.token_hex(8)
        call_id = secrets.token_hex(8)
        for at in (0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5):  # Timer A doubling from T1
            time.sleep(max(0.0, started + at - time.monotonic()))
            from_pbx.invite(via=via, call_id=call_id, branch=branch)
            if at == 0.0:
                ringing = ui.wait_call_state("ringing_in", start=mark)
        ended = ui.wait_call(
            ringing["id"], "ended", start=mark, timeout=34 - (time.monotonic() - started)
        )
    assert time.monotonic() - started < 33.0
    assert ended["end_reason"] == "cancelled"  # the caller gave up: a missed call


def test_the_engine_listens_on_no_other_address_than_the_one_it_was_given(
    app: SoftphoneApp, ui: UiClient, from_pbx: _Sender
) -> None:
    """Tests bind the engine to 127.0.0.1: its internal wake socket (a pjsip transport, and the
    socket other threads send wake-ups from) must not open a port on every interface."""
    from_pbx.request("OPTIONS")  # a command was sent: the wake-up socket has been used
    assert ui.command("settings.update", call_waiting=True)["ok"]
    pid = app.engine.pid
    assert pid is not None
    udp = psutil.Process(pid).net_connections(kind="udp")
    assert udp
    assert {c.laddr.ip for c in udp} == {"127.0.0.1"}, udp


def test_requests_that_need_a_dialog_or_a_known_event_package_are_answered(
    ui: UiClient, from_pbx: _Sender
) -> None:
    """pjsip dropped these silently (the sender retransmitted for 32 s)."""
    for method, extra, status in (
        ("SUBSCRIBE", ["Event: x-unknown-package", "Expires: 60"], 489),
        ("BYE", [], 481),
        ("INFO", [], 481),
    ):
        call_id = from_pbx.request(method, extra)
        reply = from_pbx.final(call_id)
        assert reply is not None and reply.status == status, (method, reply)


def test_a_burst_of_calls_from_the_pbx_refused_at_once_never_exhausts_the_media_sockets(
    app: SoftphoneApp, ui: UiClient, from_pbx: _Sender, baresip_factory: Callable[..., Baresip]
) -> None:
    """Each call the PBX offers gets its RTP and RTCP sockets before it is refused (DND here),
    and pjmedia frees a socket's slot only 500 ms after it closes: 64 slots, and an engine
    that registers a 65th aborts. A caller who can ring the phone 60 times a second must
    get 503 (Retry-After) for the calls over the budget, and the phone must live."""
    assert ui.command("settings.update", dnd=True)["ok"]
    finals: dict[str, SipMessage] = {}
    for _ in range(80):  # one after the other, each as soon as the last is refused
        call_id = from_pbx.invite()
        final = from_pbx.final(call_id)
        assert final is not None, f"no answer to INVITE {len(finals) + 1}"
        finals[call_id] = final
    assert {m.status for m in finals.values()} == {486, 503}
    assert all(m.header("Retry-After") for m in finals.values() if m.status == 503)
    assert ui.command("settings.update", dnd=False)["ok"]
    time.sleep(WINDOW_S)  # the burst's budget is spent until then: a PBX call now gets 503
    mark = ui.mark()
    caller = baresip_factory("1002")
    caller.dial("1001")
    ringing = ui.wait_call_state("ringing_in", start=mark)
    assert ringing["number"] == "1002"
    assert ui.command("call.hangup", call_id=ringing["id"])["ok"]
