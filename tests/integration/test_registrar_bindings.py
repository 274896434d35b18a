"""The registrar never keeps a dead binding of ours: checked in Kamailio's location table.

A binding left behind costs the user: the PBX forks every incoming call to it too, for the
binding's whole lifetime. Sign-out and quit must remove ours (after a REGISTER still in
flight), and an engine restarted after a crash must replace its predecessor's binding (a
stable +sip.instance), not add one. Kamailio challenges every REGISTER (digest), so a binding
that goes away was removed by an un-REGISTER that carried credentials.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil
import pytest

from pbx.kamailio import Kamailio
from softphone.domain import commands as cmd
from support.app_harness import UiClient, registration_event, running_app
from support.engine_watch import kill_engine

pytestmark = pytest.mark.integration

# Longer than a REGISTER round trip here, shorter than pjsip's first UDP retransmission
# (500 ms): the REGISTER is still in flight when the test acts, and is not sent twice.
REGISTER_DELAY_S = 0.3


def _sign_in(ui: UiClient, kamailio: Kamailio, transport: str = "udp") -> None:
    mark = ui.mark()
    reply = ui.command(
        "account.setup",
        server=kamailio.address,
        user="1001",
        password=kamailio.users["1001"],
        transport=transport,
    )
    assert reply["ok"], reply
    ui.wait_for(registration_event("registered"), 10.0, mark)


def _wait_bindings(kamailio: Kamailio, count: int, timeout: float = 3.0) -> list[str]:
    """The bindings of 1001 once there are `count` of them (or what is there at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        found = kamailio.bindings("1001")
        if len(found) == count or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def test_a_restarted_engine_replaces_its_binding_instead_of_adding_one(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        _sign_in(ui, kamailio)
        first = kamailio.bindings("1001")
        assert len(first) == 1, first
        # Killed twice: the supervisor restarts the engine on the dead one's SIP port the
        # first time only, so the second restart registers a Contact on a new port (as any
        # restart behind a NAT, or over TCP, does).
        contacts = set(first)
        for _ in range(2):
            mark = ui.mark()
            kill_engine(app)
            ui.wait_for(registration_event("registered"), 20.0, mark)
            now = kamailio.bindings("1001")
            assert len(now) == 1, f"the dead engine's binding stayed: {now}"
            contacts.update(now)
        assert len(contacts) == 2, f"the Contact never changed: {contacts}"
        ui.close()


def test_sign_out_with_a_register_in_flight_leaves_no_binding(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        _sign_in(ui, kamailio)
        assert len(kamailio.bindings("1001")) == 1
        kamailio.set_register_delay(REGISTER_DELAY_S)
        app.engine.send(cmd.Reregister())  # a refresh the registrar has not answered yet
        mark = ui.mark()
        started = time.monotonic()
        assert ui.command("account.sign_out")["ok"]
        # The app says signed out at once; the engine removes the binding behind it.
        ui.wait_for(registration_event("unconfigured"), 5.0, mark)
        left = _wait_bindings(kamailio, 0)
        print(f"binding removed {time.monotonic() - started:.2f} s after sign-out")
        assert left == [], f"sign-out left a binding at the registrar: {left}"
        # Nothing reported afterwards: the answers to the removed account are not news.
        time.sleep(REGISTER_DELAY_S * 2)
        states = [
            e["registration"]["state"]
            for e in ui.events[mark:]
            if e.get("type") == "registration_changed"
        ]
        assert states == ["unconfigured"], states
        ui.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_quit_with_a_register_in_flight_leaves_no_binding(
    kamailio: Kamailio, tmp_path: Path, transport: str
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        _sign_in(ui, kamailio, transport)
        assert len(kamailio.bindings("1001")) == 1
        kamailio.set_register_delay(REGISTER_DELAY_S)
        app.engine.send(cmd.Reregister())
        ui.close()
        started = time.monotonic()
    quit_s = time.monotonic() - started  # running_app stopped the app (and checked its exit)
    print(f"{transport}: quit took {quit_s:.2f} s with a REGISTER in flight")
    left = kamailio.bindings("1001")
    assert left == [], f"quit left a binding at the registrar: {left}"
    assert app.engine.exitcode == 0  # it waited for the REGISTER, it was not killed


def test_quit_stays_bounded_when_the_registrar_does_not_answer(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    with running_app(tmp_path / "app") as app:
        ui = UiClient(app)
        _sign_in(ui, kamailio)
        ui.close()
        assert kamailio.pid is not None
        main = psutil.Process(kamailio.pid)
        tree = [main, *main.children(recursive=True)]  # its SIP workers are children
        for proc in tree:
            proc.send_signal(signal.SIGSTOP)  # alive but silent: no ICMP, no answer
        started = time.monotonic()
        try:
            app.stop()
        finally:
            for proc in tree:
                proc.send_signal(signal.SIGCONT)
        quit_s = time.monotonic() - started
        print(f"quit took {quit_s:.2f} s with a silent registrar")
        # Its un-REGISTER gave up at its bound: the engine ended by itself before the app's
        # stop timeout would have killed it.
        assert app.engine.exitcode == 0
