"""Screenshots of the real app for docs/: `python tests/e2e/capture_docs.py`.

Runs Kamailio, two baresip peers and the app (all on 127.0.0.1), makes one connected call
and one ringing call, and photographs the UI in light, dark, French and narrow layouts.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import keyring  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


# `capture_docs.py NAME...` rewrites only those screenshots (the others stay as committed).
ONLY = set(sys.argv[1:])


def shoot(page: Page, name: str) -> None:
    if ONLY and name not in ONLY:
        return
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def shoot_desktop_fr(page: Page) -> None:
    """The first-run check and Settings > Desktop and support, in French."""
    page.get_by_role("button", name="Menu utilisateur").click()
    page.get_by_role("menuitem", name="Vérification de l'installation").click()
    wizard = page.get_by_role("dialog", name="Vérifiez votre installation")
    wizard.get_by_role("button", name="Suivant").click()
    wizard.get_by_role("button", name="Suivant").click()
    shoot(page, "app-first-run-fr")
    wizard.get_by_role("button", name="Passer").click()
    page.get_by_role("button", name="Menu utilisateur").click()
    page.get_by_role("menuitem", name="Configuration", exact=True).click()
    page.get_by_role("button", name="Exporter les logs").scroll_into_view_if_needed()
    shoot(page, "app-settings-fr")
    page.keyboard.press("Escape")


def main() -> int:
    keyring.set_keyring(MemoryKeyring())
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Kamailio(work_dir=Path(tmp) / "k", tls=False) as pbx:
        work = Path(tmp)
        with running_app(work / "app") as app, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
            page.goto(app.url)
            page.get_by_role("button", name="Sign in").wait_for()
            shoot(page, "app-account-setup")
            ui = UiClient(app)
            assert sign_in(ui, pbx.port, "1001", pbx.users["1001"], display_name="Ann Agent")["ok"]
            with (
                Baresip(
                    pbx.port, "1002", pbx.users["1002"], answermode="auto", work_dir=work / "b2"
                ) as b2,
                Baresip(pbx.port, "1003", pbx.users["1003"], work_dir=work / "b3") as b3,
            ):
                ui.command("call.dial", number="1002")
                b2.wait_for_event("CALL_ESTABLISHED")
                time.sleep(3)
                b3.dial("1001")
                page.wait_for_selector("text=Answer")
                shoot(page, "app-main-light")
                dark = browser.new_page(
                    viewport={"width": 1280, "height": 800}, color_scheme="dark"
                )
                dark.goto(app.url)
                dark.wait_for_selector("text=Answer")
                shoot(dark, "app-main-dark")
                narrow = browser.new_page(viewport={"width": 420, "height": 820})
                narrow.goto(app.url)
                narrow.wait_for_selector("text=Registered")
                shoot(narrow, "app-narrow")
                ui.command("settings.update", language="fr")
                page.wait_for_selector("text=Répondre")
                shoot(page, "app-main-fr")
                b3.hangup()
                page.wait_for_selector("text=Répondre", state="detached")
                shoot_desktop_fr(page)
                ui.command("settings.update", language=None)
            ui.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
