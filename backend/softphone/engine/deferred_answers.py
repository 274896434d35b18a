"""Final answers and hang-ups decided inside a pjsua callback, sent on the loop's next turn."""

from __future__ import annotations

import logging

import pjsua2 as pj

from softphone.engine.call_table import CallTable

log = logging.getLogger(__name__)


class DeferredAnswers:
    """A final response from inside onIncomingCall aborted pjsua (docs/pjsua2-facts.md), and a
    hang-up from inside a transfer's subscription callback is no safer: both wait here."""

    def __init__(self, table: CallTable) -> None:
        self._table = table
        self._pending: list[tuple[str, int, str]] = []  # (app id, final code, 3xx Contact)

    def hang_up(self, app_id: str, code: int = 0, target: str = "") -> None:
        """End the call on the next turn: with `code` if it is unanswered (0: pjsua's choice),
        pointing the caller to `target` with a 3xx."""
        self._pending.append((app_id, code, target))

    def send(self) -> None:
        pending, self._pending = self._pending, []
        for app_id, code, target in pending:
            record = self._table.get(app_id)
            if record is None:
                continue
            prm = pj.CallOpParam(True)
            if code:
                prm.statusCode = code
            if target:
                # The caller's UA (or the PBX) follows the 302's Contact (docs/pjsua2-facts.md).
                header = pj.SipHeader()
                header.hName = "Contact"
                header.hValue = f"<{target}>"
                prm.txOption.headers.append(header)
            try:
                record.call.hangup(prm)
            except pj.Error as exc:
                log.warning("deferred hangup of %s failed: %s", app_id, exc.info())
