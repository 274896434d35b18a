"""A person in Chromium uses Audio settings against a real PulseAudio: devices by name, ring
volume, echo cancellation, the microphone meter, the speaker test, and the banner while a
chosen headset is unplugged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audiolab.pulse import PulseServer
from pbx import tones
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import running_app
from support.browser import sign_in
from support.screenshots import screenshots_dir

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path) -> Iterator[SoftphoneApp]:
    """The app started after PulseAudio, so it (and its engine) use the test's devices."""
    pulse.add_output("usbheadset", "USB Headset")
    with running_app(tmp_path / "app") as running:
        yield running


def _wait(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the setting was not saved"
        time.sleep(0.05)


def test_audio_settings_dialog(
    page: Page,
    *,
    app: SoftphoneApp,
    pulse: PulseServer,
    kamailio: Kamailio,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    page.emulate_media(color_scheme="light")
    sign_in(page, kamailio, display_name="Ann Agent")
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Audio settings").click()
    dialog = page.get_by_role("dialog", name="Audio settings")
    expect(dialog).to_be_visible()

    mic = dialog.get_by_label("Microphone", exact=True)
    expect(mic.locator("option")).to_have_text(
        ["System default (Test Microphone)", "Test Microphone"]
    )
    output = dialog.get_by_label("Speaker or headset")
    expect(output.locator("option")).to_contain_text(["Test Speaker", "Test Ringer", "USB Headset"])
    dialog.get_by_label("Ringing device").select_option(label="Test Ringer")
    _wait(lambda: app.settings.settings.audio_ringer == "ringer")
    output.select_option(label="USB Headset")
    _wait(lambda: app.settings.settings.audio_output == "usbheadset")

    dialog.get_by_label("Ring volume").fill("40")
    _wait(lambda: app.settings.settings.ring_volume == 40)
    echo = dialog.get_by_role("switch", name="Echo cancellation")
    was = app.settings.settings.echo_cancellation  # the test harness sets it (off by default)
    expect(echo).to_have_attribute("aria-checked", str(was).lower())
    echo.click()
    expect(echo).to_have_attribute("aria-checked", str(not was).lower())
    _wait(lambda: app.settings.settings.echo_cancellation is not was)
    gain = dialog.get_by_role("switch", name="Automatic microphone level")
    expect(gain).to_have_attribute("aria-checked", "false")  # off by default
    gain.click()
    expect(gain).to_have_attribute("aria-checked", "true")
    _wait(lambda: app.settings.settings.auto_gain)
    expect(dialog.get_by_role("switch", name="Full headset integration")).to_be_visible()
    expect(dialog.get_by_test_id("audio-diagnostics")).to_have_text("No call audio yet.")

    # The microphone meter follows a tone played into the test microphone.
    meter = dialog.get_by_role("meter", name="Microphone level")
    dialog.get_by_role("button", name="Test microphone").click()
    player = pulse.play("mic", tones.write_tone_wav(tmp_path / "tone.wav", 800, 8.0, amplitude=0.3))
    try:
        page.wait_for_function(
            "el => Number(el.getAttribute('aria-valuenow')) > 70",
            arg=meter.element_handle(),
            timeout=8000,
        )
        page.screenshot(path=str(artifacts / "e2e-audio-settings.png"))
        dialog.screenshot(path=str(screenshots_dir(tmp_path) / "app-audio-settings-light.png"))
    finally:
        player.terminate()
        player.wait(5)
    page.wait_for_function(
        "el => Number(el.getAttribute('aria-valuenow')) < 20",
        arg=meter.element_handle(),
        timeout=8000,
    )
    dialog.get_by_role("button", name="Stop test").click()
    expect(dialog.get_by_role("button", name="Test microphone")).to_be_visible()

    # Speaker test on the ringer: the button says so while it plays.
    ringer_row = dialog.get_by_label("Ringing device").locator("xpath=..")
    ringer_row.get_by_role("button", name="Play test sound").click()
    expect(dialog.get_by_role("button", name="Playing…")).to_be_visible()
    expect(ringer_row.get_by_role("button", name="Play test sound")).to_be_visible(timeout=8000)

    # Unplugging the chosen headset: said in the dialog and, once closed, in the main window.
    pulse.remove("usbheadset")
    note = "USB Headset is not connected, using the system default"
    expect(dialog.get_by_text(note)).to_be_visible(timeout=5000)
    expect(output).to_have_value("usbheadset")  # still the choice, shown as not connected
    expect(output.locator("option:checked")).to_have_text("USB Headset (not connected)")
    dialog.get_by_role("button", name="Close").click()
    banner = page.get_by_test_id("audio-fallback-banner")
    expect(banner).to_contain_text(note)
    page.screenshot(path=str(artifacts / "e2e-audio-fallback-banner.png"))
    pulse.add_output("usbheadset", "USB Headset")
    expect(banner).to_have_count(0, timeout=5000)
