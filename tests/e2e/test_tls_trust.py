"""The account form with a self-signed PBX over TLS: refused, shown, trusted, signed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import Locator, Page, expect

from pbx.kamailio import Kamailio
from support.browser import open_sip_form

pytestmark = pytest.mark.e2e


def trust_panel(page: Page) -> Locator:
    """The certificate panel (the keypad's "No calls possible" alert names the reason too)."""
    return (
        page.get_by_role("alert")
        .filter(has_text="certificate is not trusted")
        .filter(has=page.get_by_role("button", name="Trust this certificate"))
    )


def test_untrusted_pbx_certificate_is_shown_and_trusted_from_the_account_form(
    page: Page, kamailio: Kamailio, artifacts: Path
) -> None:
    open_sip_form(page)
    page.get_by_label("SIP server", exact=True).fill(f"127.0.0.1:{kamailio.tls_port}")
    page.get_by_label("Transport", exact=True).select_option("tls")
    page.get_by_label("User", exact=True).fill("1001")
    page.get_by_label("Password").fill(kamailio.users["1001"])
    page.get_by_text("Advanced settings").click()
    page.get_by_label("Always", exact=True).check()
    page.get_by_label("Transport", exact=True).select_option("udp")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_text("Always-on call encryption needs the TLS transport").first
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "tls-srtp-needs-tls.png"), full_page=True)

    page.get_by_label("Transport", exact=True).select_option("tls")
    page.get_by_role("button", name="Sign in").click()
    panel = trust_panel(page)
    expect(panel).to_be_visible(timeout=15_000)
    cert = x509.load_pem_x509_certificate(kamailio.cert_path.read_bytes())
    sha256 = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    expect(panel.get_by_text(sha256)).to_be_visible()
    expect(panel.get_by_text("CN=127.0.0.1").first).to_be_visible()
    page.screenshot(path=str(artifacts / "tls-untrusted-certificate.png"), full_page=True)

    panel.get_by_role("button", name="Trust this certificate").click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)

    # The first sign-in opens the guided check (a modal dialog): not what this test is about.
    page.get_by_role("dialog", name="Check your setup").get_by_role("button", name="Skip").click()
    # The account form lists what was trusted for this server, and can take it back.
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Account").click()
    dialog = page.get_by_role("dialog")
    advanced = dialog.locator("details.account-form__advanced")
    if advanced.get_attribute("open") is None:  # open already when SRTP is not off
        dialog.get_by_text("Advanced settings").click()
    trusted = dialog.get_by_role("region", name="Trusted certificates for this server")
    expect(trusted.get_by_text(sha256)).to_be_visible()
    expect(trusted.get_by_text("CN=127.0.0.1").first).to_be_visible()
    trusted.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "tls-trusted-certificates.png"))
    trusted.get_by_role("button", name="Remove").click()
    confirm = trusted.get_by_role("alert")
    expect(confirm).to_contain_text("Stop trusting this certificate?")
    page.screenshot(path=str(artifacts / "tls-trusted-certificate-remove.png"))
    confirm.get_by_role("button", name="Remove certificate").click()
    expect(trusted).to_have_count(0)
    # Without it the self-signed PBX is refused again at the next sign-in.
    dialog.get_by_label("Password").fill(kamailio.users["1001"])
    dialog.get_by_role("button", name="Sign in").click()
    again = trust_panel(page)
    expect(again).to_be_visible(timeout=15_000)
    expect(again.get_by_text(sha256)).to_be_visible()
