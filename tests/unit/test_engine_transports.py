"""The engine's transports: UDP/TCP moved to another address, the wake-up socket made after
them, and a TLS listener renewed when the trusted CAs change after a verified sign-in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pjsua2 as pj  # noqa: TID251 (transport kinds and errors, as the fake endpoint meets them)
import pytest

from softphone.domain.account import Transport
from softphone.domain.errors import ErrorKey
from softphone.engine import mapping
from softphone.engine.config import EngineConfig
from softphone.engine.sip_transports import Binding, SipTransports
from softphone.engine.tls import TlsListener


class FakeEndpoint:
    """Stands in for pj.Endpoint at the library boundary: the transports made and closed,
    a port held until its transport is closed, TLS refused when told so."""

    def __init__(self) -> None:
        self.made: list[tuple[int, str, int]] = []  # kind, address, port: in order
        self.open: dict[int, tuple[int, str, int]] = {}
        self.closed: list[int] = []
        self.refuse_tls = False
        self.taken_tcp: set[int] = set()  # held for TCP by another program
        self._free_port = 40000

    def transportCreate(self, kind: int, cfg: pj.TransportConfig) -> int:  # noqa: N802
        port = int(cfg.port)
        in_use = any(port and p == port and k == kind for k, _a, p in self.open.values())
        in_use = in_use or (kind == pj.PJSIP_TRANSPORT_TCP and port in self.taken_tcp)
        if in_use or (kind == pj.PJSIP_TRANSPORT_TLS and self.refuse_tls):
            error = pj.Error()
            error.status = mapping.PJ_EADDRINUSE
            raise error
        if not port:
            self._free_port += 1
            port = self._free_port
        tid = len(self.made)
        self.made.append((kind, str(cfg.boundAddress), port))
        self.open[tid] = self.made[-1]
        return tid

    def transportGetInfo(self, tid: int) -> SimpleNamespace:  # noqa: N802
        _kind, address, port = self.made[tid]
        return SimpleNamespace(localName=f"{address or '0.0.0.0'}:{port}")

    def transportClose(self, tid: int) -> None:  # noqa: N802
        del self.open[tid]
        self.closed.append(tid)

    def libHandleEvents(self, _ms: int) -> int:  # noqa: N802
        return 0


def _config(tmp_path: Path, **changes: object) -> EngineConfig:
    ca = tmp_path / "ca.pem"
    if not ca.exists():
        ca.write_text("first CA\n")
    return replace(EngineConfig(tls_ca_file=ca), **changes)  # type: ignore[arg-type]


def _trust_changes(config: EngineConfig) -> None:
    assert config.tls_ca_file is not None
    with config.tls_ca_file.open("a") as file:
        file.write("one more CA\n")


def _listener(tmp_path: Path, **changes: object) -> tuple[FakeEndpoint, TlsListener, EngineConfig]:
    ep, config = FakeEndpoint(), _config(tmp_path, **changes)
    listener = TlsListener(cast(pj.Endpoint, ep), config)
    listener.open()
    return ep, listener, config


def _verified_sign_in(listener: TlsListener) -> None:
    listener.use(True)
    listener.on_registrar_answer(200, None)


def test_the_wake_up_socket_comes_after_the_sip_ones_and_follows_them_to_a_new_address(
    tmp_path: Path,
) -> None:
    ep, config = FakeEndpoint(), _config(tmp_path)
    transports = SipTransports(cast(pj.Endpoint, ep), config)
    transports.open()
    kinds = [kind for kind, _address, _port in ep.made]
    udp, tcp, tls = pj.PJSIP_TRANSPORT_UDP, pj.PJSIP_TRANSPORT_TCP, pj.PJSIP_TRANSPORT_TLS
    assert kinds == [udp, tcp, tls, udp]
    assert ep.made[1][2] == ep.made[0][2] == transports.sip_port  # TCP takes UDP's port
    assert ep.made[3][1] == "127.0.0.1" and ep.made[3][2] == transports.wake_port
    old_wake = 3

    transports.bind(Binding("10.0.0.5", 0))
    assert transports.binding == Binding("10.0.0.5", ep.made[4][2])
    assert [kind for kind, _a, _p in ep.made[4:]] == [udp, tcp, udp]
    # pjsip sends a PUBLISH through the first UDP transport made: the SIP one, not the wake one.
    assert ep.closed == [0, 1, old_wake]  # the old wake socket only once the new one is known
    assert transports.id_of(Transport.UDP) == 4 and transports.id_of(Transport.TLS) == 2
    assert transports.wake_port == ep.made[6][2]


def test_binding_again_where_the_transports_listen_changes_nothing(tmp_path: Path) -> None:
    ep, config = FakeEndpoint(), _config(tmp_path, bind_address="127.0.0.1", sip_port=5070)
    transports = SipTransports(cast(pj.Endpoint, ep), config)
    transports.open()
    made = list(ep.made)
    transports.bind(Binding("127.0.0.1", 5070))
    assert ep.made == made and ep.closed == []
    assert ep.made[2][2] == 5071  # TLS next to a fixed SIP port


def test_without_a_tls_listener_there_is_no_tls_transport_and_udp_still_works(
    tmp_path: Path,
) -> None:
    ep, config = FakeEndpoint(), _config(tmp_path)
    ep.refuse_tls = True
    transports = SipTransports(cast(pj.Endpoint, ep), config)
    transports.open()
    assert transports.id_of(Transport.TLS) is None
    assert transports.id_of(Transport.UDP) is not None


def test_a_trust_change_before_any_verified_connection_keeps_the_listener(
    tmp_path: Path,
) -> None:
    ep, listener, config = _listener(tmp_path)
    listener.use(True)
    listener.on_registrar_answer(503, ErrorKey.TLS_UNTRUSTED)  # the handshake was refused
    _trust_changes(config)
    listener.use(True)
    assert listener.id == 0 and len(ep.made) == 1


@pytest.mark.parametrize("code", [0, 408, 503])
def test_a_register_nobody_answered_does_not_verify_the_listener(tmp_path: Path, code: int) -> None:
    ep, listener, config = _listener(tmp_path)
    listener.use(True)
    listener.on_registrar_answer(code, None)
    _trust_changes(config)
    listener.use(True)
    assert len(ep.made) == 1


def test_an_account_over_udp_verifies_no_tls_connection(tmp_path: Path) -> None:
    ep, listener, config = _listener(tmp_path)
    listener.use(False)
    listener.on_registrar_answer(200, None)
    _trust_changes(config)
    listener.use(True)
    assert len(ep.made) == 1


def test_a_trust_change_after_a_verified_sign_in_makes_a_new_listener_and_keeps_the_old(
    tmp_path: Path,
) -> None:
    ep, listener, config = _listener(tmp_path)
    _verified_sign_in(listener)
    listener.use(True)  # the same CAs: the same listener
    assert listener.id == 0
    _trust_changes(config)
    listener.use(True)
    assert listener.id == 1
    assert ep.closed == []  # closing it under a live connection aborted the engine (seen)
    listener.on_registrar_answer(401, None)  # answered: this listener verified too
    _trust_changes(config)
    listener.use(True)
    assert listener.id == 2


def test_past_three_retired_listeners_a_trust_change_keeps_the_current_one(
    tmp_path: Path,
) -> None:
    ep, listener, config = _listener(tmp_path)
    for expected in (1, 2, 3, 3, 3):
        _verified_sign_in(listener)
        _trust_changes(config)
        listener.use(True)
        assert listener.id == expected
    assert len(ep.made) == 4 and ep.closed == []


def test_a_fixed_tls_port_still_held_by_the_old_listener_moves_to_any_port(
    tmp_path: Path,
) -> None:
    ep, listener, config = _listener(tmp_path, sip_port=5070)
    assert ep.made[0][2] == 5071
    _verified_sign_in(listener)
    _trust_changes(config)
    listener.use(True)
    assert listener.id == 1 and ep.made[1][2] not in (0, 5071)


def test_when_no_new_listener_can_be_made_tls_goes_on_through_the_old_one(
    tmp_path: Path,
) -> None:
    ep, listener, config = _listener(tmp_path)
    _verified_sign_in(listener)
    ep.refuse_tls = True
    _trust_changes(config)
    listener.use(True)
    assert listener.id == 0 and ep.closed == []


def test_a_free_udp_port_taken_for_tcp_is_left_for_another(tmp_path: Path) -> None:
    ep = FakeEndpoint()
    ep.taken_tcp = {40001}  # the first port the kernel gives: UDP free, TCP not
    transports = SipTransports(cast(pj.Endpoint, ep), _config(tmp_path))
    transports.open()
    assert transports.sip_port == 40002
    udp_first = 0
    assert ep.made[udp_first] == (pj.PJSIP_TRANSPORT_UDP, "", 40001)
    assert udp_first in ep.closed  # nothing stays open on the abandoned port
    kinds_on_port = sorted(k for k, _a, p in ep.open.values() if p == 40002)
    assert kinds_on_port == sorted([pj.PJSIP_TRANSPORT_UDP, pj.PJSIP_TRANSPORT_TCP])


def test_the_users_own_port_taken_means_any_port_not_an_engine_that_cannot_start(
    tmp_path: Path,
) -> None:
    ep = FakeEndpoint()
    ep.taken_tcp = {5090}
    transports = SipTransports(cast(pj.Endpoint, ep), _config(tmp_path, sip_port=5090))
    transports.open()
    assert transports.sip_port == 40001
    assert not [p for _k, _a, p in ep.open.values() if p == 5090]
