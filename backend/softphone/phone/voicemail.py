"""The voicemail indicator: the PBX's last message summary, and calling the mailbox."""

from __future__ import annotations

import threading
from collections.abc import Callable

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import AccountChanged, SignInStarted
from softphone.domain.voicemail import VoicemailChanged, VoicemailReported, VoicemailSummary


class Voicemail:
    """Keeps the summary of the signed-in account; `call` dials the mailbox through `dial`.

    The number dialled is the user's setting when set (the PBX's voicemail code), else the
    dialable number the PBX named in Message-Account.
    """

    def __init__(
        self, bus: EventBus, dial: Callable[[str], str], configured: Callable[[], str]
    ) -> None:
        self._bus = bus
        self._dial = dial
        self._configured = configured
        self._lock = threading.Lock()
        self._summary = VoicemailSummary()
        bus.subscribe(VoicemailReported, lambda e: self._set(e.summary))
        # Cleared when a sign-in starts, before the engine can report the new account's
        # mailbox: cleared on the accepted sign-in instead, a summary the PBX sent in between
        # was wiped (the indicator showed 0 messages, 2 sign-ins in 5 in make demo).
        bus.subscribe(SignInStarted, lambda _e: self._set(VoicemailSummary()))
        bus.subscribe(AccountChanged, self._on_account)

    @property
    def summary(self) -> VoicemailSummary:
        with self._lock:
            return self._summary

    def number(self) -> str:
        return self._configured() or self.summary.account

    def call(self) -> str:
        """Dial the mailbox; the call's id. `no_voicemail_number` when none is known."""
        number = self.number()
        if not number:
            raise SoftphoneError(ErrorKey.NO_VOICEMAIL_NUMBER)
        return self._dial(number)

    def _on_account(self, event: AccountChanged) -> None:
        if event.account is None:  # signed out: no mailbox at all
            self._set(VoicemailSummary())

    def _set(self, summary: VoicemailSummary) -> None:
        with self._lock:
            changed, self._summary = summary != self._summary, summary
        if changed:
            self._bus.publish(VoicemailChanged(summary))
