"""Screenshots of the network UI for review: `python tests/e2e/capture_network.py`.

Kamailio and a baresip peer on 127.0.0.1, the app signed in; shows the network check, the
advanced network settings and a connected call with its quality indicator and statistics.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import keyring  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from e2e.capture_docs import ARGS, OUT, shoot  # noqa: E402
from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402


def main() -> int:
    keyring.set_keyring(MemoryKeyring())
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Kamailio(work_dir=Path(tmp) / "k", tls=False) as pbx:
        work = Path(tmp)
        with running_app(work / "app") as app, sync_playwright() as pw:
            ui = UiClient(app)
            assert sign_in(ui, pbx.port, "1001", pbx.users["1001"], display_name="Ann Agent")["ok"]
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="en-US")
            page.goto(app.url)
            page.wait_for_selector("text=Registered")
            page.get_by_role("button", name="User menu").click()
            page.get_by_role("menuitem", name="Network check").click()
            page.wait_for_selector("text=Ports to open", timeout=30000)
            shoot(page, "network-check")
            page.keyboard.press("Escape")
            page.get_by_role("button", name="User menu").click()
            page.get_by_role("menuitem", name="Settings", exact=True).click()
            page.locator("#settings-network").scroll_into_view_if_needed()
            shoot(page, "network-settings")
            page.keyboard.press("Escape")
            with Baresip(
                pbx.port, "1002", pbx.users["1002"], answermode="auto", work_dir=work / "b2"
            ) as b2:
                ui.command("call.dial", number="1002")
                b2.wait_for_event("CALL_ESTABLISHED")
                page.wait_for_selector(".quality", timeout=10000)
                time.sleep(6)  # RTCP gives the round trip after ~5 s
                page.locator(".quality").click()
                shoot(page, "network-call-quality")
            ui.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
