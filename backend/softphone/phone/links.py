"""Call links from outside the app: shown in the keypad to confirm, never dialled blind."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from softphone.bus import EventBus
from softphone.domain.account import AccountConfig
from softphone.domain.errors import SoftphoneError
from softphone.domain.links import (
    BadLinkError,
    DialRequested,
    LinkRefused,
    ProvisionRequested,
    is_provision_link,
    parse_link,
    parse_provision_link,
)
from softphone.domain.settings import Settings
from softphone.phone.service import Phone

log = logging.getLogger(__name__)

# A link the UI has not picked up yet (browser mode, no tab open) is dropped after this:
# a number appearing in the keypad an hour after the click would be a surprise.
PENDING_SECONDS = 300.0

PendingLink = DialRequested | LinkRefused | ProvisionRequested


class CallLinks:
    """Turns a link into a dial request for the UI (or, if the user opted in, a call).

    Any thread. The newest outcome also waits here until a UI dismisses it, so a link given
    to the very first launch reaches the window that opens after it (in the snapshot).
    """

    def __init__(
        self,
        bus: EventBus,
        phone: Phone,
        settings: Callable[[], Settings],
        account: Callable[[], AccountConfig | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._phone = phone
        self._settings = settings
        self._account = account
        self._clock = clock
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: PendingLink | None = None

    def handle(self, link: str) -> None:
        if is_provision_link(link):
            self._provision(link)
            return
        try:
            parsed = parse_link(link)
        except BadLinkError as exc:
            # The link itself is not logged: it is hostile text (controls, megabytes).
            log.warning("refused a call link: %s", exc.reason.value)
            reason = exc.reason
            self._publish(lambda i, now: LinkRefused(i, reason, now))
            return
        number = parsed.number
        account = self._account()
        if parsed.scheme == "sip" and account and parsed.host.lower() == account.domain.lower():
            number = parsed.user  # our own PBX: the extension is what the user knows
        if self._settings().call_links_at_once:
            try:
                self._phone.dial(number)
                return
            except SoftphoneError as exc:
                # Not registered yet (a link that started the app), say: the link is not
                # lost, the user gets it in the keypad instead.
                log.warning("could not call a link at once (%s): offered instead", exc.key.value)
        self._publish(lambda i, now: DialRequested(i, number, parsed.scheme, now))

    def _provision(self, link: str) -> None:
        """softphone://provision?url=...: the sign-in form, pre-filled; never a sign-in."""
        try:
            url = parse_provision_link(link)
        except BadLinkError as exc:
            log.warning("refused a provisioning link: %s", exc.reason.value)
            reason = exc.reason
            self._publish(lambda i, now: LinkRefused(i, reason, now))
            return
        self._publish(lambda i, now: ProvisionRequested(i, url, now))

    def pending(self) -> PendingLink | None:
        """The outcome no UI has dismissed yet, if it is recent enough to still mean something."""
        with self._lock:
            pending = self._pending
        if pending is None or self._clock() - pending.received_at > PENDING_SECONDS:
            return None
        return pending

    def dismiss(self, request_id: int) -> None:
        """A UI took the outcome `request_id` (or a newer one): snapshots no longer carry it."""
        with self._lock:
            if self._pending is not None and self._pending.id <= request_id:
                self._pending = None

    def _publish(self, make: Callable[[int, float], PendingLink]) -> None:
        with self._lock:
            self._next_id += 1
            outcome = make(self._next_id, self._clock())
            self._pending = outcome
        self._bus.publish(outcome)
