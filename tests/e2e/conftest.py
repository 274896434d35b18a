"""Browser fixtures: Debian's Chromium driven by Playwright, screenshots under tests/artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser: Browser, app: SoftphoneApp) -> Iterator[Page]:
    """A 1280x800 English page on the app (uses the `app` fixture: override it to vary the app)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(app.url)
    yield page
    context.close()


@pytest.fixture
def signed_in_app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    """The real app registered on `kamailio` as 1001 (a module's `app` fixture can return it)."""
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        try:
            assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        finally:
            ui.close()
        yield running
