"""Hostile text from SIP and from the directory is shown as text, runs nothing, breaks no layout.

Incoming calls are real INVITEs (tests/support/raw_caller.py) to the app's SIP port, with the
hostile value as the From display name, bytes as they are (invalid UTF-8 included); the
caller then CANCELs, so each also lands in the history as a missed call. Directory entries
come from a vCard import and BLF rows from the colleague list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, running_app, sign_in
from support.raw_caller import RawCaller

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Each payload sets window.__pwned if it ever runs as markup.
SIP_NAMES: list[bytes] = [
    b"<script>window.__pwned=1</script>",
    b'<img src=x onerror="window.__pwned=1">',
    b'"><svg onload=window.__pwned=1>',
    b"&lt;b&gt;not bold&lt;/b&gt; &amp;",
    b"W" * 300,  # longer than pjsua's 256-byte buffer and our 128-character bound
    "Bob \u202egnp.exe\x07\x1b[31m red".encode(),  # bidi override, BEL, ANSI escape
    b"Bad \xff\xfe\xc3( UTF-8",
]
LONG_NAME = "W" * 128  # what the app keeps of the 300 W's
DIRECTORY_NAMES = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    "Zoë " + "Long" * 40,
]
# The user types BLF names: a right-to-left override there is kept (it is theirs), and shown
# isolated so it cannot reverse the row around it.
BLF_NAMES = ["<b onmouseover=window.__pwned=1>Bea</b>", "M" * 64, "\u202eBea 1004"]
PWNED_CHECK = (
    "() => window.__pwned === undefined && document.querySelectorAll("
    "'[onerror],[onload],[onmouseover],script:not([src]):not([type])').length === 0"
)


def _vcards() -> str:
    cards = []
    for i, name in enumerate(DIRECTORY_NAMES):
        cards.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"FN:{name}\r\nN:{name};;;;\r\nORG:<script>window.__pwned=1</script>\r\n"
            f"TEL;TYPE=WORK:+41 44 123 45 6{i}\r\nEND:VCARD\r\n"
        )
    return "".join(cards)


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio) -> Iterator[SoftphoneApp]:
    with running_app(tmp_path / "app") as running:
        ui = UiClient(running)
        assert sign_in(ui, kamailio.port, "1001", kamailio.users["1001"])["ok"]
        users = [{"extension": str(1002 + i), "name": n} for i, n in enumerate(BLF_NAMES)]
        assert ui.command("settings.update", blf_users=users)["ok"]
        reply = ui.command("contacts.import", format="vcard", data=_vcards())
        assert reply["ok"] and reply["result"]["imported"] == len(DIRECTORY_NAMES), reply
        ui.close()
        yield running


@pytest.fixture
def page(page: Page) -> Page:
    expect(page.get_by_text("Registered", exact=True)).to_be_visible(timeout=15_000)
    return page


def _bidi_isolated(page: Page, selector: str) -> None:
    """Every element matching `selector` isolates its text (CSS unicode-bidi: isolate)."""
    styles = page.eval_on_selector_all(
        selector, "els => els.map(e => getComputedStyle(e).unicodeBidi)"
    )
    assert styles and set(styles) == {"isolate"}, (selector, styles)


def _truncated_with_ellipsis(page: Page, selector: str, text: str) -> None:
    """The element showing `text` ends in an ellipsis inside its box, and nothing overflows
    the window sideways."""
    state = page.evaluate(
        """([selector, text]) => {
            const el = [...document.querySelectorAll(selector)].find(e => e.textContent === text);
            if (!el) return null;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {
              ellipsis: style.textOverflow === "ellipsis" && style.overflow !== "visible",
              clipped: el.scrollWidth > el.clientWidth,
              inside: box.right <= window.innerWidth + 0.5,
              page: document.documentElement.scrollWidth <= window.innerWidth,
            };
        }""",
        [selector, text],
    )
    assert state == {"ellipsis": True, "clipped": True, "inside": True, "page": True}, (
        selector,
        state,
    )


def test_hostile_names_from_sip_and_directory_are_shown_as_text_only(
    page: Page, app: SoftphoneApp, artifacts: Path
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ui = UiClient(app)
    caller = RawCaller(app.engine.sip_port)
    shown: list[str] = []
    try:
        calls = page.get_by_role("region", name="Calls")
        for value in SIP_NAMES:
            mark = ui.mark()
            assert caller.invite(value) < 300, value
            call = ui.wait_call_state("ringing_in", start=mark)
            name = call["display_name"]
            shown.append(name)
            card_name = calls.locator(".call-card__name")
            expect(card_name).to_have_count(1, timeout=5_000)
            assert card_name.text_content() == name, (value, name)
            if name == LONG_NAME:
                _truncated_with_ellipsis(page, ".call-card__name", name)
                _bidi_isolated(page, ".call-card__name")
                page.screenshot(path=str(artifacts / "e2e-hostile-long-name.png"))
            assert page.evaluate(PWNED_CHECK), value
            mark = ui.mark()
            caller.cancel()
            ui.wait_call_state("ended", start=mark)
            expect(card_name).to_have_count(0, timeout=10_000)
    finally:
        caller.close()
        ui.close()
    # The markup arrived as typed, not stripped: it is the text that is shown.
    assert shown[0] == "<script>window.__pwned=1</script>"
    assert shown[3] == "&lt;b&gt;not bold&lt;/b&gt; &amp;"
    assert shown[4] == LONG_NAME
    # Controls and the bidi override are dropped; invalid UTF-8 leaves no lone surrogate.
    assert shown[5] == "Bob gnp.exe[31m red"
    assert shown[6].startswith("Bad ") and shown[6].endswith("( UTF-8")
    assert all(ch.isprintable() for name in shown for ch in name)

    page.get_by_role("tab", name="History").click()
    history_names = page.locator(".history-row__name")
    expect(history_names).to_have_count(len(SIP_NAMES), timeout=10_000)
    assert sorted(history_names.all_text_contents()) == sorted(shown)
    _truncated_with_ellipsis(page, ".history-row__name", LONG_NAME)
    _bidi_isolated(page, ".history-row__name")
    page.screenshot(path=str(artifacts / "e2e-hostile-history.png"))

    blf_names = page.locator(".blf-row__name")
    expect(blf_names).to_have_count(len(BLF_NAMES))
    assert blf_names.all_text_contents() == BLF_NAMES
    _truncated_with_ellipsis(page, ".blf-row__name", BLF_NAMES[1])
    _bidi_isolated(page, ".blf-row__name")

    page.get_by_role("tab", name="Directory").click()
    rows = page.locator(".contact-row__name")
    expect(rows).to_have_count(len(DIRECTORY_NAMES), timeout=10_000)
    assert sorted(rows.all_text_contents()) == sorted(DIRECTORY_NAMES)
    orgs = page.locator(".contact-row__org")
    assert set(orgs.all_text_contents()) == {"<script>window.__pwned=1</script>"}
    _truncated_with_ellipsis(page, ".contact-row__name", DIRECTORY_NAMES[2])
    _bidi_isolated(page, ".contact-row__name")
    page.screenshot(path=str(artifacts / "e2e-hostile-directory.png"))

    page.get_by_role("tab", name="History").click()
    page.locator(".history-row").first.hover()  # mouse events on hostile rows run nothing
    page.locator(".blf-row").first.hover()
    assert page.evaluate(PWNED_CHECK)
    assert dialogs == []
