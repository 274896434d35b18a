"""Network settings: validation, storage (TURN password in the keyring), STUN parsing, checks."""

from __future__ import annotations

import json
import socket
import struct
from pathlib import Path

import pytest

from softphone.diagnostics import netcheck
from softphone.diagnostics.netcheck import Status, check_rtp_ports, check_stun
from softphone.domain.account import AccountConfig
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SettingsChanged
from softphone.domain.network import CallQuality, NetworkSettings, network_from_json
from softphone.domain.settings import Settings
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from softphone.web.network_commands import firewall_rules, network_commands

# RFC 5769 section 2.2, "sample IPv4 response": XOR-MAPPED-ADDRESS is 192.0.2.1:32853.
RFC5769_IPV4_RESPONSE = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96"
)


def test_defaults_work_without_touching_anything() -> None:
    n = NetworkSettings()
    assert (n.sip_port, n.rtp_port_min, n.rtp_port_max) == (0, 40000, 40099)
    assert n.keepalive_seconds == 15 and n.sip_outbound and not n.ice and not n.turn_server


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sip_port": 80}, "sip_port"),
        ({"sip_port": 70000}, "sip_port"),
        ({"rtp_port_min": 40000, "rtp_port_max": 40003}, "rtp_port_max"),
        ({"rtp_port_min": 100}, "rtp_port_min"),
        ({"keepalive_seconds": -1}, "keepalive_seconds"),
        ({"stun_server": "stun example.com"}, "stun_server"),
        ({"outbound_proxy": "proxy:99999"}, "outbound_proxy"),
        ({"turn_server": "turn.example.com"}, "turn_user"),
        ({"turn_user": "a\nb"}, "turn_user"),
    ],
)
def test_bad_values_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(SoftphoneError) as err:
        network_from_json(changes)
    assert err.value.key is ErrorKey.INVALID_ARGUMENT and err.value.field == field


def test_wrong_types_and_unknown_keys_are_refused() -> None:
    for data in ({"sip_port": "5060"}, {"ice": 1}, {"surprise": True}, []):
        with pytest.raises(SoftphoneError):
            network_from_json(data)


def test_network_settings_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    network = NetworkSettings(sip_port=5070, stun_server="stun.example.com:3478", ice=True)
    SettingsStore(path).save(Settings(network=network))
    assert SettingsStore(path).settings.network == network
    assert json.loads(path.read_text())["network"]["sip_port"] == 5070


def test_a_corrupt_network_section_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"network": {"sip_port": "x"}}))
    assert SettingsStore(path).settings.network == NetworkSettings()


class _Accounts:
    def __init__(self) -> None:
        self.account = AccountConfig(server="pbx.example.com", user="1001")
        self.resumed = 0

    def resume(self) -> None:
        self.resumed += 1


