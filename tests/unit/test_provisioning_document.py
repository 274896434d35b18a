"""The provisioning document parser: a full document, unknown keys, and hostile ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from softphone.domain.account import SrtpMode, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.feature_codes import ForwardingMode
from softphone.domain.provisioning import MAX_DOCUMENT_BYTES, parse_document

FULL: dict[str, Any] = {
    "version": 1,
    "account": {
        "server": "pbx.example.com:5061",
        "user": "201",
        "auth_user": "alice201",
        "password": "sip-secret ",
        "display_name": "Alice Martin",
        "transport": "tls",
        "srtp": "mandatory",
        "outbound_proxy": "edge.example.com:5061",
        "stun_server": "stun.example.com",
        "turn": {"server": "turn.example.com:3478", "user": "alice", "password": "t"},
    },
    "directory": {
        "carddav": {"url": "https://dav.example.com/company/", "user": "alice", "password": "d"},
        "contacts": [{"name": "Reception", "numbers": ["+41 44 123 45 67"], "extension": "200"}],
    },
    "colleagues": [
        {"extension": "202", "name": "Bob"},
        {"extension": "203", "name": "Carol"},
        {"extension": "202", "name": "Bob again"},
    ],
    "panel": ["203"],
    "feature_codes": {"forwarding_mode": "pbx", "pickup_prefix": "**", "busy_on": "*90{number}"},
    "voicemail": "*97",
    "locked": ["account", "feature_codes"],
    "refresh_minutes": 240,
    "a_future_key": {"anything": [1, 2, 3]},
}


def doc(**changes: Any) -> bytes:
    data = json.loads(json.dumps(FULL))
    for key, value in changes.items():
        data[key] = value
    return json.dumps(data).encode()


def refused(raw: bytes | str, field: str) -> None:
    with pytest.raises(SoftphoneError) as info:
        parse_document(raw)
    assert info.value.key is ErrorKey.PROVISIONING_INVALID
    assert info.value.field == field


def test_a_full_document_becomes_domain_types() -> None:
    d = parse_document(doc())
    assert d.account is not None
    assert d.account.config.server == "pbx.example.com:5061"
    assert d.account.config.auth_user == "alice201"
    assert d.account.config.transport is Transport.TLS
    assert d.account.config.srtp is SrtpMode.MANDATORY
    assert d.account.sip_password == "sip-secret "  # secrets are kept as given
    assert d.account.turn_user == "alice" and d.account.turn_password == "t"
    assert d.carddav is not None and d.carddav.password == "d"
    assert d.contacts[0].numbers == ("+41 44 123 45 67",)
    assert [c.extension for c in d.colleagues] == ["202", "203"]  # duplicate kept once
    assert d.panel == ("203",)
    assert d.feature_codes is not None
    assert d.feature_codes.forwarding_mode is ForwardingMode.PBX
    assert d.feature_codes.pickup_prefix == "**"
    assert d.feature_codes.unconditional_on == "*72{number}"  # unnamed codes keep defaults
    assert d.voicemail == "*97"
    assert d.locked == {"account", "feature_codes"}
    assert d.refresh_minutes == 240
    assert "sip-secret" not in repr(d)


def test_a_minimal_document_takes_the_sign_in_user() -> None:
    d = parse_document(b'{"version": 1, "account": {"server": "pbx.test"}}', sign_in_user="alice")
    assert d.account is not None and d.account.config.user == "alice"
    assert d.account.sip_password == "" and d.colleagues == ()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": 2}, "version"),
        ({"version": "1"}, "version"),
        ({"version": True}, "version"),
        ({"account": {"server": "bad host!", "user": "1"}}, "account.server"),
        ({"account": {"server": "pbx.test", "user": "a b"}}, "account.user"),
        (
            {"account": {"server": "pbx.test", "user": "1", "transport": "sctp"}},
            "account.transport",
        ),
        ({"account": {"server": "pbx.test", "user": "1", "srtp": "mandatory"}}, "account.srtp"),
        ({"account": {"server": "pbx.test", "user": 201}}, "account.user"),
        ({"account": {"server": "pbx.test", "user": "1", "password": 5}}, "account.password"),
        (
            {"account": {"server": "pbx.test", "user": "1", "stun_server": "a b"}},
            "account.stun_server",
        ),
        (
            {"account": {"server": "pbx.test", "user": "1", "turn": {"server": "t.test"}}},
            "account.turn.user",
        ),
        ({"account": "pbx.test"}, "account"),
        ({"directory": {"carddav": {"url": "file:///etc/passwd"}}}, "directory.carddav.url"),
        ({"directory": {"ldap": {"url": "ldap://h", "base": ""}}}, "directory.ldap.base"),
        (
            {"directory": {"ldap": {"url": "ldap://h", "base": "o=x", "filter": "x"}}},
            "directory.ldap.filter",
        ),
        (
            {"directory": {"contacts": [{"name": "X", "numbers": ["abc"]}]}},
            "directory.contacts[0].numbers[0]",
        ),
        ({"colleagues": [{"extension": "2 02"}]}, "colleagues[0].extension"),
        ({"colleagues": {"extension": "202"}}, "colleagues"),
        ({"panel": ["999"]}, "panel[0]"),
        ({"feature_codes": {"unconditional_on": "*72"}}, "feature_codes.unconditional_on"),
        ({"feature_codes": {"forwarding_mode": "both"}}, "feature_codes.forwarding_mode"),
        ({"voicemail": "call me"}, "voicemail"),
        ({"locked": ["everything"]}, "locked"),
        ({"refresh_minutes": -1}, "refresh_minutes"),
    ],
)
def test_a_bad_value_is_refused_with_its_field(change: dict[str, Any], field: str) -> None:
    refused(doc(**change), field)


@pytest.mark.parametrize("char", ["\x00", "\n", "\r", "\x1b", "\x7f"])
def test_control_characters_are_refused_not_stripped(char: str) -> None:
    refused(
        doc(account={"server": "pbx.test", "user": "1", "display_name": f"A{char}B"}),
        "account.display_name",
    )
    refused(doc(colleagues=[{"extension": "202", "name": f"Bob{char}"}]), "colleagues[0].name")


def test_a_lone_surrogate_is_refused() -> None:
    refused(b'{"version": 1, "voicemail": "\\ud800"}', "voicemail")


def test_a_huge_document_is_refused_before_parsing() -> None:
    raw = b'{"version": 1, "x": "' + b"a" * MAX_DOCUMENT_BYTES + b'"}'
    with pytest.raises(SoftphoneError) as info:
        parse_document(raw)
    assert info.value.key is ErrorKey.PROVISIONING_INVALID


@pytest.mark.parametrize("depth", [20, 100_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    refused(b'{"version": 1, "x": ' + b"[" * depth + b"]" * depth + b"}", "document")


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'"x"', b"{", b"\xff\xfe", b"{}"])
def test_not_a_document_is_refused(raw: bytes) -> None:
    with pytest.raises(SoftphoneError) as info:
        parse_document(raw)
    assert info.value.key is ErrorKey.PROVISIONING_INVALID


def test_too_many_colleagues_are_refused() -> None:
    many = [{"extension": str(1000 + i)} for i in range(5001)]
    refused(doc(colleagues=many), "colleagues")
