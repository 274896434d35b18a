"""While the PBX is away the top bar says "Not registered" and why; then "Registered" again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


def test_the_top_bar_shows_the_outage_and_the_return(
    page: Page, kamailio: Kamailio, artifacts: Path
) -> None:
    pill = page.get_by_role("status").filter(has_text="egistered")
    expect(pill).to_have_text("Registered", timeout=15_000)
    kamailio.stop()
    expect(pill).to_have_text("Not registered: Server not reachable", timeout=10_000)
    assert "Trying again automatically" in (pill.get_attribute("title") or "")
    page.screenshot(path=str(artifacts / "e2e-pbx-outage.png"))
    kamailio.start()
    expect(pill).to_have_text("Registered", timeout=10_000)