def test_update_keeps_the_turn_password_in_the_keyring_only(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    secrets = SecretStore(service="softphone-test-network")
    accounts = _Accounts()
    published: list[Event] = []
    commands = network_commands(store, secrets, accounts, published.append)  # type: ignore[arg-type]
    with pytest.raises(SoftphoneError) as err:
        commands["network.update"]({"turn_server": "turn.example.com", "turn_user": "ann"})
    assert err.value.field == "turn_password"
    commands["network.update"](
        {"turn_server": "turn.example.com", "turn_user": "ann", "turn_password": "s3cret-turn"}
    )
    assert store.settings.network.turn_server == "turn.example.com"
    assert secrets.get("turn:ann@turn.example.com") == "s3cret-turn"
    assert "s3cret-turn" not in store.path.read_text()
    assert accounts.resumed == 1 and isinstance(published[-1], SettingsChanged)
    commands["network.update"]({"keepalive_seconds": 15})  # unchanged: no re-registration
    assert accounts.resumed == 1
    commands["network.update"]({"turn_server": "", "turn_user": ""})
    assert secrets.get("turn:ann@turn.example.com") is None


def test_stun_response_parsed_from_rfc5769_vector() -> None:
    attrs = netcheck._stun_attrs(RFC5769_IPV4_RESPONSE)
    assert netcheck._mapped_address(attrs) == ("192.0.2.1", 32853)


def test_stun_check_against_a_fake_server_on_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        import threading

        def answer() -> None:
            data, peer = server.recvfrom(2048)
            tid = data[8:20]
            x_port = peer[1] ^ 0x2112
            x_addr = struct.unpack("!I", socket.inet_aton("203.0.113.7"))[0] ^ 0x2112A442
            attr = struct.pack("!HHBBHI", 0x0020, 8, 0, 1, x_port, x_addr)
            server.sendto(struct.pack("!HHI", 0x0101, len(attr), 0x2112A442) + tid + attr, peer)

        thread = threading.Thread(target=answer)
        thread.start()
        result = check_stun(f"127.0.0.1:{port}")
        thread.join()
    assert result.status is Status.OK and result.problem == "behind_nat"
    assert result.params["public_address"] == "203.0.113.7"
    assert result.params["local_address"] == "127.0.0.1"


def test_stun_check_without_answer_says_so() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        result = check_stun(f"127.0.0.1:{silent.getsockname()[1]}")
    assert (result.status, result.problem) == (Status.WARNING, "no_answer")


def test_rtp_port_check_counts_ports_held_by_others() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        first = probe.getsockname()[1]
    if first > 65000:
        first = 61000
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", first + 3))
        result = check_rtp_ports(first, first + 9)
    assert result.params["busy"] >= 1 and result.status is not Status.ERROR


def test_firewall_rules_name_every_port_in_use() -> None:
    network = NetworkSettings(sip_port=5070, stun_server="stun.example.com", ice=True)
    rules = {r["what"]: r for r in firewall_rules("pbx.example.com:5060", network)}
    assert rules["sip"]["local_port"] == "5070" and rules["sip"]["remote"] == "pbx.example.com:5060"
    assert rules["rtp"]["local_port"] == "40000-40099"
    assert rules["stun"]["remote"] == "stun.example.com" and "turn" not in rules


def _quality(**kw: object) -> CallQuality:
    base: dict[str, object] = {
        "call_id": "c", "codec": "G722", "rx_packets": 100, "tx_packets": 100,
        "loss_percent": 0.0, "jitter_ms": 2.0, "rtt_ms": 20.0, "remote_loss_percent": 0.0,
        "no_media_seconds": 0,
    }  # fmt: skip
    base.update(kw)
    return CallQuality(**base)  # type: ignore[arg-type]


def test_quality_level_follows_loss_jitter_rtt_and_silence() -> None:
    assert _quality().level == "good"
    assert _quality(loss_percent=2.0).level == "fair"
    assert _quality(jitter_ms=80.0).level == "poor"
    assert _quality(rtt_ms=350.0).level == "fair"
    assert _quality(no_media_seconds=6).level == "poor"


def test_the_server_port_is_probed_for_its_own_kind_of_transport_only() -> None:
    from softphone.domain.account import Transport

    assert netcheck._probe_port(None, Transport.TLS, Transport.UDP) == 5061
    assert netcheck._probe_port(5070, Transport.TCP, Transport.UDP) == 5070
    assert netcheck._probe_port(5070, Transport.TLS, Transport.UDP) == 5061
    assert netcheck._probe_port(5071, Transport.UDP, Transport.TLS) == 5060
    assert netcheck._probe_port(5071, Transport.TLS, Transport.TLS) == 5071


class _FakeEndpoint:
    """Stands in for pj.Endpoint at the library boundary: counts IP-change requests."""

    def __init__(self) -> None:
        self.ip_changes = 0

    def handleIpChange(self, _param: object) -> None:  # noqa: N802 (pjsua2 API)
        self.ip_changes += 1


def test_address_watcher_re_registers_once_per_change_and_times_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from softphone.domain.network import LocalAddressChanged, ReregisteredAfterAddressChange
    from softphone.engine import nat

    monkeypatch.setattr(nat, "ADDRESS_POLL_SECONDS", 0.0)
    addresses = iter([frozenset({"10.0.0.2"}), frozenset({"10.0.0.2"}), frozenset({"10.0.1.7"})])
    ep, events = _FakeEndpoint(), []
    watcher = nat.AddressWatcher(ep, events.append, True, read=lambda: next(addresses))  # type: ignore[arg-type]
    watcher.on_registered()  # a routine refresh: nothing to report
    watcher.poll(has_account=True)  # unchanged
    assert ep.ip_changes == 0 and events == []
    watcher.poll(has_account=True)  # 10.0.0.2 -> 10.0.1.7
    assert ep.ip_changes == 1 and events == [LocalAddressChanged(("10.0.1.7",))]
    watcher.on_registered()
    assert isinstance(events[-1], ReregisteredAfterAddressChange)
    assert events[-1].elapsed_ms >= 0
    watcher.on_registered()
    assert len(events) == 2


def test_address_watcher_is_off_when_bound_to_one_address() -> None:
    from softphone.engine import nat

    ep = _FakeEndpoint()
    watcher = nat.AddressWatcher(ep, lambda _e: None, False, read=lambda: frozenset({"x"}))  # type: ignore[arg-type]
    assert watcher.next_due() is None
    watcher.poll(has_account=True)
    assert ep.ip_changes == 0


def test_network_settings_cannot_change_during_a_call(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    commands = network_commands(
        store,
        SecretStore(service="softphone-test-network"),
        _Accounts(),  # type: ignore[arg-type]
        lambda _e: None,
        in_call=lambda: True,
    )
    with pytest.raises(SoftphoneError) as err:
        commands["network.update"]({"keepalive_seconds": 30})
    assert err.value.key is ErrorKey.INVALID_STATE
    assert store.settings.network.keepalive_seconds == 15
