"""A person in Chromium watches a colleague's BLF dot: ringing, talking, hung up, DND on and off.

Real parts only: the app, Kamailio (dialog-info + presence), pjsua2 peers and a raw SIP client
publishing the colleague's DND. Each change reaches the dot; the time from its cause is printed
(bench/bench_blf.py measures it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.sip_udp import SipUdpClient
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Records every change of a dot with the wall clock (same clock as this process).
_OBSERVER = """
window.__blf = [];
new MutationObserver((records) => {
  for (const r of records) {
    const el = r.target;
    if (el.classList && el.classList.contains('blf-dot'))
      window.__blf.push({state: el.dataset.state, t: Date.now() / 1000});
  }
}).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-state']});
"""


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        users = [{"extension": "1002", "name": "Alice Martin"}]
        assert ui.command("settings.update", blf_users=users)["ok"]
        ui.close()
        yield running


@pytest.fixture
def page(page: Page) -> Page:
    """The shared page (e2e/conftest.py), once the signed-in app shows it is registered."""
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


class _Presence:
    """The colleague's presence publication, modified in place (SIP-If-Match), like a phone."""

    def __init__(self, kamailio: Kamailio) -> None:
        self.client = SipUdpClient(kamailio.port, "1002", kamailio.users["1002"])
        self.etag = ""

    def publish(self, note: str) -> None:
        pidf = (
            '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'entity="sip:1002@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
            f"</status><note>{note}</note></tuple></presence>"
        )
        headers = ["Event: presence", "Expires: 60", "Content-Type: application/pidf+xml"]
        if self.etag:
            headers.append(f"SIP-If-Match: {self.etag}")
        reply = self.client.request(
            "PUBLISH", "sip:1002@127.0.0.1", "sip:1002@127.0.0.1", headers, body=pidf
        )
        assert reply.status == 200
        self.etag = reply.header("SIP-ETag") or ""


def _seen_after(page: Page, state: str, cause_at: float) -> float:
    """Seconds from `cause_at` until the dot showed `state`."""
    dot = page.locator('.blf-row[data-extension="1002"] .blf-dot')
    expect(dot).to_have_attribute("data-state", state, timeout=5_000)
    changes: list[dict[str, Any]] = page.evaluate("window.__blf")
    times = [c["t"] for c in changes if c["state"] == state and c["t"] >= cause_at - 0.05]
    assert times, changes
    return float(times[0] - cause_at)


def test_the_dot_goes_yellow_red_green_and_red_for_dnd(
    page: Page, kamailio: Kamailio, pj_peer_factory: Callable[..., PjPeer], artifacts: Path
) -> None:
    colleague = pj_peer_factory("1002", mode="silent", answer_delay=1.5)
    caller = pj_peer_factory("1003", mode="silent")
    row = page.locator('.blf-row[data-extension="1002"]')
    expect(row).to_contain_text("Alice Martin")
    expect(row.locator(".blf-dot")).to_have_attribute("data-state", "free", timeout=10_000)
    page.evaluate(_OBSERVER)
    latencies: dict[str, float] = {}

    cause = time.time()
    caller.dial("sip:1002@127.0.0.1")
    latencies["ringing"] = _seen_after(page, "ringing", cause)
    expect(
        row.get_by_role("button", name="Pick up the call ringing for Alice Martin")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-blf-ringing.png"))
    expect(row.locator(".blf-dot")).to_have_attribute("data-state", "busy", timeout=5_000)
    page.screenshot(path=str(artifacts / "e2e-blf-busy.png"))

    cause = time.time()
    colleague.hangup()
    latencies["hangup"] = _seen_after(page, "free", cause)

    presence = _Presence(kamailio)
    cause = time.time()
    presence.publish("dnd")
    latencies["dnd_on"] = _seen_after(page, "busy", cause)
    expect(row.locator(".blf-dot")).to_have_attribute("title", "Do not disturb")
    page.screenshot(path=str(artifacts / "e2e-blf-dnd.png"))

    cause = time.time()
    presence.publish("online")
    presence.client.close()
    latencies["dnd_off"] = _seen_after(page, "free", cause)
    page.screenshot(path=str(artifacts / "e2e-blf-free.png"))
    # Each state was reached (above); how fast is for bench/bench_blf.py to measure
    # (PUBLISH to line_state event), not for an assert that a loaded machine breaks.
    print("BLF cause -> dot latencies (s):", latencies)
