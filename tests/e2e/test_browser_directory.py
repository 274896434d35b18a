"""A person in Chromium uses the directory: live search in the keypad field, the Directory tab,
a personal contact imported from a vCard file, and the caller's directory name on a call.

Real parts only: the app, Kamailio, baresip, and Radicale as the company CardDAV server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dirservers.radicale import PASSWORD, USER, Radicale
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient
from support.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BOB = """BEGIN:VCARD
VERSION:3.0
N:Builder;Bob;;;
FN:Bob Builder
TEL;TYPE=CELL:+41 79 000 00 00
TEL;TYPE=WORK:1003
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:;;;;
TEL:123
END:VCARD
"""


def test_keypad_live_search_directory_tab_and_caller_name(
    page: Page,
    *,
    app: SoftphoneApp,
    kamailio: Kamailio,
    radicale: Radicale,
    baresip_factory: Callable[..., Baresip],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    sign_in(page, kamailio)

    ui = UiClient(app)
    try:
        reply = ui.command(
            "directory.configure",
            carddav={"url": radicale.url, "user": USER},
            carddav_password=PASSWORD,
        )
        assert reply["ok"], reply
        ui.wait_for(
            lambda e: (
                e.get("type") == "directory_status"
                and any(s["source"] == "carddav" and s["count"] == 300 for s in e["sources"])
            ),
            timeout=30,
        )
    finally:
        ui.sio.disconnect()

    # Directory tab: a personal vCard import with one bad card, then an accent-blind search.
    page.get_by_role("tab", name="Directory").click()
    vcf = tmp_path / "bob.vcf"
    vcf.write_text(BOB)
    page.get_by_test_id("directory-import").set_input_files(str(vcf))
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("1 contacts imported, 1 lines rejected")
    expect(report).to_contain_text("Line 8: no name")
    page.get_by_test_id("directory-search").fill("helene mu")
    rows = page.get_by_test_id("contact-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hélène Müller")
    expect(rows.first).to_contain_text("Company")
    expect(rows.first).to_contain_text("Mobile")
    page.screenshot(path=str(artifacts / "e2e-directory.png"))

    # Keypad: typing a name shows matches; Bob has two numbers, so the app asks which one.
    page.get_by_role("tab", name="Keypad").click()
    page.get_by_label("Number", exact=True).fill("bob bu")
    matches = page.get_by_test_id("keypad-matches")
    expect(matches).to_contain_text("Bob Builder")
    expect(matches).to_contain_text("2 numbers")
    page.get_by_label("Number", exact=True).fill("044 200 00")
    expect(matches).to_contain_text("Hélène Müller")
    page.screenshot(path=str(artifacts / "e2e-keypad-live-search.png"))
    page.get_by_label("Number", exact=True).fill("bob")
    matches.get_by_role("button", name="Bob Builder").click()
    chooser = page.get_by_test_id("number-chooser")
    expect(chooser).to_contain_text("+41 79 000 00 00")
    peer = baresip_factory("1003")
    mark = peer.mark()
    chooser.get_by_role("button", name="Office").click()
    peer.wait_for_event("CALL_INCOMING", start=mark)
    calls = page.get_by_role("region", name="Calls")
    expect(calls).to_contain_text("Bob Builder")  # the directory name, not the SIP one
    page.screenshot(path=str(artifacts / "e2e-directory-call.png"))
    calls.get_by_role("button", name="Hang up").click()
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)
