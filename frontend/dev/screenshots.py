"""Screenshots of the built UI against dev/mock-server.mjs (run from frontend/, after npm run build).

    ../.venv/bin/python dev/screenshots.py [OUT_DIR]

Starts one mock server per scenario on 127.0.0.1, drives Debian's chromium with Playwright and
stops the servers again. Console errors (CSP violations included) are printed and fail the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
errors: list[str] = []
server_log: list[str] = []


@contextlib.contextmanager
def mock_server(scenario: str, **env: str) -> Iterator[str]:
    proc = subprocess.Popen(
        ["node", str(HERE / "mock-server.mjs")],
        env={**os.environ, "MOCK_SCENARIO": scenario, "PORT": "0", **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/#token=\S+)", line)
        if not match:
            raise RuntimeError(f"mock server did not start: {line!r}")
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: server_log.extend(proc.stdout or []), daemon=True).start()
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def open_page(browser: Browser, url: str, width: int, height: int, scheme: str = "light") -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,  # type: ignore[arg-type]
        locale="en-US",
        device_scale_factor=1,
    )
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page


def shot(page: Page, name: str) -> None:
    page.wait_for_timeout(350)
    page.screenshot(path=str(OUT / f"mock-{name}.png"))
    print(f"wrote mock-{name}.png")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        with mock_server("calls") as url:
            page = open_page(browser, url, 1280, 800)
            page.get_by_role("button", name="Answer").wait_for()
            assert "token" not in page.url, page.url
            shot(page, "main-light")
            page.get_by_role("button", name="User menu").click()
            shot(page, "user-menu")
            page.get_by_role("menuitem", name="Settings", exact=True).click()
            shot(page, "settings")
            page.keyboard.press("Escape")
            page.get_by_role("button", name="User menu").click()
            page.get_by_role("menuitem", name="Account").click()
            page.get_by_role("dialog").wait_for()
            shot(page, "account-dialog")
            page.context.close()

            page = open_page(browser, url, 1280, 800, "dark")
            page.get_by_role("button", name="Answer").wait_for()
            shot(page, "main-dark")
            page.context.close()

            page = open_page(browser, url, 420, 800)
            page.get_by_role("button", name="Answer").wait_for()
            shot(page, "narrow")
            page.get_by_role("button", name="Show colleagues").click()
            shot(page, "narrow-colleagues")
            page.context.close()

            page = open_page(browser, url, 960, 720)
            page.get_by_role("button", name="Answer").wait_for()
            shot(page, "medium")
            page.context.close()

        with mock_server("calls", MOCK_LANGUAGE="fr") as url:
            page = open_page(browser, url, 1280, 800)
            page.get_by_role("button", name="Répondre").wait_for()
            shot(page, "main-fr")
            page.context.close()

        with mock_server("idle", MOCK_REG_ERROR="server_unreachable", MOCK_REG_CODE="408") as url:
            page = open_page(browser, url, 1280, 800, "dark")
            page.get_by_role("textbox", name="Number").wait_for()
            shot(page, "registration-failed-dark")
            page.context.close()

        with mock_server("idle") as url:
            page = open_page(browser, url, 1280, 800)
            page.get_by_role("textbox", name="Number").wait_for()
            page.keyboard.type("+41446681800")
            shot(page, "idle-light")
            page.context.close()

        with mock_server("setup") as url:
            page = open_page(browser, url, 1280, 800)
            page.get_by_label("SIP server").wait_for()
            shot(page, "setup")
            page.get_by_label("SIP server").fill("pbx.example.com")
            page.get_by_label("User", exact=True).fill("1001")
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("alert").filter(has_text="Authentication failed").wait_for()
            shot(page, "setup-error")
            page.context.close()

            page = open_page(browser, url, 420, 800, "dark")
            page.get_by_label("SIP server").wait_for()
            shot(page, "setup-narrow-dark")
            page.context.close()
        browser.close()
    for error in errors:
        print(f"console error: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
