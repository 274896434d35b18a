"""Click-through of the built UI against dev/mock-server.mjs (run from frontend/ after a build).

    ../.venv/bin/python dev/smoke.py

Checks the behaviour the brief asks for end to end in Debian's chromium: token handling,
answer / hang up / reject, keyboard dialing and DTMF, Escape, live language and theme
switching, the reconnect banner, and that no console error (CSP included) occurred.
"""

from __future__ import annotations

import sys

from playwright.sync_api import expect, sync_playwright
from screenshots import CHROMIUM_ARGS, errors, mock_server, open_page, server_log


def main() -> int:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        with mock_server("calls") as url:
            page = open_page(browser, url, 1280, 800)
            calls = page.get_by_role("region", name="Calls")
            expect(page.get_by_role("button", name="Answer")).to_be_visible()
            assert "token" not in page.url, page.url
            assert page.evaluate("sessionStorage.getItem('softphone.token')")

            # Reload without the hash: the stored token still connects.
            page.reload()
            expect(page.get_by_role("button", name="Answer")).to_be_visible()

            # Enter with an empty field answers the ringing call.
            page.keyboard.press("Enter")
            expect(page.get_by_role("button", name="Answer")).to_have_count(0)
            expect(calls.get_by_role("button", name="Hang up")).to_have_count(3)

            # Escape hangs up the newest active call: "Call ended" + reason, then gone.
            page.keyboard.press("Escape")
            expect(calls.get_by_text("You hung up")).to_be_visible()
            expect(calls.get_by_role("button", name="Hang up")).to_have_count(2)
            expect(calls.get_by_text("You hung up")).to_have_count(0, timeout=5000)

            # Digit buttons type into the field (and go out as DTMF to the connected call).
            for key in ["1", "0", "0", "3"]:
                page.get_by_role("button", name=key, exact=True).click()
            expect(page.get_by_role("textbox", name="Number")).to_have_value("1003")
            page.keyboard.type("7")  # typed anywhere: into the field, and as a tone
            expect(page.get_by_role("textbox", name="Number")).to_have_value("10037")
            page.get_by_role("button", name="Delete last digit").click()
            page.get_by_role("button", name="Call", exact=True).click()
            expect(calls.get_by_text("1003").first).to_be_visible()
            expect(page.get_by_role("textbox", name="Number")).to_have_value("")
            tones = "".join(line.split()[-1] for line in server_log if line.startswith("dtmf "))
            assert tones == "10037", tones
            page.context.close()

            # Live language and theme switching through settings.update.
            page = open_page(browser, url, 1280, 800)
            page.get_by_role("button", name="User menu").click()
            page.get_by_role("menuitem", name="Settings", exact=True).click()
            page.get_by_label("Language").select_option("fr")
            expect(page.get_by_role("heading", name="Paramètres")).to_be_visible()
            page.get_by_text("Sombre", exact=True).click()
            expect(page.locator("html")).to_have_attribute("data-theme", "dark")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            page.get_by_label("Langue").select_option("")
            page.get_by_text("System", exact=True).click()
            page.keyboard.press("Escape")
            expect(page.get_by_role("dialog")).to_have_count(0)
            page.context.close()

            # A wrong token is refused for good: no retry loop, a clear message instead.
            page = open_page(browser, url.split("#")[0] + "#token=wrong", 1280, 800)
            expect(page.get_by_text("This window cannot connect")).to_be_visible()
            page.context.close()

        # Setup: errors are shown in the form, what was typed is kept, success opens the phone.
        with mock_server("setup") as url:
            page = open_page(browser, url, 1280, 800)
            page.get_by_label("SIP server").fill("pbx.example.com")
            page.get_by_label("User", exact=True).fill("bad!")
            page.get_by_label("Password").fill("pw")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_label("User", exact=True)).to_have_attribute("aria-invalid", "true")
            page.get_by_label("User", exact=True).fill("1001")
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Signing in...")).to_be_visible()
            expect(page.get_by_role("alert").filter(has_text="Authentication failed")).to_be_visible()
            expect(page.get_by_label("SIP server")).to_have_value("pbx.example.com")
            page.get_by_label("Password").fill("right")
            page.get_by_label("Transport").select_option("tls")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("status").filter(has_text="Registered")).to_be_visible()
            page.get_by_role("button", name="User menu").click()
            page.get_by_role("menuitem", name="Sign out").click()
            expect(page.get_by_label("SIP server")).to_be_visible()
            with_banner = page

            # Backend gone: the banner shows while socket.io retries.
        expect(with_banner.get_by_text("Reconnecting...")).to_be_visible(timeout=10000)
        with_banner.context.close()
        browser.close()

    # The reconnect attempts against the stopped server log failed requests; that is expected.
    real = [e for e in errors if "ERR_CONNECTION_REFUSED" not in e and "WebSocket" not in e]
    for error in real:
        print(f"console error: {error}", file=sys.stderr)
    print("smoke: ok" if not real else "smoke: console errors")
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
