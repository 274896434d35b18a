"""An idle engine runs no periodic thread: pjsua's null-device clock ("clock", a wake-up every
20 ms) and pjmedia's socket poll ("media", every 10 ms) run only while a call exists, so a
registered phone doing nothing costs next to no CPU (issue 21: ≤ 0.3 % of a core)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from support.app_harness import UiClient

pytestmark = pytest.mark.integration

# pjlib names its threads (/proc/PID/task/TID/comm): the null sound device's clock and
# pjmedia's endpoint worker.
PERIODIC = {"clock", "media"}


def _threads(pid: int) -> list[str]:
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            names.append(Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip())
        except OSError:
            continue  # the thread ended
    return names


def _wait_no_periodic(pid: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while (names := _threads(pid)) and PERIODIC & set(names) and time.monotonic() < deadline:
        time.sleep(0.1)
    return names


def test_an_idle_registered_engine_runs_no_clock_or_poll_thread_before_or_after_a_call(
    ui: UiClient, app: SoftphoneApp, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    pid = app.engine.pid or 0
    assert pid
    time.sleep(1.0)  # registered (the `ui` fixture); give any lazily started thread its time
    before = _threads(pid)
    assert not PERIODIC & set(before), before

    # A call with media gets a clock, and its RTP arrives: two-way audio is proven elsewhere
    # (test_softphone_calls.py); here the call must simply connect and end.
    pj_peer_factory("1009", mode="echo")
    call_id = ui.dial_connected("1009")
    time.sleep(1.0)
    during = _threads(pid)
    assert "clock" in during or len(during) > len(before), during
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)

    after = _wait_no_periodic(pid, 3.0)
    assert not PERIODIC & set(after), after
    assert len(after) <= len(before), (before, after)
