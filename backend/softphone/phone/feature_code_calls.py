"""Follows the calls that carry PBX feature codes and reports how the PBX answered each."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CallChanged, CallRemoved
from softphone.domain.feature_code_outcome import (
    ANNOUNCEMENT_LIMIT_S,
    ANSWER_LIMIT_S,
    FeatureCodeOutcome,
    FeatureCodePurpose,
    FeatureCodeReported,
    error_for,
    judge,
)

log = logging.getLogger(__name__)

Done = Callable[[FeatureCodeReported], None]


@dataclass(slots=True)
class _Watch:
    call_id: str
    code: str
    purpose: FeatureCodePurpose
    rule: str
    done: Done | None
    answered: bool = False
    timer: threading.Timer | None = field(default=None, repr=False)


class FeatureCodeCalls:
    """Publishes FeatureCodeReported when a code is dialled and once its outcome is known.

    `watch()` must come before the dial: a PBX can refuse (404) before `dial()` returns.
    A call that stays open too long is hung up (it proves nothing: "unconfirmed").
    """

    def __init__(
        self,
        bus: EventBus,
        hangup: Callable[[str], None],
        *,
        answer_limit_s: float = ANSWER_LIMIT_S,
        announcement_limit_s: float = ANNOUNCEMENT_LIMIT_S,
    ) -> None:
        self._bus = bus
        self._hangup = hangup
        self._answer_limit_s = answer_limit_s
        self._announcement_limit_s = announcement_limit_s
        self._lock = threading.Lock()
        self._watched: dict[str, _Watch] = {}
        bus.subscribe(CallChanged, self._on_call)
        bus.subscribe(
            CallRemoved, lambda e: self._finish(e.call_id, FeatureCodeOutcome.UNCONFIRMED)
        )

    def is_watched(self, call_id: str) -> bool:
        with self._lock:
            return call_id in self._watched

    def watch(
        self,
        call_id: str,
        code: str,
        purpose: FeatureCodePurpose,
        rule: str = "",
        done: Done | None = None,
    ) -> None:
        """Follow `call_id` (about to be dialled); `done` gets the final report."""
        entry = _Watch(call_id, code, purpose, rule, done)
        with self._lock:
            self._watched[call_id] = entry
            self._arm(entry, self._answer_limit_s)
        self._bus.publish(self._report(entry, FeatureCodeOutcome.DIALLING))

    def not_dialled(self, call_id: str, error: ErrorKey) -> None:
        """The dial failed: report it with the dial's own error key (e.g. not_registered)."""
        with self._lock:
            entry = self._watched.pop(call_id, None)
            if entry is not None and entry.timer is not None:
                entry.timer.cancel()
        if entry is not None:
            self._publish_final(
                entry, self._report(entry, FeatureCodeOutcome.NOT_DIALLED, error=error)
            )

    def forget(self, call_id: str) -> None:
        """Stop following a call without a report (its dial error went back in the ack)."""
        with self._lock:
            entry = self._watched.pop(call_id, None)
            if entry is not None and entry.timer is not None:
                entry.timer.cancel()

    def _on_call(self, event: CallChanged) -> None:
        call = event.call
        with self._lock:
            entry = self._watched.get(call.id)
            if entry is None:
                return
            outcome = judge(call, entry.purpose)
            if outcome is None:
                if call.connected_at is not None and not entry.answered:
                    entry.answered = True  # now the PBX should speak, then hang up
                    self._arm(entry, self._announcement_limit_s)
                return
        self._finish(call.id, outcome, call.sip_code)

    def _finish(
        self, call_id: str, outcome: FeatureCodeOutcome, sip_code: int | None = None
    ) -> None:
        with self._lock:
            entry = self._watched.pop(call_id, None)
            if entry is None:
                return
            if entry.timer is not None:
                entry.timer.cancel()
        self._publish_final(entry, self._report(entry, outcome, sip_code=sip_code))

    def _publish_final(self, entry: _Watch, report: FeatureCodeReported) -> None:
        log.info(
            "feature code %s (%s): %s, SIP %s",
            entry.code, entry.purpose.value, report.outcome.value, report.sip_code,
        )  # fmt: skip
        if entry.done is not None:
            try:
                entry.done(report)  # state first: the message must not precede the top bar
            except Exception:
                log.exception("feature code follow-up failed")
        self._bus.publish(report)

    def _arm(self, entry: _Watch, seconds: float) -> None:
        """(Re)start the deadline of `entry`; the lock is held."""
        if entry.timer is not None:
            entry.timer.cancel()
        entry.timer = threading.Timer(seconds, self._expire, args=(entry.call_id,))
        entry.timer.name = "feature-code-deadline"
        entry.timer.daemon = True
        entry.timer.start()

    def _expire(self, call_id: str) -> None:
        if not self.is_watched(call_id):
            return
        log.info("feature code call %s open too long: hanging up", call_id)
        try:
            self._hangup(call_id)  # its end (hangup_local) reports "unconfirmed"
        except SoftphoneError:
            self._finish(call_id, FeatureCodeOutcome.UNCONFIRMED)

    def close(self) -> None:
        with self._lock:
            for entry in self._watched.values():
                if entry.timer is not None:
                    entry.timer.cancel()
            self._watched.clear()

    @staticmethod
    def _report(
        entry: _Watch,
        outcome: FeatureCodeOutcome,
        *,
        sip_code: int | None = None,
        error: ErrorKey | None = None,
    ) -> FeatureCodeReported:
        return FeatureCodeReported(
            call_id=entry.call_id,
            code=entry.code,
            purpose=entry.purpose,
            rule=entry.rule,
            outcome=outcome,
            sip_code=sip_code,
            error=error or error_for(outcome),
        )
