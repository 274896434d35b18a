"""Recovery the probe alone must find: a PBX that restarts between two probes, a network
that silently drops every packet (no ICMP), and a TLS registrar that goes away and back."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from pbx.sip_udp import options_ping
from softphone.app import SoftphoneApp
from softphone.phone import registration_watch as rw
from support.app_harness import UiClient, running_app, sign_in
from support.app_harness import registration_event as _registration

pytestmark = pytest.mark.integration

WATCH_LOG = "softphone.phone.registration_watch"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        yield running


@pytest.fixture
def ui(app: SoftphoneApp) -> Iterator[UiClient]:
    client = UiClient(app)
    yield client
    client.close()


def test_a_pbx_restarting_between_two_probes_is_noticed_and_calls_ring(
    ui: UiClient,
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=WATCH_LOG)
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    # The probe must have reached the phone through the registrar once (200) before it
    # trusts a 404/480 from it.
    time.sleep(rw.PROBE_S + 2.0)
    mark = ui.mark()
    started = time.monotonic()
    kamailio.restart()  # usrloc is in memory: the restarted PBX knows nobody
    restarted_at = time.time()
    down_s = time.monotonic() - started
    # Back (restart() waits for its OPTIONS 200): however long it took, the test goes on
    # from here; a probe that fell into the restart is the other path accepted below.
    assert options_ping(kamailio.port) == 200
    # The caller registers on the new PBX; the app has not re-registered by its own timer
    # (its refresh is minutes away) and no probe saw the PBX down.
    peer = baresip_factory("1002")
    time.sleep(max(0.0, restarted_at + rw.PROBE_S + 3.0 - time.time()))
    peer_mark = peer.mark()
    peer.dial("1001")
    call = ui.wait_call_state("ringing_in", start=mark, timeout=5.0)
    dialed_s = time.time() - restarted_at
    messages = [(r.created, r.getMessage()) for r in caplog.records if r.name == WATCH_LOG]
    forgotten = [at for at, m in messages if "no longer knows us" in m]
    outage = [at for at, m in messages if "does not answer" in m]
    # Which path found it: the AOR probe, or (rarely) a probe that fell into the restart.
    assert forgotten or outage, messages
    noticed_s = (forgotten or outage)[0] - restarted_at
    print(
        f"restart took {down_s:.2f} s; noticed {noticed_s:.2f} s after"
        f" ({'binding lost' if forgotten else 'outage'}); caller dialled at {dialed_s:.1f} s"
    )
    assert ui.command("call.reject", call_id=call["id"])["ok"]
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)


@contextmanager
def _silently_dropped(port: int) -> Iterator[Callable[[], float]]:
    """Every UDP/TCP packet to 127.0.0.1:`port` is dropped: no RST, no ICMP (nftables).
    Yields `restore()`, which lets packets through again and returns when it began."""
    table = f"softphone_drop_{port}"
    rules = (
        f"table inet {table} {{\n"
        "  chain input { type filter hook input priority -10; policy accept;\n"
        f"    iifname lo ip daddr 127.0.0.1 udp dport {port} drop\n"
        f"    iifname lo ip daddr 127.0.0.1 tcp dport {port} drop\n"
        "  }\n}\n"
    )
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=10)
    dropping = True

    def restore() -> float:
        nonlocal dropping
        began = time.monotonic()  # nft may commit well before it exits on a busy machine
        subprocess.run(["nft", "delete", "table", "inet", table], check=True, timeout=10)
        dropping = False
        return began

    try:
        yield restore
    finally:
        if dropping:
            restore()


def test_a_network_that_silently_drops_packets_is_an_outage_and_recovers(
    ui: UiClient, kamailio: Kamailio
) -> None:
    try:
        subprocess.run(["nft", "list", "tables"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs nftables (root): {exc}")
    assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    # Right after registering, the next probe is PROBE_S away: the outage is shown after two
    # timeouts (PROBE_S + 2 * PROBE_TIMEOUT_S + OUTAGE_PROBE_S = 10 s). The drop lasts 5 s
    # longer, so that the backoff REGISTERs sent meanwhile are lost too.
    drop_s = rw.PROBE_S + rw.OUTAGE_PROBE_S + 2 * rw.PROBE_TIMEOUT_S + 5.0
    mark = ui.mark()
    started = time.monotonic()
    with _silently_dropped(kamailio.port) as restore:
        ui.wait_for(_registration("unregistered", "server_unreachable"), drop_s, mark)
        noticed_s = time.monotonic() - started
        shown = ui.mark()
        time.sleep(max(0.0, started + drop_s - time.monotonic()))
        mark = ui.mark()
        # Nothing got through meanwhile (REGISTER retries are dropped as well).
        assert not [e for e in ui.events[shown:mark] if _registration("registered")(e)]
        back_at = restore()
        ui.wait_for(_registration("registered"), 10.0, mark)
    back_s = time.monotonic() - back_at
    print(f"drop {drop_s:.0f} s: outage shown after {noticed_s:.1f} s; registered {back_s:.2f} s")


def test_a_tls_registrar_stopped_for_10_s_is_registered_with_again(
    ui: UiClient, kamailio: Kamailio
) -> None:
    server = f"127.0.0.1:{kamailio.tls_port}"
    shown = ui.command("account.server_certificate", server=server)
    assert shown["ok"], shown
    sha = shown["result"]["sha256"]
    assert ui.command("account.trust_certificate", server=server, sha256=sha)["ok"]
    reply = ui.command(
        "account.setup",
        server=server,
        user="1001",
        password=kamailio.users["1001"],
        transport="tls",
    )
    assert reply["ok"], reply
    mark = ui.mark()
    stopped_at = time.monotonic()
    kamailio.stop()
    ui.wait_for(_registration("unregistered", "server_unreachable"), 10.0, mark)
    noticed_s = time.monotonic() - stopped_at
    time.sleep(max(0.0, stopped_at + 10.0 - time.monotonic()))
    mark = ui.mark()
    kamailio.start()
    back_at = time.monotonic()
    ui.wait_for(_registration("registered"), 10.0, mark)
    back_s = time.monotonic() - back_at
    print(f"tls: outage shown after {noticed_s:.1f} s; registered {back_s:.2f} s after return")
