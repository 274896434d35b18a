"""A tel:/sip: link in Chromium: the number waits in the keypad with Call focused; Enter calls.

Real parts only: the app (engine process, web server, built frontend), Kamailio, baresip, and
a real second `softphone` process handing the link over the single-instance socket.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.__main__ import _on_second_launch
from softphone.app import SoftphoneApp
from softphone.desktop.single_instance import SingleInstance
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        try:
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
            assert ui.command("settings.update", first_run_done=True)["ok"]
            reply = ui.command(
                "contacts.create",
                given="Bob",
                family="Peer",
                numbers=[{"label": "office", "number": "1002"}],
            )
            assert reply["ok"], reply
        finally:
            ui.close()
        # The running app listens for later launches as `softphone` itself does.
        instance = SingleInstance(running.options.paths.runtime_dir)
        assert instance.acquire()
        instance.serve(lambda argv: _on_second_launch(running, argv, []))
        try:
            yield running
        finally:
            instance.close()


@pytest.fixture
def page(page: Page) -> Page:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


@pytest.fixture
def open_link(tmp_path: Path) -> Callable[[str], None]:
    """What the OS does with a clicked link: `softphone LINK` (the .desktop file's Exec)."""

    def run(link: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "softphone", "--data-dir", str(tmp_path / "app"), link],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0 and "handed over" in done.stdout, done

    return run


def test_link_fills_the_keypad_with_call_focused_and_enter_places_the_call(
    page: Page,
    kamailio: Kamailio,
    open_link: Callable[[str], None],
    baresip_factory: Callable[..., Baresip],
    artifacts: Path,
) -> None:
    peer = baresip_factory("1002")
    page.get_by_role("tab", name="History").click()  # the link brings the keypad back

    open_link(f"sip:1002@127.0.0.1:{kamailio.port}")

    expect(page.get_by_label("Number", exact=True)).to_have_value("1002")
    call = page.get_by_role("button", name="Call", exact=True)
    expect(call).to_be_focused()
    expect(page.get_by_test_id("keypad-matches")).to_contain_text("Bob Peer")
    expect(page.get_by_test_id("keypad-hint")).to_have_text(
        "From a link: press Enter or click Call to call this number."
    )
    page.screenshot(path=str(artifacts / "e2e-link-keypad.png"))
    # Nothing was dialled by the link itself.
    expect(page.get_by_text("No active calls")).to_be_visible()
    with pytest.raises(TimeoutError):
        peer.wait_for_event("CALL_INCOMING", timeout=1.0)

    page.keyboard.press("Enter")

    peer.wait_for_event("CALL_INCOMING")
    calls = page.get_by_role("region", name="Calls")
    expect(calls.get_by_text("1002").first).to_be_visible(timeout=10_000)
    expect(page.get_by_label("Number", exact=True)).to_have_value("")


def test_hostile_link_shows_the_refusal_and_dials_nothing(
    page: Page, kamailio: Kamailio, open_link: Callable[[str], None], artifacts: Path
) -> None:
    page.get_by_label("Number", exact=True).fill("12")

    open_link(f"sip:1002@127.0.0.1:{kamailio.port}?Replaces=abc%40h%3Bto-tag%3D1")

    refusal = page.get_by_role("alert").filter(has_text="A link was not opened")
    expect(refusal).to_have_text(
        "A link was not opened: it carries extra SIP instructions (parameters or headers)."
    )
    page.screenshot(path=str(artifacts / "e2e-link-refused.png"))
    expect(page.get_by_label("Number", exact=True)).to_have_value("12")
    expect(page.get_by_text("No active calls")).to_be_visible()

    open_link("javascript:alert(1)")
    expect(refusal).to_have_text(
        "A link was not opened: only tel:, sip: and callto: links can be called."
    )
    page.get_by_label("Number", exact=True).fill("123")  # editing the number clears it
    expect(refusal).to_have_count(0)
