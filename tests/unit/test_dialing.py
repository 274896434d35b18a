"""The dialling rule (PBX only unless allowed) and the realms read from challenges."""

from __future__ import annotations

import pytest

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.dialing import challenge_realms, may_dial, strip_uri_headers, valid_realm
from softphone.domain.errors import SoftphoneError

PBX = AccountConfig(server="pbx.example.com", user="1001")


@pytest.mark.parametrize(
    "uri",
    [
        "sip:1002@pbx.example.com",
        "sip:1002@PBX.example.com.:5060",
        "<sip:1002@pbx.example.com;user=phone>",
        '"Bob" <sip:1002@pbx.example.com?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>',
        "sips:1002@pbx.example.com:5060",
    ],
)
def test_uris_on_the_pbx_may_be_dialled(uri: str) -> None:
    assert may_dial(uri, PBX)


@pytest.mark.parametrize(
    "uri",
    [
        "sip:1002@evil.example",
        "sip:1002@pbx.example.com:5070",  # another server on the same host
        "sip:1002@pbx.example.com;maddr=198.51.100.7",
        "sip:1002@pbx.example.com?Route=%3Csip:evil.example%3Bl%3E",
        "sip:1002@pbx.example.com@evil.example",
        "tel:+41441234567",
        "sip:1002@pbx.example.com :5060",
        "",
    ],
)
def test_other_servers_and_rerouting_uris_are_refused(uri: str) -> None:
    assert not may_dial(uri, PBX)


def test_allowing_direct_calls_opens_other_hosts_but_not_rerouting() -> None:
    allowed = AccountConfig(server="pbx.example.com", user="1001", allow_direct_calls=True)
    assert may_dial("sip:alice@other.example", allowed)
    assert not may_dial("sip:alice@other.example;maddr=1.2.3.4", allowed)
    assert not may_dial("sip:alice@other.example?Route=x", allowed)


def test_a_uri_without_port_names_the_pbx_domain_of_a_server_set_with_a_port() -> None:
    with_port = AccountConfig(server="pbx.example.com:5080", user="1001")
    assert may_dial("sip:1002@pbx.example.com", with_port)
    assert may_dial("sip:1002@pbx.example.com:5080", with_port)
    assert not may_dial("sip:1002@pbx.example.com:5060", with_port)


def test_tls_accounts_default_to_port_5061() -> None:
    tls = AccountConfig(server="pbx.example.com", user="1001", transport=Transport.TLS)
    assert may_dial("sips:1002@pbx.example.com:5061", tls)
    assert not may_dial("sips:1002@pbx.example.com:5060", tls)


def test_realms_are_read_from_every_challenge() -> None:
    response = (
        "SIP/2.0 401 Unauthorized\r\n"
        'WWW-Authenticate: Digest realm="evil.example", nonce="1", qop="auth"\r\n'
        "proxy-authenticate: Digest nonce=2, realm=pbx\r\n"
        "Contact: <sip:x@y>;realm=nope\r\n\r\n"
    )
    assert challenge_realms(response) == ["evil.example", "pbx"]
    assert strip_uri_headers("<sip:1002@pbx?Replaces=x>") == "sip:1002@pbx"


@pytest.mark.parametrize("realm", ["", 'a"b', "a\\b", "a\r\nb", "x" * 129, "é"])
def test_a_realm_from_the_network_must_be_plain_text(realm: str) -> None:
    assert not valid_realm(realm)
    if realm:
        with pytest.raises(SoftphoneError):
            AccountConfig(server="pbx", user="1001", realm=realm)
