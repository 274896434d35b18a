"""A ringing card ends when the PBX that would cancel it is gone (issue: ghost ringing)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

# An INVITE transaction that no longer exists ends within Timer B (64 * T1 = 32 s).
GONE_WITHIN_S = 32.0


def test_a_ringing_call_ends_as_missed_when_the_pbx_goes_away(
    ui: UiClient, kamailio: Kamailio, baresip_factory: Callable[..., Baresip]
) -> None:
    caller = baresip_factory("1002")
    mark = ui.mark()
    caller.dial(kamailio.aor("1001"))
    ringing = ui.wait_call_state("ringing_in", start=mark)

    mark = ui.mark()
    gone_at = time.monotonic()
    kamailio.stop()  # its CANCEL can never come now; nor can the caller's

    ended = ui.wait_call(ringing["id"], "ended", start=mark, timeout=GONE_WITHIN_S)
    assert time.monotonic() - gone_at < GONE_WITHIN_S
    assert ended["end_reason"] == "cancelled"  # a missed call, not one the user refused
    ui.wait_for(
        lambda e: (
            e.get("type") == "history_changed"
            and e["entry"]["call_id"] == ringing["id"]
            and e["entry"]["outcome"] == "missed"
        ),
        start=mark,
    )
