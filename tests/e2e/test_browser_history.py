"""A person in Chromium uses the call history: missed-call badge, filter, call back, delete.

Real parts only: the app (engine process, web server, built frontend), Kamailio, baresip.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from support.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_missed_call_badge_filter_call_back_and_delete(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip], artifacts: Path
) -> None:
    sign_in(page, kamailio)
    calls = page.get_by_role("region", name="Calls")
    peer = baresip_factory("1003")

    # A call the user rejects, then one the caller gives up on (missed).
    peer.dial("1001")
    calls.get_by_role("button", name="Reject").click(timeout=10_000)
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)
    peer.dial("1001")
    expect(calls.get_by_role("button", name="Answer")).to_be_visible(timeout=10_000)
    peer.hangup()
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)

    badge = page.get_by_test_id("missed-badge")
    expect(badge).to_contain_text("1")
    page.screenshot(path=str(artifacts / "e2e-history-badge.png"))
    page.get_by_role("tab", name="History").click()
    rows = page.get_by_role("tabpanel").get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    missed_row = rows.filter(has_text="Missed")
    expect(missed_row).to_have_count(1)
    expect(missed_row).to_contain_text("1003")
    expect(rows.filter(has_text="Rejected")).to_have_count(1)
    expect(badge).to_have_count(0)  # opening the tab marks missed calls as seen
    page.screenshot(path=str(artifacts / "e2e-history.png"))

    page.get_by_role("switch", name="Missed only").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Missed")
    page.get_by_role("switch", name="Missed only").click()
    expect(rows).to_have_count(2)

    # Call back dials the number: the peer rings.
    mark = peer.mark()
    missed_row.get_by_role("button", name="Call back").click()
    peer.wait_for_event("CALL_INCOMING", start=mark)
    calls.get_by_role("button", name="Hang up").click()
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)
    expect(rows).to_have_count(3)  # the call back is in the history too

    page.get_by_role("button", name="Delete history").click()
    dialog = page.get_by_role("dialog", name="Delete the call history?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Delete history").click()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("No recent calls")).to_be_visible()
    expect(rows).to_have_count(0)


def test_a_call_answered_on_the_desk_phone_is_labelled_and_not_missed(
    page: Page, kamailio: Kamailio, baresip_factory: Callable[..., Baresip], artifacts: Path
) -> None:
    sign_in(page, kamailio)
    calls = page.get_by_role("region", name="Calls")
    desk = baresip_factory("1001")  # the user's desk phone: Kamailio forks to both
    caller = baresip_factory("1003")
    desk_mark = desk.mark()
    caller.dial("1001")
    expect(calls.get_by_role("button", name="Answer")).to_be_visible(timeout=10_000)
    desk.wait_for_event("CALL_INCOMING", start=desk_mark)
    desk.accept()
    expect(page.get_by_text("No active calls")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(500)  # a missed call's badge comes with the call's end
    expect(page.get_by_test_id("missed-badge")).to_have_count(0)  # before the tab clears it

    page.get_by_role("tab", name="History").click()
    rows = page.get_by_role("tabpanel").get_by_role("listitem")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Answered elsewhere")
    expect(rows.first).to_contain_text("1003")
    page.screenshot(path=str(artifacts / "e2e-history-answered-elsewhere.png"))
    page.get_by_role("switch", name="Missed only").click()
    expect(rows).to_have_count(0)
    caller.hangup()
