"""A failed registration in Chromium: calling is off, the keypad says why, Retry registers.

Real parts: the app (engine process, web server, built frontend), Kamailio. The saved
account's password in the keyring is made wrong between two runs (as when an administrator
changed it), so the app's start-up registration fails with auth_failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from softphone.settings.secrets import SERVICE
from support.app_harness import UiClient, running_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as first:
        ui = UiClient(first)
        try:
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        finally:
            ui.close()
    key = f"1001@127.0.0.1:{kamailio.port}"
    keyring.set_password(SERVICE, key, "not-the-password")
    with running_app(tmp_path / "app") as running:
        yield running
    keyring.delete_password(SERVICE, key)


def test_failed_registration_disables_calling_and_retry_registers(
    page: Page, kamailio: Kamailio, artifacts: Path
) -> None:
    alert = page.get_by_test_id("calls-off")
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert).to_contain_text("No calls possible")
    expect(alert).to_contain_text("Authentication failed")
    page.get_by_label("Number", exact=True).fill("1002")
    call = page.get_by_role("button", name="Call", exact=True)
    expect(call).to_be_disabled()
    page.screenshot(path=str(artifacts / "e2e-registration-failed.png"))

    # The password is right again (the administrator undid the change): Retry registers now.
    keyring.set_password(SERVICE, f"1001@127.0.0.1:{kamailio.port}", kamailio.users["1001"])
    alert.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=10_000)
    expect(alert).to_be_hidden()
    expect(call).to_be_enabled()
