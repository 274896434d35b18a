"""DTMF on a call: RFC 4733 events at once, or SIP INFO one digit per answered request."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.account import DtmfMethod
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable
from softphone.engine.pj_adapters import PjAccount, PjCall

log = logging.getLogger(__name__)

_INFO_ANSWER_S = 2.0  # how long a DTMF INFO may wait for its answer before the next goes


class DtmfSender:
    """Sends the digits of `SendDtmf` by the account's method; paces SIP INFO."""

    def __init__(
        self,
        table: CallTable,
        account: Callable[[], PjAccount | None],
        clock: Callable[[], float],
    ) -> None:
        self._table = table
        self._account = account
        self._clock = clock

    def send(self, command: cmd.SendDtmf) -> None:
        record = self._table.confirmed(command.call_id)
        account = self._account()
        if account is not None and account.dtmf_method is DtmfMethod.SIP_INFO:
            # Fallback for PBXs that drop RTP events: one INFO per digit (application/dtmf-relay),
            # the next only once the previous is answered: a proxy with several workers can
            # reorder back-to-back requests, and the far end then refuses the one with the
            # lower CSeq (500, RFC 3261 12.2.2): digits went missing that way (seen in CI).
            record.dtmf_queue += command.digits
            if not record.info_sent_at:
                self._send_next_info(record)
        else:
            record.call.dialDtmf(command.digits)

    def on_info_answered(self, call: PjCall) -> None:
        record = self._table.get(call.app_id)
        if record is not None and record.info_sent_at:
            self._send_next_info(record)

    def unstall(self) -> None:
        """Run on every loop turn: an INFO left unanswered too long no longer holds the rest."""
        now = self._clock()
        for record in self._table:
            if record.info_sent_at and now - record.info_sent_at > _INFO_ANSWER_S:
                self._send_next_info(record)

    def _send_next_info(self, record: CallRecord) -> None:
        record.info_sent_at = 0.0
        if not record.dtmf_queue:
            return
        digit, record.dtmf_queue = record.dtmf_queue[0], record.dtmf_queue[1:]
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        prm.digits = digit
        try:
            record.call.sendDtmf(prm)
        except pj.Error as exc:
            log.warning("DTMF INFO on %s failed: %s", record.call.app_id, exc.info())
            record.dtmf_queue = ""
            return
        record.info_sent_at = self._clock()
