"""Calls sent elsewhere: incoming ones forwarded when unanswered, ours following a 3xx."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain.calls import EndReason
from softphone.domain.dialing import may_dial, strip_uri_headers
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable
from softphone.engine.deferred_answers import DeferredAnswers
from softphone.engine.pj_adapters import PjAccount, PjCall

log = logging.getLogger(__name__)

_MAX_REDIRECTS = 3  # 3xx targets one call follows at most (a redirect loop ends there)


class CallForwarding:
    """No-answer forwarding deadlines (answered with a 302) and the redirects we follow."""

    def __init__(
        self,
        table: CallTable,
        deferred: DeferredAnswers,
        account: Callable[[], PjAccount | None],
        clock: Callable[[], float],
    ) -> None:
        self._table = table
        self._deferred = deferred
        self._account = account
        self._clock = clock

    def forward_later(self, record: CallRecord, target: str, after_s: float) -> None:
        """Ring now; send the caller to `target` if the call is not answered in `after_s`."""
        record.forward_to = target
        record.forward_at = self._clock() + after_s

    def forward_unanswered(self) -> None:
        """Run on every loop turn: calls whose deadline passed get their 302 (next turn)."""
        now = self._clock()
        for record in self._table:
            if record.forward_at and now >= record.forward_at and not record.was_connected:
                record.forward_at = 0.0
                record.local_action = EndReason.FORWARDED
                self._deferred.hang_up(record.call.app_id, 302, record.forward_to)

    def next_deadline(self) -> float | None:
        """The earliest no-answer forwarding deadline (monotonic), for the loop's poll."""
        deadlines = [r.forward_at for r in self._table if r.forward_at]
        return min(deadlines) if deadlines else None

    def on_redirected(self, call: PjCall, target: str, code: int) -> int:
        """A 3xx to our call: follow its target (through the PBX, as every request goes) only
        where the dialling rule lets the user call it, a few times at most; else stop."""
        record = self._table.get(call.app_id)
        account = self._account()
        allowed = (
            record is not None
            and account is not None
            and account.config is not None
            and record.redirects < _MAX_REDIRECTS
            and may_dial(target, account.config)
        )
        if record is None or not allowed:
            log.warning("redirect of %s to %r not followed", call.app_id, target[:200])
            if record is not None:
                # pjsua ends the call with 487 as if we had cancelled it: say what happened.
                record.redirect_refused = code if 300 <= code < 400 else 302
            return int(pj.PJSIP_REDIRECT_STOP)
        record.redirects += 1
        log.info("%s redirected (%d) to %s", call.app_id, code, strip_uri_headers(target)[:200])
        return int(pj.PJSIP_REDIRECT_ACCEPT)
