"""A person plugs in a telephony headset (fake HID, real PulseAudio sound card with its USB ids):
the main window offers it for calls; "Use … for calls" moves input, output and ringer to it,
and the headset settings then say which headset takes the calls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audiolab.pulse import PulseServer
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import running_app
from support.browser import sign_in
from support.fake_hid import FakeHidTransport

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

USB = {"device__bus": "usb", "device__vendor__id": "0b0e", "device__product__id": "0307"}


@pytest.fixture
def hid() -> FakeHidTransport:
    return FakeHidTransport()


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path, hid: FakeHidTransport) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app", hid_transport=hid) as running:
        yield running


def test_plugging_a_headset_offers_it_for_calls(
    page: Page,
    *,
    app: SoftphoneApp,
    pulse: PulseServer,
    hid: FakeHidTransport,
    kamailio: Kamailio,
    artifacts: Path,
) -> None:
    page.emulate_media(color_scheme="light")
    sign_in(page, kamailio, display_name="Ann Agent")
    pulse.add_output("jabra_out", "Jabra EVOLVE LINK MS", **USB)
    pulse.add_input("jabra_in", "Jabra EVOLVE LINK MS Mono", **USB)
    hid.plug("0b0e-0307")

    banner = page.get_by_test_id("headset-offer-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("Jabra EVOLVE LINK MS is plugged in.")
    page.screenshot(path=str(artifacts / "headset-offer-banner.png"))
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(500)  # let the theme transition finish
    page.screenshot(path=str(artifacts / "headset-offer-banner-dark.png"))
    page.emulate_media(color_scheme="light")

    banner.get_by_role("button", name="Use Jabra EVOLVE LINK MS for calls").click()
    expect(banner).to_be_hidden()
    deadline = time.monotonic() + 5.0
    while app.settings.settings.audio_output != "jabra_out":
        assert time.monotonic() < deadline, "the headset was not chosen"
        time.sleep(0.05)
    s = app.settings.settings
    assert (s.audio_input, s.audio_ringer, s.headset_calls) == (
        "jabra_in",
        "jabra_out",
        "0b0e:0307",
    )

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Audio settings").click()
    dialog = page.get_by_role("dialog", name="Audio settings")
    mode = dialog.get_by_label("Use the headset for calls when it is plugged in")
    expect(mode).to_have_value("ask")
    mode.select_option("always")
    deadline = time.monotonic() + 5.0
    while app.settings.settings.headset_audio != "always":
        assert time.monotonic() < deadline, "the mode was not saved"
        time.sleep(0.05)
    dialog.screenshot(path=str(artifacts / "headset-audio-mode.png"))
    dialog.get_by_role("button", name="Close").click()

    # The headset settings say which headset takes the calls.
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    settings = page.get_by_role("dialog", name="Settings")
    row = settings.locator(".headsets__item", has_text="Jabra EVOLVE LINK MS")
    expect(row).to_contain_text("Used for calls")
    row.scroll_into_view_if_needed()
    settings.screenshot(path=str(artifacts / "headset-used-for-calls.png"))
