"""First-run check after the first sign-in, reopened from the user menu; desktop settings and
Export logs from a browser page, in English and (switched live) in French."""

from __future__ import annotations

import io
import zipfile
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
from support.waiting import until


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path) -> Iterator[SoftphoneApp]:
    """The app started after PulseAudio, so its audio step has real devices to show."""
    with running_app(tmp_path / "app") as running:
        yield running


def test_first_sign_in_leads_through_the_check_and_it_can_be_reopened(
    page: Page,
    *,
    app: SoftphoneApp,
    pulse: PulseServer,
    kamailio: Kamailio,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    sign_in(page, kamailio, skip_first_run=False)
    wizard = page.get_by_role("dialog", name="Check your setup")
    expect(wizard).to_be_visible()
    expect(wizard.get_by_text("Step 1 of 5")).to_be_visible()
    expect(wizard.get_by_text(f"registered as 1001@127.0.0.1:{kamailio.port}")).to_be_visible()
    page.screenshot(path=str(artifacts / "first-run-account.png"))
    wizard.get_by_role("button", name="Next").click()
    # The audio step reuses Audio settings' controls: the meter follows a tone into the mic.
    meter = wizard.get_by_role("meter", name="Microphone level")
    wizard.get_by_role("button", name="Test microphone").click()
    player = pulse.play("mic", tones.write_tone_wav(tmp_path / "tone.wav", 800, 6.0, amplitude=0.3))
    try:
        page.wait_for_function(
            "el => Number(el.getAttribute('aria-valuenow')) > 70",
            arg=meter.element_handle(),
            timeout=8000,
        )
        page.screenshot(path=str(artifacts / "first-run-audio.png"))
    finally:
        player.terminate()
        player.wait(5)
    expect(wizard.get_by_role("button", name="Play test sound")).to_have_count(2)  # speaker, ringer
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("button", name="Send a test notification").click()
    # The test app runs without a notification server (SOFTPHONE_NOTIFICATIONS unset, no
    # D-Bus display): the check must say so rather than pretend.
    expect(wizard.get_by_text("No notification could be shown")).to_be_visible()
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_text("No headset detected")).to_be_visible()
    wizard.get_by_role("button", name="Back").click()
    expect(wizard.get_by_text("Step 3 of 5")).to_be_visible()
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("button", name="Finish").click()
    expect(wizard).to_be_hidden()
    # The dialog closes at once; the setting is saved when the backend takes the command.
    until(lambda: app.settings.settings.first_run_done, what="first_run_done saved")

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Setup check").click()
    expect(page.get_by_role("dialog", name="Check your setup")).to_be_visible()


def test_settings_switch_logs_and_export_a_redacted_zip(
    page: Page, app: SoftphoneApp, kamailio: Kamailio, tmp_path: Path
) -> None:
    sign_in(page, kamailio)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings")
    logs = dialog.get_by_role("switch", name="Write a log file")
    expect(logs).to_have_attribute("aria-checked", "true")
    logs.click()
    expect(logs).to_have_attribute("aria-checked", "false")
    assert not app.settings.settings.logs
    logs.click()
    expect(logs).to_have_attribute("aria-checked", "true")
    # Browser mode: no window, so no tray or login-start switches.
    expect(dialog.get_by_role("switch", name="Keep running in the tray")).to_have_count(0)

    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Export logs").click()
    download = download_info.value
    assert download.suggested_filename.startswith("softphone-logs-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = archive.namelist()
        blob = b"".join(archive.read(n) for n in names)
    assert "settings.json" in names and "system.txt" in names
    assert any(n.startswith("logs/") for n in names)
    assert kamailio.users["1001"].encode() not in blob and app.web.token.encode() not in blob
    expect(dialog.get_by_text(f"Downloaded {download.suggested_filename}")).to_be_visible()

    # The language changes at once, without a restart, including the new settings.
    dialog.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("button", name="Exporter les logs")).to_be_visible()
    expect(page.get_by_role("switch", name="Écrire des logs")).to_be_visible()
