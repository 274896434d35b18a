"""Screenshots of a working business phone for docs/: `python tests/e2e/capture_views.py`.

Kamailio, a seeded Radicale company directory, five baresip colleagues and the app, all on
127.0.0.1: a filled colleagues panel (free, ringing with pickup, on the phone, do not disturb),
the history, the directory, the colleagues and forwarding dialogs and transfer mode, photographed
light and dark, English and French. `capture_views.py NAME...` rewrites only those files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import keyring  # noqa: E402
from playwright.sync_api import Browser, BrowserType, Page, sync_playwright  # noqa: E402

from dirservers.data import people, vcard  # noqa: E402
from dirservers.radicale import PASSWORD, USER, Radicale  # noqa: E402
from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.sip_udp import SipUdpClient  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in, wait_lines  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ONLY = set(sys.argv[1:])
VIEWPORT = {"width": 1280, "height": 800}

# The panel as a team sees it; 1009 and 1010 never register (state unknown).
COLLEAGUES = [
    {"extension": "1002", "name": "Bob Meier"},
    {"extension": "1003", "name": "Claire Fontaine"},
    {"extension": "1004", "name": "David Keller"},
    {"extension": "1005", "name": "Eva Rossi"},
    {"extension": "1006", "name": "Franz Huber"},
    {"extension": "1007", "name": "Lena Schmid"},
    {"extension": "1008", "name": "Marco Bianchi"},
]


def shoot(page: Page, name: str) -> None:
    if ONLY and name not in ONLY:
        return
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def open_page(browser: Browser, url: str, scheme: str) -> Page:
    page = browser.new_page(viewport=VIEWPORT, color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(url)
    page.wait_for_selector(".blf-row")
    return page


def publish_dnd(pbx: Kamailio, user: str) -> SipUdpClient:
    """The colleague's phone publishes "dnd" presence, as test_browser_blf.py does."""
    client = SipUdpClient(pbx.port, user, pbx.users[user])
    pidf = (
        '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
        f'entity="sip:{user}@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
        "</status><note>dnd</note></tuple></presence>"
    )
    headers = ["Event: presence", "Expires: 600", "Content-Type: application/pidf+xml"]
    aor = f"sip:{user}@127.0.0.1"
    reply = client.request("PUBLISH", aor, aor, headers, body=pidf)
    assert reply.status == 200, reply.status
    return client


def views(page: Page, suffix: str, words: dict[str, str]) -> None:
    """History, directory, the colleagues dialog and the forwarding dialog of one page."""
    page.get_by_role("tab", name=words["history"]).click()
    page.wait_for_selector(".history")
    shoot(page, f"app-history-{suffix}")
    page.get_by_role("tab", name=words["directory"]).click()
    page.get_by_role("searchbox").first.wait_for()
    shoot(page, f"app-directory-{suffix}")
    page.get_by_role("tab", name=words["keypad"]).click()
    page.get_by_role("button", name=words["edit"]).click()
    page.get_by_test_id("blf-directory").get_by_role("checkbox").first.wait_for()
    shoot(page, f"app-colleagues-dialog-{suffix}")
    page.keyboard.press("Escape")
    page.get_by_role("button", name=words["forwarding"]).first.click()
    page.get_by_role("dialog").wait_for()
    shoot(page, f"app-forwarding-{suffix}")
    page.keyboard.press("Escape")


EN = {
    "history": "History",
    "directory": "Directory",
    "keypad": "Keypad",
    "edit": "Edit colleagues",
    "forwarding": "Call forwarding",
}
FR = {
    "history": "Historique",
    "directory": "Annuaire",
    "keypad": "Clavier",
    "edit": "Modifier les collègues",
    "forwarding": "Déviations",
}


