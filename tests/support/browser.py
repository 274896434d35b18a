"""Browser steps shared by the end-to-end tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio


def open_sip_form(page: Page) -> None:
    """First run shows the e-mail sign-in: "Advanced: enter SIP details" leads to the SIP form."""
    page.get_by_role("button", name="Advanced: enter SIP details").click()


def sign_in(
    page: Page,
    kamailio: Kamailio,
    user: str = "1001",
    display_name: str = "",
    *,
    skip_first_run: bool = True,
) -> None:
    """Fill the account form as a person would and wait until the app is registered."""
    open_sip_form(page)
    page.get_by_label("SIP server", exact=True).fill(f"127.0.0.1:{kamailio.port}")
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password").fill(kamailio.users[user])
    if display_name:
        page.get_by_label("Display name").fill(display_name)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    if skip_first_run:  # the first sign-in opens the guided check (a modal dialog)
        page.get_by_role("dialog", name="Check your setup").get_by_role(
            "button", name="Skip"
        ).click()
