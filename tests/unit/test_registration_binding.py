"""The registrar forgetting us (restart between probes): the AOR probe and what it triggers."""

from __future__ import annotations

import socket
import threading

import pytest

from softphone.domain import commands as cmd
from softphone.domain.account import AccountConfig, Registration
from softphone.phone import registration_watch as rw
from softphone.phone.registration_watch import ProbeResult, RegistrationWatch

ACCOUNT = AccountConfig(server="127.0.0.1:5999", user="1001")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(results: list[ProbeResult]) -> tuple[list[cmd.EngineCommand], list[Registration]]:
    """Every result in turn, one probe interval apart (the loop body driven by hand)."""
    clock = Clock()
    sent: list[cmd.EngineCommand] = []
    shown: list[Registration] = []
    watch = RegistrationWatch(sent.append, shown.append, lambda _a: results.pop(0), clock)
    watch.watch(ACCOUNT)
    while results:
        clock.now += rw.PROBE_S
        watch._on_probe(ACCOUNT, watch._probe(ACCOUNT))
        watch._retry_if_due(ACCOUNT)
        assert not watch.in_outage
    return sent, shown


def test_a_forgotten_binding_registers_at_once_without_showing_an_outage() -> None:
    sent, shown = _run([ProbeResult.BOUND, ProbeResult.BOUND, ProbeResult.UNBOUND])
    assert sent == [cmd.Reregister(outage=True)]  # BLF subscribes again as well
    assert shown == []


def test_404_or_480_means_nothing_until_the_probe_has_reached_us_once() -> None:
    sent, _ = _run([ProbeResult.UNBOUND] * 4 + [ProbeResult.ANSWERED])
    assert sent == []


def test_a_pbx_still_saying_unbound_after_our_register_gets_no_register_loop() -> None:
    sent, _ = _run([ProbeResult.BOUND] + [ProbeResult.UNBOUND] * 5)
    assert sent == [cmd.Reregister(outage=True)]
    # ... and once it reaches us again, a later loss is acted on again.
    sent, _ = _run([ProbeResult.BOUND, ProbeResult.UNBOUND, ProbeResult.BOUND, ProbeResult.UNBOUND])
    assert sent == [cmd.Reregister(outage=True)] * 2


def test_an_unknown_answer_keeps_what_was_learnt() -> None:
    # A timed-out or 401/407 AOR probe (ANSWERED) neither trusts nor forgets the 200 seen.
    sent, _ = _run([ProbeResult.BOUND, ProbeResult.ANSWERED, ProbeResult.UNBOUND])
    assert sent == [cmd.Reregister(outage=True)]


@pytest.mark.parametrize(
    ("aor_status", "expected"),
    [
        (200, ProbeResult.BOUND),
        (480, ProbeResult.UNBOUND),
        (404, ProbeResult.UNBOUND),
        (407, ProbeResult.ANSWERED),
        (401, ProbeResult.ANSWERED),
        (403, ProbeResult.ANSWERED),
        (None, ProbeResult.ANSWERED),  # the AOR probe is not answered at all
    ],
)
def test_the_udp_probe_asks_the_registrar_for_our_own_aor(
    aor_status: int | None, expected: ProbeResult
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        account = AccountConfig(server=f"127.0.0.1:{port}", user="1001")
        requests: list[str] = []

        def registrar() -> None:
            for status in (200, aor_status):
                data, peer = server.recvfrom(4096)
                requests.append(data.decode())
                if status is None:
                    return
                lines = data.decode().split("\r\n")
                via = next(line for line in lines if line.startswith("Via:"))
                if status == 480:  # a provisional answer first: it is skipped
                    server.sendto(f"SIP/2.0 100 Trying\r\n{via}\r\n\r\n".encode(), peer)
                server.sendto(f"SIP/2.0 {status} X\r\n{via}\r\n\r\n".encode(), peer)

        thread = threading.Thread(target=registrar)
        thread.start()
        assert rw.probe_registrar(account, timeout=0.5) is expected
        thread.join()
    keepalive, aor = requests
    assert keepalive.startswith(f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n")
    assert aor.startswith(f"OPTIONS sip:1001@127.0.0.1:{port} SIP/2.0\r\n")
    assert f"\r\nTo: <sip:1001@127.0.0.1:{port}>\r\n" in aor
    # A domain no PBX serves: routed to our binding, not challenged as one of its users.
    assert "\r\nFrom: <sip:registration-probe@invalid>;tag=" in aor