def main() -> int:
    keyring.set_keyring(MemoryKeyring())
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Kamailio(work_dir=Path(tmp) / "k", tls=False) as pbx:
        work = Path(tmp)
        radicale = Radicale(work / "radicale")
        radicale.seed({p.key: vcard(p, "4.0") for p in people(300)})
        radicale.start()
        try:
            with running_app(work / "app") as app, sync_playwright() as pw:
                capture(
                    url=app.url,
                    pbx=pbx,
                    radicale=radicale,
                    work=work,
                    ui=UiClient(app),
                    chromium=pw.chromium,
                )
        finally:
            radicale.stop()
    return 0


def capture(
    *, url: str, pbx: Kamailio, radicale: Radicale, work: Path, ui: UiClient, chromium: BrowserType
) -> None:
    browser = chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    assert sign_in(ui, pbx.port, "1001", pbx.users["1001"], display_name="Ann Agent")["ok"]
    reply = ui.command(
        "directory.configure",
        carddav={"url": radicale.url, "user": USER},
        carddav_password=PASSWORD,
    )
    assert reply["ok"], reply
    ui.wait_for(
        lambda e: (
            e.get("type") == "directory_status"
            and any(s["source"] == "carddav" and s["count"] > 0 for s in e["sources"])
        ),
        timeout=30,
    )

    def peer(user: str, auto: bool) -> Baresip:
        mode = "auto" if auto else "manual"
        return Baresip(pbx.port, user, pbx.users[user], answermode=mode, work_dir=work / user)

    with (
        peer("1002", True) as b2,
        peer("1003", False) as b3,
        peer("1004", True),
        peer("1005", False) as b5,
        peer("1006", False) as b6,
        peer("1008", False),
    ):
        # A history: a missed call from Claire, an answered one from Franz, one dialled to Bob.
        start = ui.mark()
        b3.dial("1001")
        ui.wait_call_state("ringing_in", start=start)
        b3.hangup()
        start = ui.mark()
        b6.dial("1001")
        incoming = ui.wait_call_state("ringing_in", start=start)["id"]
        assert ui.command("call.answer", call_id=incoming)["ok"]
        ui.wait_call_state("connected", start=start)
        ui.command("call.hangup", call_id=incoming)
        bob = ui.dial_connected("1002")
        b2.wait_for_event("CALL_ESTABLISHED")
        ui.command("call.hangup", call_id=bob)

        start = ui.mark()
        assert ui.command("settings.update", blf_users=COLLEAGUES)["ok"]
        wait_lines(ui, ["1002", "1008"], "free", start=start, timeout=15)
        # Claire rings (Eva calls her), David talks with Franz, Lena is on do-not-disturb.
        start = ui.mark()
        b5.dial("1003")
        b6.dial("1004")
        dnd = publish_dnd(pbx, "1007")
        try:
            wait_lines(ui, ["1003"], "ringing", start=start, timeout=15)
            wait_lines(ui, ["1004"], "busy", start=start, timeout=15)
            light = open_page(browser, url, "light")
            dark = open_page(browser, url, "dark")
            light.wait_for_selector(".blf-row__pickup")
            shoot(light, "app-colleagues-light")
            shoot(dark, "app-colleagues-dark")
            views(light, "light", EN)
            ui.command("settings.update", language="fr")
            light.wait_for_selector("text=Collègues")
            shoot(light, "app-colleagues-fr")
            views(dark, "fr-dark", FR)
            ui.command("settings.update", language=None)
            light.wait_for_selector("text=Colleagues")
            # Transfer mode: a connected call, Transfer pressed; colleagues become blue targets.
            ui.dial_connected("1002")
            light.get_by_role("button", name="Transfer", exact=True).first.click()
            light.wait_for_selector(".blf-row.is-transfer-target")
            shoot(light, "app-transfer-mode-light")
            dark.wait_for_selector(".call-card")
            dark.get_by_role("button", name="Transfer", exact=True).first.click()
            dark.wait_for_selector(".blf-row.is-transfer-target")
            shoot(dark, "app-transfer-mode-dark")
        finally:
            dnd.close()
    ui.close()
    browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
