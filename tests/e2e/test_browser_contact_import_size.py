"""A person in Chromium imports contact files of real sizes: a 125 kB company vCard imports
(it used to close the connection: "Reconnecting..." and nothing imported), a file over 10 MB
is refused with a translated message before anything is sent, and the app stays connected."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from softphone.app import SoftphoneApp
from softphone.directory.importexport import MAX_IMPORT_BYTES

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TOO_LARGE = "This file is too large to import (10 MB at most)"
BAD_ENCODING = "This file's text could not be read: save it as UTF-8 and try again"


@pytest.fixture
def app(signed_in_app: SoftphoneApp) -> SoftphoneApp:
    return signed_in_app


@pytest.fixture
def page(page: Page) -> Page:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    page.get_by_role("tab", name="Directory").click()
    return page


def company_vcard(target_bytes: int) -> tuple[str, int]:
    cards: list[str] = []
    size = 0
    while size < target_bytes:
        i = len(cards)
        card = (
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"N:Keller-{i:04d};Anaïs;;;\r\nFN:Anaïs Keller-{i:04d}\r\nORG:Müller AG\r\n"
            f"TEL;TYPE=WORK:+41 44 555 {i // 100 % 100:02d} {i % 100:02d}\r\nEND:VCARD\r\n"
        )
        cards.append(card)
        size += len(card.encode())
    return "".join(cards), len(cards)


def test_a_125_kb_vcard_imports_and_the_app_stays_connected(
    page: Page, tmp_path: Path, artifacts: Path
) -> None:
    text, cards = company_vcard(125_000)
    vcf = tmp_path / "company.vcf"
    vcf.write_text(text, encoding="utf-8")
    page.get_by_test_id("directory-import").set_input_files(str(vcf))
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text(f"{cards} contacts imported, 0 lines rejected", timeout=30_000)
    expect(page.get_by_text("Reconnecting...")).to_have_count(0)
    page.get_by_test_id("directory-search").fill("anais keller-0420")
    expect(page.get_by_test_id("contact-row")).to_have_count(1)
    page.screenshot(path=str(artifacts / "e2e-import-125kb.png"))


def test_a_file_over_the_limit_shows_too_large_and_is_not_sent(
    page: Page, app: SoftphoneApp, artifacts: Path
) -> None:
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST":
            sent.append(request.url)

    page.on("request", record)
    big = b"BEGIN:VCARD\r\n" + b"x" * MAX_IMPORT_BYTES
    page.get_by_test_id("directory-import").set_input_files(
        {"name": "huge.vcf", "mimeType": "text/vcard", "buffer": big}
    )
    alert = page.get_by_role("alert").filter(has_text=TOO_LARGE)
    expect(alert).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-import-too-large.png"))
    assert sent == []  # refused in the page: the 10 MB never left it
    expect(page.get_by_text("Reconnecting...")).to_have_count(0)
    # Still connected and working: a small file imports right after.
    page.get_by_test_id("directory-import").set_input_files(
        {
            "name": "one.vcf",
            "mimeType": "text/vcard",
            "buffer": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Small\r\nEND:VCARD\r\n".encode(),
        }
    )
    expect(page.get_by_test_id("import-report")).to_contain_text("1 contacts imported")


def test_a_file_that_is_not_utf8_shows_a_clear_message(page: Page) -> None:
    latin1 = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Latin\r\nEND:VCARD\r\n".encode("latin-1")
    page.get_by_test_id("directory-import").set_input_files(
        {"name": "old.vcf", "mimeType": "text/vcard", "buffer": latin1}
    )
    expect(page.get_by_role("alert").filter(has_text=BAD_ENCODING)).to_be_visible()
    expect(page.get_by_test_id("import-report")).to_have_count(0)
