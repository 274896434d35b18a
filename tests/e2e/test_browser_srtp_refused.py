"""A caller without SRTP, refused as our SRTP is mandatory: a missed call that says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    """Signed in as 1001 over TLS with mandatory SRTP (the PBX certificate trusted)."""
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        server = f"127.0.0.1:{kamailio.tls_port}"
        shown = ui.command("account.server_certificate", server=server)
        assert shown["ok"], shown
        sha256 = shown["result"]["sha256"]
        assert ui.command("account.trust_certificate", server=server, sha256=sha256)["ok"]
        reply = ui.command(
            "account.setup",
            server=server,
            user="1001",
            password=kamailio.users["1001"],
            transport="tls",
            srtp="mandatory",
        )
        assert reply["ok"], reply
        assert ui.command("settings.update", first_run_done=True)["ok"]
        ui.close()
        yield running


def test_refused_caller_without_encryption_is_listed_as_missed_with_the_reason(
    page: Page, kamailio: Kamailio, tmp_path: Path, artifacts: Path
) -> None:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    peer = PjPeer(
        kamailio.tls_port,
        "1002",
        kamailio.users["1002"],
        transport="tls",
        srtp="off",
        mode="silent",
        work_dir=tmp_path / "peer",
    ).start()
    try:
        peer.dial("1001")
        status = peer.wait_until(lambda st: len(st["finished"]) == 1)
        assert status["finished"][0]["last_code"] == 488
    finally:
        peer.stop()
    page.get_by_role("tab", name="History").click()
    row = page.locator(".history-row").filter(has_text="1002")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.locator(".history-row__outcome")).to_have_text("Missed")
    expect(row.locator(".history-row__reason")).to_have_text(
        "Caller's phone does not support encryption"
    )
    page.screenshot(path=str(artifacts / "e2e-srtp-refused-history.png"))
