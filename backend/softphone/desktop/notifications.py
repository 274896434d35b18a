"""OS notifications of incoming calls (Accept/Reject buttons) and missed calls."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from softphone.bus import EventBus
from softphone.desktop.window import has_display
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import CallChanged, CallRemoved, Event, SettingsChanged
from softphone.domain.settings import Settings
from softphone.i18n import language_for, text

log = logging.getLogger(__name__)

APP_NAME = "Softphone"


class CallNotifier:
    """Shows, and takes back, OS notifications for calls; never blocks or fails the bus.

    Bus handlers only queue the event: desktop-notifier runs on this object's own asyncio
    loop thread, which works the queue in order, so a notification is never cleared before
    it was sent. Buttons call `answer` / `reject` (Phone.answer / Phone.reject, like the UI)
    on a worker thread, since the engine's reply is awaited there.
    """

    def __init__(
        self,
        bus: EventBus,
        settings: Callable[[], Settings],
        answer: Callable[[str], None],
        reject: Callable[[str], None],
        notifier_factory: Callable[[], Any] | None = None,
    ) -> None:
        self._bus = bus
        self._settings = settings
        self._answer = answer
        self._reject = reject
        self._factory = notifier_factory or _desktop_notifier
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Event | None] | None = None
        self._thread: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        # Loop-thread state only.
        self._notifier: Any = None
        self._disabled = False
        self._markup = True  # escape unless the server says it shows bodies as plain text
        # call id -> (desktop-notifier identifier, the server's id when it is D-Bus)
        self._incoming: dict[str, tuple[str, int | None]] = {}

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="call-notifier", daemon=True
        )
        self._thread.start()
        ready.wait(5.0)
        self._unsubscribe = [
            self._bus.subscribe(CallChanged, self._enqueue),
            self._bus.subscribe(CallRemoved, self._enqueue),
            self._bus.subscribe(SettingsChanged, self._enqueue),
        ]

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._enqueue(None)  # the worker clears what it showed, then ends the loop
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    # --- bus side: any thread, never blocks -----------------------------------------------

    def show_test(self, timeout: float = 10.0) -> bool:
        """Show a test notification (first-run check); True when a server took it. Any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        future = asyncio.run_coroutine_threadsafe(self._show_test(), loop)
        try:
            return future.result(timeout)
        except Exception:
            log.exception("test notification failed")
            return False

    async def _show_test(self) -> bool:
        if not await self._usable():
            return False
        language = self._language()
        await self._send(text("test_title", language), text("test_body", language), timeout=8)
        return True

    def _enqueue(self, event: Event | None) -> None:
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        except RuntimeError:  # the loop closed in between: we are stopping
            pass

    # --- loop thread ----------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._work(ready))
        finally:
            self._loop = None
            loop.close()

    async def _work(self, ready: threading.Event) -> None:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queue = queue
        ready.set()
        while (event := await queue.get()) is not None:
            try:
                await self._handle(event)
            except Exception:
                log.exception("notification for %s failed", type(event).__name__)
            queue.task_done()  # queue.join() returns once every event queued is handled
        await self._clear_all()
        bus = getattr(_dbus_backend(self._notifier), "bus", None)
        if bus is not None:  # its socket would otherwise outlive the loop
            bus.disconnect()

    async def _handle(self, event: Event) -> None:
        if isinstance(event, CallRemoved):
            await self._clear(event.call_id)
        elif isinstance(event, SettingsChanged):
            if not event.settings.notifications:
                await self._clear_all()
        elif isinstance(event, CallChanged):
            await self._on_call(event.call, event.old_state)

    async def _on_call(self, call: CallSnapshot, old_state: CallState | None) -> None:
        if call.direction is not CallDirection.INCOMING:
            return
        if call.state is CallState.RINGING_IN:
            if call.id not in self._incoming and await self._usable():
                await self._show_incoming(call)
            return
        await self._clear(call.id)  # answered (here or elsewhere), rejected or ended
        missed = call.state is CallState.ENDED and call.end_reason is EndReason.CANCELLED
        if missed and old_state is CallState.RINGING_IN and await self._usable():
            await self._send(text("missed_call", self._language()), self._caller(call))
        # Refused by the media negotiation before it could ring (our SRTP is mandatory, the
        # caller's phone has none): the user never saw it ring, so say why it was missed.
        refused = call.state is CallState.ENDED and call.end_reason is EndReason.ENCRYPTION_REFUSED
        if refused and old_state is None and await self._usable():
            language = self._language()
            body = f"{self._caller(call)}\n{text('missed_no_encryption', language)}"
            await self._send(text("missed_call", language), body)

    async def _usable(self) -> bool:
        """Notifications are on and a notification server answers (asked once)."""
        if self._disabled or not self._settings().notifications:
            return False
        if self._notifier is None:
            try:
                self._notifier = self._factory()
                await self._notifier.get_capabilities()
                self._markup = await _server_shows_markup(self._notifier)
            except Exception as exc:  # no D-Bus session, no server, an unsupported OS
                log.warning("no notification server, call notifications are off: %r", exc)
                self._disabled = True
                return False
        return True

    async def _show_incoming(self, call: CallSnapshot) -> None:
        from desktop_notifier import Button, Urgency

        language = self._language()
        call_id = call.id
        buttons = (
            Button(text("accept", language), on_pressed=partial(self._pressed, call_id, True)),
            Button(text("reject", language), on_pressed=partial(self._pressed, call_id, False)),
        )
        identifier = await self._send(
            text("incoming_call", language),
            self._caller(call),
            buttons=buttons,
            urgency=Urgency.Critical,
            timeout=0,  # stays while it rings: we take it back when the call leaves ringing
            on_dismissed=lambda: self._incoming.pop(call_id, None),
        )
        self._incoming[call_id] = (identifier, _server_id(self._notifier, identifier))

    async def _send(self, title: str, body: str, **options: Any) -> str:
        from desktop_notifier import Notification

        # Caller names are untrusted SIP text; with body-markup servers they would be HTML.
        message = html.escape(body, quote=False) if self._markup else body
        notification = Notification(title=title, message=message, **options)
        identifier: str = await self._notifier.send_notification(notification)
        return identifier

    def _pressed(self, call_id: str, accept: bool) -> None:
        # Kept in _incoming: servers like dunst leave it up after an action, and the call's
        # next state (connecting, ended) takes it back.
        action = self._answer if accept else self._reject
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, _run_action, action, call_id)

    async def _clear(self, call_id: str) -> None:
        shown = self._incoming.pop(call_id, None)
        if shown is None or self._notifier is None:
            return
        identifier, server_id = shown
        try:
            await self._notifier.clear(identifier)
        except KeyError:
            # desktop-notifier forgets a notification once a button was invoked, but the
            # server may still show it: close it by the server's id.
            if server_id is not None:
                await _close_on_server(self._notifier, server_id)

    async def _clear_all(self) -> None:
        for call_id in list(self._incoming):
            try:
                await self._clear(call_id)
            except Exception:
                log.exception("could not close the notification of call %s", call_id)

    def _language(self) -> str:
        return language_for(self._settings().language)

    def _caller(self, call: CallSnapshot) -> str:
        name, number = call.display_name.strip(), call.number.strip()
        if name and number and name != number:
            return f"{name}\n{number}"
        return name or number or text("unknown_caller", self._language())


