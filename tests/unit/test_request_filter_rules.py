"""The request filter's pure parts: request heads, response targets, PBX addresses, log pacing."""

from __future__ import annotations

import json
import logging
import threading
from functools import partial

import pytest

from softphone.domain.account import AccountConfig
from softphone.domain.settings import Settings
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.request_filter import SourcePolicy, _RefusalLog
from softphone.engine.sip_head import parse_head, response_target
from softphone.engine.unheard_invites import UnheardInvites
from softphone.settings.schema import from_json, to_json
from softphone.web import wire
from support.deferred import Deferred, in_a_thread_joined

_INVITE = (
    b"INVITE sip:1001@10.0.0.5 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKx, SIP/2.0/UDP 10.0.0.1\r\n"
    b'To: "Tag;tag=no" <sip:1001@10.0.0.5;tag=uri-param>\r\n'
    b"Require: foo,\r\n 100rel\r\n"
    b"Require: Timer\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_a_request_head_gives_method_top_via_require_and_no_to_tag() -> None:
    head = parse_head(_INVITE)
    assert head is not None
    assert head.method == "INVITE"
    assert not head.to_tag  # ";tag=" inside the display name or the URI is not a tag
    assert head.require == ("foo", "100rel", "timer")
    assert head.via is not None
    assert (head.via.transport, head.via.host, head.via.port) == ("UDP", "10.0.0.9", 5070)
    assert head.via.branch == "z9hG4bKx"
    assert not head.via.rport


def test_a_to_tag_marks_a_request_inside_a_dialog() -> None:
    head = parse_head(b"BYE sip:a@b SIP/2.0\r\nt: <sip:1001@b>;tag=abc\r\n\r\n")
    assert head is not None and head.to_tag


def test_responses_are_not_request_heads() -> None:
    assert parse_head(b"SIP/2.0 200 OK\r\nTo: <sip:a@b>\r\n\r\n") is None
    assert parse_head(b"\r\n\r\n") is None


def test_the_response_target_follows_rfc_3261_and_3581() -> None:
    head = parse_head(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080\r\n\r\n")
    assert head is not None and head.via is not None
    assert response_target(head.via, ("10.1.1.1", 4000)) == ("10.1.1.1", 5080)  # received
    rport = parse_head(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x.example;rport\r\n\r\n")
    assert rport is not None and rport.via is not None
    assert response_target(rport.via, ("10.1.1.1", 4000)) == ("10.1.1.1", 4000)
    maddr = parse_head(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;maddr=127.0.0.1\r\n\r\n")
    assert maddr is not None and maddr.via is not None
    assert response_target(maddr.via, ("10.1.1.1", 4000)) == ("127.0.0.1", 5060)


def test_pbx_names_are_resolved_again_at_each_refresh_and_kept_when_dns_fails() -> None:
    answers = {"pbx.example.com": frozenset({"192.0.2.1"})}
    calls: list[str] = []

    def resolve(host: str) -> frozenset[str]:
        calls.append(threading.current_thread().name)
        if host not in answers:
            raise OSError("no such name")
        return answers[host]

    lookups = Deferred()
    pbx = PbxAddresses(resolve, background=lambda job: lookups(partial(in_a_thread_joined, job)))
    pbx.set_hosts(["pbx.example.com", "198.51.100.7", ""])
    assert pbx.current() == frozenset({"198.51.100.7"})  # a literal counts at once ...
    assert lookups.run() == 1  # ... a name once it is looked up, in the background
    assert pbx.current() == frozenset({"192.0.2.1", "198.51.100.7"})
    answers["pbx.example.com"] = frozenset({"192.0.2.2"})  # the PBX moved
    pbx.refresh()
    assert lookups.run() == 1
    assert pbx.current() == frozenset({"192.0.2.2", "198.51.100.7"})
    del answers["pbx.example.com"]  # DNS outage: the last address stays
    pbx.refresh()
    assert lookups.run() == 1
    assert calls == ["background"] * 3  # looked up each time, never on the engine thread
    assert pbx.current() == frozenset({"192.0.2.2", "198.51.100.7"})
    pbx.set_hosts([])
    assert pbx.current() == frozenset()


def test_only_the_pbx_address_is_permitted_unless_direct_calls_are_accepted() -> None:
    pbx = PbxAddresses()
    pbx.set_hosts(["192.0.2.1"])
    policy = SourcePolicy(pbx)
    assert policy.permits(("192.0.2.1", 40000))  # any port: TCP connections, clusters
    assert policy.permits(("::ffff:192.0.2.1", 5060))
    assert not policy.permits(("192.0.2.2", 5060))
    assert not policy.permits(None)  # an unreadable source is not the PBX
    policy.accept_direct = True
    assert policy.permits(("192.0.2.2", 5060))


def test_refusals_are_logged_once_per_source_per_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    refusals = _RefusalLog("not the PBX", lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for _ in range(200):
            refusals.refused("203.0.113.5", "INVITE")
        refusals.refused("203.0.113.6", "OPTIONS")
        now[0] += 61
        refusals.refused("203.0.113.5", "INVITE")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[2].endswith("(and 199 more in the last minute)")


def test_accepting_direct_calls_is_saved_and_sent_and_off_by_default() -> None:
    account = AccountConfig(server="pbx.example.com", user="1001", accept_direct_calls=True)
    data = json.loads(json.dumps(to_json(Settings(account=account))))  # as stored
    assert data["account"]["accept_direct_calls"] is True
    loaded = from_json(data).account
    assert loaded is not None and loaded.accept_direct_calls
    del data["account"]["accept_direct_calls"]
    loaded = from_json(data).account
    assert loaded is not None and not loaded.accept_direct_calls
    data["account"]["accept_direct_calls"] = "yes"  # only JSON true turns it on
    loaded = from_json(data).account
    assert loaded is not None and not loaded.accept_direct_calls
    assert wire.account(account)["accept_direct_calls"] is True  # type: ignore[index]


def test_an_invite_still_retransmitted_after_30_s_marks_its_caller_gone() -> None:
    now = [0.0]
    unheard = UnheardInvites(lambda: now[0])
    for at in (0.0, 0.5, 1.5, 3.5, 7.5, 15.5):  # answers lost so far, but the caller is there
        now[0] = at
        unheard.note_invite("heard-late", "z9hG4bK1")
        unheard.note_invite("other", "z9hG4bK2")
    assert unheard._gone == set()
    now[0] = 31.5
    unheard.note_invite("heard-late", "z9hG4bK1")
    assert unheard._gone == {"heard-late"}
    unheard.note_invite("new-branch", "z9hG4bK3")  # a first sighting is never "gone"
    assert "new-branch" not in unheard._gone


def test_followed_invites_are_bounded() -> None:
    now = [0.0]
    unheard = UnheardInvites(lambda: now[0])
    for n in range(10_000):
        unheard.note_invite(f"flood-{n}", "z9hG4bK")
    assert len(unheard._first_seen) <= 256
    now[0] = 100.0
    unheard.note_invite("later", "z9hG4bK")
    assert list(unheard._first_seen) == [("later", "z9hG4bK")]  # old ones forgotten
