"""First run in Chromium: sign in with e-mail and password against a real provisioning server
(nginx over HTTPS) and Kamailio; a refused password is said in the form; screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest
from keyring.backends import fail
from playwright.sync_api import Browser, Page, expect

from pbx.kamailio import Kamailio
from provisioning.servers import ProvisioningServer
from softphone.app import SoftphoneApp
from softphone.paths import AppPaths
from support.app_harness import running_app
from support.screenshots import screenshots_dir

pytestmark = pytest.mark.e2e

EMAIL = "alice@demo.test"
PASSWORD = "alice-sign-in-pw"


@pytest.fixture
def provisioned(
    app: SoftphoneApp, kamailio: Kamailio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ProvisioningServer]:
    server = ProvisioningServer(tmp_path / "nginx").start()
    try:
        server.add_user(
            EMAIL,
            PASSWORD,
            {
                "version": 1,
                "account": {
                    "server": f"127.0.0.1:{kamailio.port}",
                    "user": "1001",
                    "password": kamailio.users["1001"],
                },
                "colleagues": [{"extension": "1002", "name": "Bob Meier"}],
                "panel": ["1002"],
            },
        )
        server.trust_in(app.trust)
        monkeypatch.setenv("SOFTPHONE_PROVISIONING_URL", server.url)
        yield server
    finally:
        server.stop()


def test_email_sign_in_registers_and_fills_the_colleagues_panel(
    page: Page, provisioned: ProvisioningServer
) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("E-mail address or password not accepted")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_label("E-mail address")).to_have_value(EMAIL)  # nothing typed is lost
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Bob Meier").first).to_be_visible(timeout=10_000)


def test_advanced_leads_to_the_sip_form_and_back(page: Page) -> None:
    page.get_by_role("button", name="Advanced: enter SIP details").click()
    expect(page.get_by_label("SIP server", exact=True)).to_be_visible()
    page.get_by_role("button", name="Use my e-mail address instead").click()
    expect(page.get_by_label("E-mail address")).to_be_visible()


def test_screenshots_of_the_sign_in_form(
    browser: Browser, app: SoftphoneApp, tmp_path: Path
) -> None:
    shots = screenshots_dir(tmp_path)
    for name, options in (
        ("sign-in", {"locale": "en-US", "color_scheme": "light"}),
        ("sign-in-dark", {"locale": "en-US", "color_scheme": "dark"}),
        ("sign-in-fr", {"locale": "fr-FR", "color_scheme": "light"}),
    ):
        context = browser.new_context(viewport={"width": 1024, "height": 720}, **options)
        page = context.new_page()
        page.goto(app.url)
        expect(page.locator("#signin-email")).to_be_visible(timeout=10_000)
        page.screenshot(path=str(shots / f"{name}.png"))
        context.close()


@pytest.fixture
def fail_keyring() -> Iterator[None]:
    """keyring's fail backend: no system keyring on this computer."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.mark.usefixtures("fail_keyring")
def test_without_a_keyring_the_app_says_so_once(
    page: Page, provisioned: ProvisioningServer
) -> None:
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=20_000)
    notice = page.get_by_text("Your password will be asked again at next start")
    expect(notice).to_have_count(1, timeout=10_000)


def test_the_user_menu_refreshes_the_account_and_says_quietly_when_it_cannot(
    page: Page, provisioned: ProvisioningServer
) -> None:
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=20_000)
    # The first-run check opens once the sign-in's answer arrived: wait for it, close it.
    expect(page.get_by_role("dialog")).to_be_visible(timeout=10_000)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("button", name="User menu").click()
    status = page.get_by_test_id("provisioning-status")
    expect(status).to_contain_text("Updated at")
    provisioned.stop()
    page.get_by_role("menuitem", name="Refresh account").click()
    expect(status).to_contain_text("Sign-in service not reachable", timeout=15_000)
    expect(page.get_by_role("alert")).to_have_count(0)  # quiet: no alert, no banner


def test_a_provision_link_fills_the_sign_in_form_and_waits_for_the_password(
    page: Page, app: SoftphoneApp, provisioned: ProvisioningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOFTPHONE_PROVISIONING_URL")  # the URL can only come from the link
    app.links.handle("softphone://provision?url=" + quote(provisioned.url, safe=""))
    field = page.get_by_label("Sign-in service")
    expect(field).to_have_value(provisioned.url)
    expect(page.get_by_text("your password is sent only to this address")).to_be_visible()
    access = provisioned.dir / "access.log"
    assert "softphone" not in access.read_text()  # nothing fetched, no sign-in yet
    expect(page.get_by_text("Registered", exact=True)).to_have_count(0)
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=20_000)
    assert "/softphone/alice" in access.read_text()


def test_a_hostile_provision_link_is_refused_on_the_sign_in_form(
    page: Page, app: SoftphoneApp
) -> None:
    expect(page.get_by_label("E-mail address")).to_be_visible()
    app.links.handle("softphone://provision?url=http://evil.example.com/")
    expect(page.get_by_text("A sign-in link was not opened")).to_be_visible()
    expect(page.get_by_label("Sign-in service")).to_have_count(0)
    expect(page.get_by_text("evil.example.com")).to_have_count(0)


def test_a_corrupt_settings_file_is_said_with_the_path_of_the_saved_copy(
    browser: Browser, tmp_path: Path
) -> None:
    data_dir = tmp_path / "corrupt"
    settings_file = AppPaths.for_data_dir(data_dir).settings_file
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text("{not json")
    with running_app(data_dir) as app:
        assert app.settings.recovered_from is not None
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        try:
            page = context.new_page()
            page.goto(app.url)
            notice = page.get_by_test_id("settings-recovered")
            expect(notice).to_contain_text("Your settings file was damaged and has been reset")
            expect(notice).to_contain_text(str(app.settings.recovered_from))
            notice.get_by_role("button", name="Dismiss").click()
            expect(notice).to_have_count(0)
        finally:
            context.close()