def _run_action(action: Callable[[str], None], call_id: str) -> None:
    try:
        action(call_id)
    except SoftphoneError as exc:  # the call ended or was answered meanwhile
        log.info("notification action on call %s refused: %s", call_id, exc)
    except Exception:
        log.exception("notification action on call %s failed", call_id)


def _desktop_notifier() -> Any:
    from desktop_notifier import DesktopNotifier

    return DesktopNotifier(app_name=APP_NAME, app_icon=None)


async def _server_shows_markup(notifier: Any) -> bool:
    """Whether the server renders body markup; True (escape) when it cannot be asked."""
    interface = getattr(getattr(notifier, "_backend", None), "interface", None)
    if interface is None:  # not the D-Bus backend: macOS and Windows show plain text
        return getattr(notifier, "_backend", None) is None
    capabilities = await interface.call_get_capabilities()
    return "body-markup" in capabilities


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs in a desktop session that can show notifications.

    SOFTPHONE_NOTIFICATIONS=1/0 decides (tests force it on); else Windows and macOS always,
    Linux with a D-Bus session bus and a display. Headless runs (a server, most tests) then
    never ask D-Bus to start a notification daemon.
    """
    env = os.environ if environ is None else environ
    forced = env.get("SOFTPHONE_NOTIFICATIONS")
    if forced in ("0", "1"):
        return forced == "1"
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(env.get("DBUS_SESSION_BUS_ADDRESS")) and has_display(env)


def _dbus_backend(notifier: Any) -> Any:
    return getattr(notifier, "_backend", None)


def _server_id(notifier: Any, identifier: str) -> int | None:
    """The D-Bus server's id of a notification (desktop-notifier keeps it privately)."""
    ids = getattr(_dbus_backend(notifier), "_platform_to_interface_notification_identifier", None)
    try:
        return None if ids is None else int(ids.inverse[identifier])
    except (KeyError, TypeError, ValueError):
        return None


async def _close_on_server(notifier: Any, server_id: int) -> None:
    from dbus_fast.errors import DBusError

    interface = getattr(_dbus_backend(notifier), "interface", None)
    if interface is None:
        return
    try:
        await interface.call_close_notification(server_id)
    except DBusError:  # closed meanwhile: the spec answers with an error then
        pass
