"""CallNotifier against a fake notifier: what is shown, taken back, escaped, or not shown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from softphone.bus import EventBus
from softphone.desktop.notifications import CallNotifier, wanted
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.events import CallChanged, CallRemoved, SettingsChanged
from softphone.domain.settings import Settings
from support.waiting import until


class FakeNotifier:
    """Records sends and clears; `fail` makes it behave like a missing server."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[Any] = []
        self.cleared: list[str] = []
        self.changed = threading.Event()

    async def get_capabilities(self) -> frozenset[str]:
        if self.fail:
            raise ConnectionError("no org.freedesktop.Notifications")
        return frozenset()

    async def send_notification(self, notification: Any) -> str:
        self.sent.append(notification)
        self.changed.set()
        return str(notification.identifier)

    async def clear(self, identifier: str) -> None:
        self.cleared.append(identifier)
        self.changed.set()


class Rig:
    def __init__(self, fake: FakeNotifier) -> None:
        self.bus = EventBus()
        self.settings = Settings(language="de")
        self.fake = fake
        self.answered: list[str] = []
        self.factory_calls = 0
        self.notifier = CallNotifier(
            self.bus, lambda: self.settings, self.answered.append, lambda _id: None, self._make
        )

    def _make(self) -> FakeNotifier:
        self.factory_calls += 1
        return self.fake

    def publish_and_settle(self, event: Any) -> None:
        self.bus.publish(event)
        self.settle()

    def settle(self) -> None:
        """Returns once the notifier's loop has handled every event queued so far."""
        loop, queue = self.notifier._loop, self.notifier._queue
        assert loop is not None and queue is not None
        # Scheduled on the loop after the put of the event published last: joins after it.
        asyncio.run_coroutine_threadsafe(queue.join(), loop).result(timeout=5)


@pytest.fixture
def rig() -> Iterator[Rig]:
    rig = Rig(FakeNotifier())
    rig.notifier.start()
    yield rig
    rig.notifier.stop()


def _call(state: CallState, name: str = "", **extra: Any) -> CallSnapshot:
    return CallSnapshot(
        id="c1",
        direction=CallDirection.INCOMING,
        state=state,
        number="1003",
        display_name=name,
        remote_uri="sip:1003@pbx",
        created_at=0.0,
        **extra,
    )


def test_incoming_call_is_shown_translated_with_buttons_and_taken_back(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN, "Ann Agent"), None))
    [shown] = rig.fake.sent
    assert shown.title == "Eingehender Anruf" and shown.message == "Ann Agent\n1003"
    assert [b.title for b in shown.buttons] == ["Annehmen", "Ablehnen"]
    loop = rig.notifier._loop
    assert loop is not None
    loop.call_soon_threadsafe(shown.buttons[0].on_pressed)  # desktop-notifier's thread
    until(lambda: rig.answered == ["c1"])  # run in the loop's executor, like the UI's answer
    rig.publish_and_settle(CallChanged(_call(CallState.CONNECTING), CallState.RINGING_IN))
    assert rig.fake.cleared == [shown.identifier]


def test_untrusted_names_are_escaped_for_markup_servers(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN, '<b>Bob</b> & "Co"'), None))
    assert rig.fake.sent[0].message == '&lt;b&gt;Bob&lt;/b&gt; &amp; "Co"\n1003'


def test_caller_giving_up_is_a_missed_call(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN), None))
    ended = _call(CallState.ENDED, end_reason=EndReason.CANCELLED)
    rig.publish_and_settle(CallChanged(ended, CallState.RINGING_IN))
    assert [n.title for n in rig.fake.sent] == ["Eingehender Anruf", "Verpasster Anruf"]
    assert rig.fake.cleared == [rig.fake.sent[0].identifier]


def test_a_call_answered_elsewhere_is_taken_back_and_not_missed(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN), None))
    ended = _call(CallState.ENDED, end_reason=EndReason.ANSWERED_ELSEWHERE)
    rig.publish_and_settle(CallChanged(ended, CallState.RINGING_IN))
    assert [n.title for n in rig.fake.sent] == ["Eingehender Anruf"]
    assert rig.fake.cleared == [rig.fake.sent[0].identifier]


def test_caller_refused_for_lack_of_encryption_is_a_missed_call_that_says_why(rig: Rig) -> None:
    # Born ended: pjsua answered 488 before the call could ring (our SRTP is mandatory).
    refused = _call(CallState.ENDED, "Ann", end_reason=EndReason.ENCRYPTION_REFUSED)
    rig.publish_and_settle(CallChanged(refused, None))
    [shown] = rig.fake.sent
    assert shown.title == "Verpasster Anruf"
    assert shown.message == "Ann\n1003\nDas Telefon des Anrufers unterstützt keine Verschlüsselung"
    # A DND refusal, also born ended, is not a missed-call notification.
    dnd = _call(CallState.ENDED, end_reason=EndReason.REFUSED_DND)
    rig.publish_and_settle(CallChanged(dnd, None))
    assert len(rig.fake.sent) == 1


def test_rejected_call_is_not_missed_and_removal_clears(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN), None))
    rig.publish_and_settle(CallRemoved("c1"))
    ended = _call(CallState.ENDED, end_reason=EndReason.REJECTED)
    rig.publish_and_settle(CallChanged(ended, CallState.RINGING_IN))
    assert len(rig.fake.sent) == 1 and len(rig.fake.cleared) == 1


def test_switched_off_shows_nothing_and_takes_back_what_rings(rig: Rig) -> None:
    rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN), None))
    rig.settings = Settings(notifications=False)
    rig.publish_and_settle(SettingsChanged(rig.settings))
    assert len(rig.fake.cleared) == 1
    rig.publish_and_settle(CallChanged(replace(_call(CallState.RINGING_IN), id="c2"), None))
    assert len(rig.fake.sent) == 1


def test_no_server_is_logged_once_and_never_asked_again(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(FakeNotifier(fail=True))
    rig.notifier.start()
    try:
        for _ in range(3):
            rig.publish_and_settle(CallChanged(_call(CallState.RINGING_IN), None))
            rig.publish_and_settle(CallRemoved("c1"))
    finally:
        rig.notifier.stop()
    assert rig.factory_calls == 1 and rig.fake.sent == []
    assert sum("no notification server" in r.message for r in caplog.records) == 1


def test_only_desktop_sessions_want_notifications() -> None:
    assert wanted({"SOFTPHONE_NOTIFICATIONS": "1"}) is True
    assert wanted({"SOFTPHONE_NOTIFICATIONS": "0", "DISPLAY": ":0"}) is False
    assert wanted({"DISPLAY": ":0"}) is False  # no session bus
    assert wanted({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) is True
    assert wanted({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) is False  # headless
