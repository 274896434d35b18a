"""Where the SIP sockets listen: the first hop of the account and the address that reaches it."""

from __future__ import annotations

from softphone.domain.account import AccountConfig
from softphone.domain.network import NetworkSettings
from softphone.engine.sip_transports import first_hop, local_address_toward


def test_the_first_hop_is_the_outbound_proxy_when_there_is_one() -> None:
    account = AccountConfig(server="pbx.example.com:5070", user="1001")
    assert first_hop(account, NetworkSettings()) == ("pbx.example.com", 5070)
    proxied = NetworkSettings(outbound_proxy="proxy.example.com")
    assert first_hop(account, proxied) == ("proxy.example.com", 5060)


def test_the_local_address_is_the_one_the_kernel_routes_the_pbx_from() -> None:
    assert local_address_toward("127.0.0.1", 5060) == "127.0.0.1"
    assert local_address_toward("127.0.0.2", 5060) == "127.0.0.1"  # lo answers for 127/8


def test_no_route_or_no_ipv4_address_leaves_every_interface() -> None:
    assert local_address_toward("name.invalid", 5060) == ""  # RFC 6761: never resolves
    assert local_address_toward("[::1]", 5060) == ""
