"""BLF on the engine thread: dialog-event (RFC 4235) and presence subscriptions per colleague."""

from __future__ import annotations

import collections
import ctypes
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.dialoginfo import (
    Dialog,
    DialogInfoError,
    LineState,
    PickupMethod,
    has_identity,
    line_state,
    merge,
    parse_dialog_info,
    pickup_method,
    ringing_dialog,
)
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, LineStateReported
from softphone.domain.identity import header_value, number_from_uri, parse_name_addr
from softphone.domain.presence import PresenceError, parse_pidf_dnd
from softphone.engine.native import pjsua_library
from softphone.engine.pj_adapters import BuddyCallbacks, PjAccount, PjBuddy
from softphone.engine.presence_subs import AccountRoute, PresenceSubscriptions
from softphone.engine.router import CommandRouter

log = logging.getLogger(__name__)

# Subscriptions are spread over time so that 200 colleagues do not hit the PBX (and our own
# loop) in one burst: BURST new SUBSCRIBE pairs every SPACING seconds (200 users: ~1 s).
_BURST = 10
_SPACING_S = 0.05
# Resubscribe everything now and then: pjsua only refreshes a subscription the PBX still
# knows, and a PBX restarted without a subscription store has forgotten all of them.
_RESUBSCRIBE_S = 300.0
# A presence subscription the PBX ended (or refused) is tried again after this long.
_PRESENCE_RETRY_S = 30.0
# Kamailio's NOTIFY for an idle line has no body and no Content-Type: go by the Event header.
_EVENT = re.compile(r"\n(?:event|o)[ \t]*:[ \t]*(dialog|presence)\b", re.IGNORECASE)
_TERMINATED = re.compile(r"\nsubscription-state[ \t]*:[ \t]*terminated\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TappedNotify:
    event: str  # "dialog" or "presence"
    presentity: str  # from the From header
    body: str
    terminated: bool  # Subscription-State: terminated


class NotifyTap:
    """Dialog-info and presence NOTIFY bodies picked from pjsip's message log (any thread ->
    engine loop).

    pjsua2 exposes only the first <dialog> of a NOTIFY; the message log has the whole body.
    Presence subscriptions are pjsip's own (presence_subs.py): their bodies come this way too.
    """

    def __init__(self) -> None:
        # Bounded: a flood only loses old ones.
        self._bodies: collections.deque[TappedNotify] = collections.deque(maxlen=1000)
        self._lock = threading.Lock()

    def offer(self, text: str) -> None:
        # Cheap tests first: this runs for every logged line.
        if "NOTIFY" not in text[:200]:
            return
        event = _EVENT.search(text)
        if event is None:
            return
        head, sep, rest = text.partition("\r\n\r\n")
        if not sep or not head.lstrip().startswith(("RX", "rx")):
            return
        if "\n--end msg--" not in rest:
            # pjlib cuts a log entry at PJ_LOG_MAX_SIZE (4000 bytes): a NOTIFY with many
            # dialogs arrives truncated here. Say so rather than parse half a document.
            log.warning("%s NOTIFY too large for the message log: state may be stale", event[1])
            return
        body = rest.split("\n--end msg--", 1)[0]
        presentity = parse_name_addr(header_value(head, "From", "f") or "").uri
        tapped = TappedNotify(event[1].lower(), presentity, body, bool(_TERMINATED.search(head)))
        with self._lock:
            self._bodies.append(tapped)

    def drain(self) -> list[TappedNotify]:
        with self._lock:
            bodies = list(self._bodies)
            self._bodies.clear()
        return bodies


@dataclass(slots=True)
class Watched:
    extension: str
    uri: str
    buddy: PjBuddy | None = None  # the dialog-event subscription (the presence one: _presence)
    dialogs: dict[str, Dialog] = field(default_factory=dict)
    dnd: bool = False
    seen: bool = False  # a dialog NOTIFY arrived: the state is known
    shown: LineStateReported | None = None


class EngineBlf(BuddyCallbacks):
    """Owns every pj.Buddy; deletes them on this thread before the account goes."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        account: Callable[[], PjAccount | None],
        base_log_level: int = 3,
    ) -> None:
        self._emit = emit
        self._account = account
        self._base_log_level = base_log_level
        self.tap = NotifyTap()
        self._watched: dict[str, Watched] = {}
        self._queue: collections.deque[str] = collections.deque()  # extensions to subscribe
        self._next_burst = 0.0
        self._resubscribe_at = 0.0
        self._lib: ctypes.CDLL | None = None
        self._presence: PresenceSubscriptions | None = None
        self._presence_retry: dict[str, float] = {}  # extension -> when to subscribe again
        self._pickup_code = False  # a directed-pickup code is configured

    def register(self, router: CommandRouter) -> None:
        router.register(cmd.SetMonitored, self._set_monitored)

    def _set_monitored(self, command: cmd.SetMonitored) -> None:
        wanted = dict(command.users)
        if command.pickup_code != self._pickup_code:
            self._pickup_code = command.pickup_code
            for watched in self._watched.values():
                self._report(watched)
        for extension in list(self._watched):
            if wanted.get(extension) != self._watched[extension].uri:
                self._drop(extension)
        for extension, uri in wanted.items():
            if extension not in self._watched:
                self._watched[extension] = Watched(extension, uri)
                self._queue.append(extension)
                self._report(self._watched[extension])
        self.apply_log_level()

    def apply_log_level(self) -> None:
        """pjsip formats every SIP message at log level 4 and each line crosses into Python:
        that made idle CPU 4x and call setup 5x slower (measured), so pay for it only while
        colleagues are monitored and their NOTIFY bodies are needed."""
        if self._lib is None:
            self._lib = pjsua_library()
        level = max(4, self._base_log_level) if self._watched else self._base_log_level
        self._lib.pj_log_set_level(ctypes.c_int(level))

    def pickup_target(self, extension: str) -> tuple[Dialog, str]:
        """The ringing dialog to replace, and the caller's URI to send the INVITE to."""
        watched = self._watched.get(extension)
        dialog = ringing_dialog(watched.dialogs) if watched else None
        if watched is None or dialog is None or not has_identity(dialog):
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        # The caller's AOR on the PBX we watch through (identities carry no port; the
        # PBX may not listen on 5060), so it goes through the PBX like any call.
        caller = number_from_uri(dialog.remote_identity)
        host = watched.uri.split("@", 1)[1]
        return dialog, f"sip:{caller}@{host}"

    # --- account lifecycle ------------------------------------------------------------------

    def on_registered(self) -> None:
        """(Re)subscribe everyone: after a PBX or network outage the old ones are gone."""
        self.release_all(keep_list=True)
        for watched in self._watched.values():
            watched.seen = False
            watched.dialogs = {}
            self._report(watched)
        self._queue.extend(self._watched)
        self._resubscribe_at = time.monotonic() + _RESUBSCRIBE_S

    def release_all(self, *, keep_list: bool = False) -> None:
        for watched in self._watched.values():
            self._release(watched)
        self._queue.clear()
        if not keep_list:
            self._watched.clear()

    def _drop(self, extension: str) -> None:
        self._release(self._watched.pop(extension))

    def _release(self, watched: Watched) -> None:
        buddy, watched.buddy = watched.buddy, None
        self._presence_retry.pop(watched.extension, None)
        if self._presence is not None:
            self._presence.unsubscribe(watched.extension)
        if buddy is not None:
            if self._lib is not None and buddy.isValid():
                self._lib.pjsua_buddy_subscribe_dlg_event(ctypes.c_int(buddy.getId()), 0)
            buddy.release()
        # The wrapper's destructor deletes the pjsua buddy: here, on this thread.
        del buddy

    # --- loop housekeeping ------------------------------------------------------------------

    def after_events(self) -> None:
        for notify in self.tap.drain():
            if notify.event == "presence":
                self._on_presence(notify)
            else:
                self._on_dialog_info(notify.presentity, notify.body)
        now = time.monotonic()
        if self._resubscribe_at and now >= self._resubscribe_at:
            self.on_registered()
        for extension, due in list(self._presence_retry.items()):
            if now >= due:
                del self._presence_retry[extension]
                watched = self._watched.get(extension)
                account = self._account()
                if watched is not None and account is not None:
                    self._subscribe_presence(account, watched)
        if self._queue and now >= self._next_burst:
            self._next_burst = now + _SPACING_S
            for _ in range(min(_BURST, len(self._queue))):
                self._subscribe(self._queue.popleft())

    def next_due(self) -> float | None:
        due = [self._next_burst] if self._queue else []
        due.extend(self._presence_retry.values())
        return min(due) if due else None

    def _subscribe(self, extension: str) -> None:
        watched = self._watched.get(extension)
        account = self._account()
        if watched is None or account is None:
            return
        self._release(watched)
        # A pjsua buddy holds one subscription, and pjsua has 256 buddy slots (compiled in;
        # the 257th asserts): the dialog subscription takes a buddy, presence (DND) is
        # pjsip's own (presence_subs.py), so 200 colleagues fit. Presence goes first: with
        # a DND already published, the first dialog NOTIFY can show it at once.
        self._subscribe_presence(account, watched)
        watched.buddy = self._dialog_buddy(account, watched)

    def _subscribe_presence(self, account: PjAccount, watched: Watched) -> None:
        acfg = account.pj_config
        if acfg is None:
            return
        if self._presence is None:
            if self._lib is None:
                self._lib = pjsua_library()
            self._presence = PresenceSubscriptions(self._lib, self._on_presence_ended)
        route = AccountRoute.of(account.getId(), acfg)
        if not self._presence.subscribe(watched.extension, watched.uri, route):
            self._presence_retry[watched.extension] = time.monotonic() + _PRESENCE_RETRY_S

    def _on_presence_ended(self, extension: str) -> None:
        # Called from inside libHandleEvents: only note it, subscribe on the next turn.
        if extension in self._watched:
            self._presence_retry[extension] = time.monotonic() + _PRESENCE_RETRY_S

    def _dialog_buddy(self, account: PjAccount, watched: Watched) -> PjBuddy:
        buddy = PjBuddy(self, watched.extension)
        bcfg = pj.BuddyConfig()
        bcfg.uri = watched.uri
        bcfg.subscribe = False
        try:
            buddy.create(account, bcfg)
            if self._lib is None:
                self._lib = pjsua_library()
            status = self._lib.pjsua_buddy_subscribe_dlg_event(ctypes.c_int(buddy.getId()), 1)
            if status != 0:
                log.warning("dialog subscription to %s failed: %s", watched.extension, status)
        except pj.Error as exc:
            log.warning("BLF subscription to %s failed: %s", watched.extension, exc.info())
        return buddy

    # --- what arrives -----------------------------------------------------------------------

    def _on_dialog_info(self, presentity: str, body: str) -> None:
        watched = self._watched.get(number_from_uri(presentity))
        if watched is None:
            return
        if not body.strip():
            watched.dialogs = {}  # Kamailio's first NOTIFY for an idle line has no body
        else:
            try:
                info = parse_dialog_info(body)
            except DialogInfoError as exc:
                log.warning(
                    "ignored a malformed dialog-info NOTIFY from %s (%d bytes): %s",
                    watched.extension,
                    len(body),
                    exc,
                )
                return
            watched.dialogs = merge(watched.dialogs, info)
        watched.seen = True
        self._report(watched)

    def _on_presence(self, notify: TappedNotify) -> None:
        watched = self._watched.get(number_from_uri(notify.presentity))
        if watched is None:
            return
        if notify.terminated and not notify.body.strip():
            return  # the subscription ended: what it said last still holds
        try:
            dnd = parse_pidf_dnd(notify.body)
        except PresenceError as exc:
            log.warning(
                "ignored a malformed presence NOTIFY from %s (%d bytes): %s",
                watched.extension,
                len(notify.body),
                exc,
            )
            return
        if dnd != watched.dnd:
            watched.dnd = dnd
            self._report(watched)

    def on_buddy_state(self, buddy: PjBuddy) -> None:
        """Dialog buddies only: their presence state is not subscribed and means nothing."""

    def _report(self, watched: Watched) -> None:
        state = line_state(watched.dialogs, watched.dnd)
        if not watched.seen:
            state = LineState.UNKNOWN
        method = pickup_method(watched.dialogs, self._pickup_code)
        event = LineStateReported(
            watched.extension,
            state.value,
            dnd=watched.dnd,
            pickup=method is not PickupMethod.NONE,
            replaces=method is PickupMethod.REPLACES,
        )
        if event != watched.shown:
            watched.shown = event
            self._emit(event)
