"""RegistrationWatch: outage detection, backoff and the state shown, with a fake probe."""

from __future__ import annotations

import itertools
import socket
import threading
import time

from softphone.domain import commands as cmd
from softphone.domain.account import AccountConfig, Registration, RegistrationState, Transport
from softphone.domain.errors import ErrorKey
from softphone.phone import registration_watch as rw
from softphone.phone.registration_watch import ProbeResult, RegistrationWatch

ACCOUNT = AccountConfig(server="127.0.0.1:5999", user="1001")
REGISTERED = Registration(RegistrationState.REGISTERED, code=200)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _watch(results: list[ProbeResult]) -> tuple[RegistrationWatch, Clock, list, list]:
    clock = Clock()
    sent: list[cmd.EngineCommand] = []
    shown: list[Registration] = []
    watch = RegistrationWatch(sent.append, shown.append, lambda _a: results.pop(0), clock)
    watch.watch(ACCOUNT)
    return watch, clock, sent, shown


def _tick(watch: RegistrationWatch, clock: Clock, seconds: float, step: float = 0.5) -> None:
    """Drive the loop body by hand (no thread): probe and retry whenever due."""
    end = clock.now + seconds
    while clock.now < end:
        clock.now += step
        if clock.now >= watch._next_probe:
            watch._on_probe(ACCOUNT, watch._probe(ACCOUNT))
        watch._retry_if_due(ACCOUNT)


def test_an_unanswered_probe_shows_not_registered_and_retries_with_backoff() -> None:
    results = [ProbeResult.ANSWERED, ProbeResult.TIMEOUT] + [ProbeResult.TIMEOUT] * 80
    watch, clock, sent, shown = _watch(results)
    _tick(watch, clock, 11.0)
    assert shown == [Registration(RegistrationState.UNREGISTERED, ErrorKey.SERVER_UNREACHABLE)]
    retries_at: list[float] = []
    outage_at = clock.now
    for _ in range(80):
        before = len(sent)
        _tick(watch, clock, 0.5)
        if len(sent) > before:
            retries_at.append(clock.now - outage_at)
    gaps = [b - a for a, b in itertools.pairwise(retries_at)]
    assert gaps[:3] == [4.0, 8.0, 16.0]
    assert all(c == cmd.Reregister(outage=True) for c in sent)


def test_the_pbx_answering_again_triggers_an_immediate_register() -> None:
    results = [ProbeResult.REFUSED] * 8 + [ProbeResult.ANSWERED] * 20
    watch, clock, sent, _shown = _watch(results)
    _tick(watch, clock, 5.0)  # outage found: nobody listens on the port
    _tick(watch, clock, 5.0)  # backoff retries due, but no REGISTER to a closed port
    assert sent == []
    _tick(watch, clock, 3.0)  # probes every second: the PBX answers
    assert sent == [cmd.Reregister(outage=True)]
    assert watch.interpret(REGISTERED) == REGISTERED
    assert not watch.in_outage


def test_one_lost_probe_is_not_an_outage_but_two_are() -> None:
    results = [ProbeResult.TIMEOUT, ProbeResult.ANSWERED] + [ProbeResult.TIMEOUT] * 9
    watch, clock, _sent, shown = _watch(results)
    _tick(watch, clock, 7.0)
    assert shown == []
    _tick(watch, clock, 6.0)
    assert watch.in_outage and shown


def test_engine_failures_are_shown_as_not_registered_only_for_an_accepted_account() -> None:
    watch, _clock, _sent, _shown = _watch([])
    timeout = Registration(RegistrationState.FAILED, ErrorKey.SERVER_UNREACHABLE, 408)
    assert watch.interpret(timeout) == Registration(
        RegistrationState.UNREGISTERED, ErrorKey.SERVER_UNREACHABLE, 408
    )
    auth = Registration(RegistrationState.FAILED, ErrorKey.AUTH_FAILED, 403)
    assert watch.interpret(auth) == auth and not watch.in_outage
    watch.watch(None)  # an account being set up: its failure is the sign-in error
    assert watch.interpret(timeout) == timeout


def test_probe_registrar_answers_refuses_and_times_out_on_real_sockets() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        account = AccountConfig(server=f"127.0.0.1:{port}", user="1001")

        def answer() -> None:
            data, peer = server.recvfrom(4096)
            via = next(line for line in data.decode().split("\r\n") if line.startswith("Via:"))
            server.sendto(f"SIP/2.0 200 OK\r\n{via}\r\n\r\n".encode(), peer)

        thread = threading.Thread(target=answer)
        thread.start()
        assert rw.probe_registrar(account, timeout=2.0) is ProbeResult.ANSWERED
        thread.join()
        started = time.monotonic()
        assert rw.probe_registrar(account, timeout=0.3) is ProbeResult.TIMEOUT  # no answer
        assert time.monotonic() - started < 1.0
    # Nobody on the port any more: the kernel's ICMP port unreachable says so at once.
    assert rw.probe_registrar(account, timeout=2.0) is ProbeResult.REFUSED
    tcp = AccountConfig(server=f"127.0.0.1:{port}", user="1001", transport=Transport.TCP)
    assert rw.probe_registrar(tcp, timeout=2.0) is ProbeResult.REFUSED
