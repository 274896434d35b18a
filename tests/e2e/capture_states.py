"""Screenshots of call states, DND and a failed registration: `python tests/e2e/capture_states.py`.

Kamailio, three baresip peers and the app, all on 127.0.0.1: a held call, a connected one and
a ringing one (then two in a conference), photographed light and dark, English and French.
`capture_states.py NAME...` rewrites only those files.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import keyring  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ONLY = set(sys.argv[1:])


def shoot(page: Page, name: str) -> None:
    if ONLY and name not in ONLY:
        return
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def open_page(browser: Browser, url: str, scheme: str, width: int = 1280) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(url)
    page.wait_for_selector(".call-card")
    return page


def shoot_settings(light: Page, dark: Page, ui: UiClient) -> None:
    """Configuration: its groups and navigation bar, English light and French dark."""
    light.get_by_role("button", name="User menu").click()
    light.get_by_role("menuitem", name="Settings", exact=True).click()
    shoot(light, "app-settings-light")
    light.get_by_role("button", name="Desktop and network").click()
    shoot(light, "app-settings-system-light")
    light.keyboard.press("Escape")
    ui.command("settings.update", language="fr")
    dark.get_by_role("button", name="Menu utilisateur").click()
    dark.get_by_role("menuitem", name="Configuration", exact=True).click()
    shoot(dark, "app-settings-fr-dark")
    dark.keyboard.press("Escape")
    ui.command("settings.update", language=None)


def main() -> int:
    keyring.set_keyring(MemoryKeyring())
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Kamailio(work_dir=Path(tmp) / "k", tls=False) as pbx:
        work = Path(tmp)
        with running_app(work / "app") as app, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ui = UiClient(app)
            assert sign_in(ui, pbx.port, "1001", pbx.users["1001"], display_name="Ann Agent")["ok"]
            users = pbx.users

            def peer(user: str, auto: bool) -> Baresip:
                mode = {"answermode": "auto"} if auto else {}
                return Baresip(pbx.port, user, users[user], work_dir=work / user, **mode)

            with peer("1002", True) as b2, peer("1004", True), peer("1003", False) as b3:
                held = ui.dial_connected("1002")
                assert ui.command("call.hold", call_id=held)["ok"]
                ui.dial_connected("1004")
                b2.wait_for_event("CALL_ESTABLISHED")
                b3.dial("1001")
                ui.wait_call_state("ringing_in")
                time.sleep(1)
                light = open_page(browser, app.url, "light")
                shoot(light, "app-call-states-light")
                dark = open_page(browser, app.url, "dark")
                shoot(dark, "app-call-states-dark")
                narrow = browser.new_page(viewport={"width": 420, "height": 820})
                narrow.goto(app.url)
                narrow.wait_for_selector(".call-card")
                shoot(narrow, "app-call-states-narrow")
                ui.command("settings.update", language="fr")
                light.wait_for_selector("text=Répondre")
                shoot(light, "app-call-states-fr")
                b3.hangup()
                light.wait_for_selector("text=Répondre", state="detached")
                assert ui.command("call.conference")["ok"]
                light.wait_for_selector(".call-card--conference")
                shoot(light, "app-conference-fr")
                dark.wait_for_selector(".call-card--conference")
                shoot(dark, "app-conference-dark")
                ui.command("settings.update", language=None)
                light.wait_for_selector(".call-card--conference")
                assert ui.command("settings.update", dnd=True)["ok"]
                light.wait_for_selector(".topbar__dnd-badge")
                shoot(light, "app-dnd-light")
                assert ui.command("settings.update", dnd=False)["ok"]
                shoot_settings(light, dark, ui)
            ui.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
