"""Incoming calls: the user's policy rings, refuses or forwards them; refusals never ring."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.identity import header_value, parse_name_addr
from softphone.domain.policy import Action, decide
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable, NewCall
from softphone.engine.deferred_answers import DeferredAnswers
from softphone.engine.forwarding import CallForwarding
from softphone.engine.pj_adapters import PjAccount

log = logging.getLogger(__name__)

# Refusals decided before ringing: the UI sees the call only once, ended.
_REFUSED_UNSEEN = frozenset({EndReason.BUSY_REFUSED, EndReason.REFUSED_DND, EndReason.FORWARDED})


class IncomingCalls:
    """The incoming-call policy (DND, call waiting, forwarding) and when a call is shown."""

    def __init__(
        self,
        table: CallTable,
        deferred: DeferredAnswers,
        forwarding: CallForwarding,
        account: Callable[[], PjAccount | None],
        new_call: NewCall,
    ) -> None:
        self._table = table
        self._deferred = deferred
        self._forwarding = forwarding
        self._account = account
        self._new_call = new_call
        self._policy = cmd.SetIncomingPolicy()
        self._on_policy: list[Callable[[cmd.SetIncomingPolicy], None]] = []

    @property
    def policy(self) -> cmd.SetIncomingPolicy:
        return self._policy

    def set_policy(self, command: cmd.SetIncomingPolicy) -> None:
        self._policy = command
        for listener in self._on_policy:
            listener(command)

    def on_policy(self, listener: Callable[[cmd.SetIncomingPolicy], None]) -> None:
        """`listener` runs after every policy change (presence publishes DND)."""
        self._on_policy.append(listener)

    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None:
        account = self._account()
        if account is None:
            return
        app_id = uuid.uuid4().hex
        call = self._new_call(account, app_id, pj_call_id)
        # Identity from the From header ourselves: pjsua truncates long display names into
        # "<-error: uri too long->" (docs/pjsua2-facts.md).
        party = parse_name_addr(header_value(whole_msg, "From", "f") or "")
        record = CallRecord(
            call, CallDirection.INCOMING, party.number, party.display_name, party.uri
        )
        policy = self._policy
        decision = decide(
            busy=bool(self._table),
            call_waiting=policy.call_waiting,
            dnd=policy.dnd,
            dnd_code=policy.dnd_code,
            forwarding=policy.forwarding,
        )
        self._table.add(record)
        if decision.action is not Action.RING:
            # Refused or redirected on the next loop turn, never reported as ringing: only
            # as ended.
            record.local_action = decision.reason
            self._deferred.hang_up(app_id, decision.code, decision.target)
            return
        if decision.ring_then_forward:
            self._forwarding.forward_later(
                record, decision.ring_then_forward, policy.forwarding.no_answer_s
            )
        prm = pj.CallOpParam(True)
        prm.statusCode = 180
        call.answer(prm)
        # pjsua2 may call onIncomingCall before its own checks of the INVITE and then refuse
        # it (422 Session Interval Too Small): shown now, it became a missed call. Shown on
        # the next loop turn instead, if it is still there.
        record.ring_pending = True

    def show_ringing(self) -> None:
        """Run on every loop turn: calls that rang on the last one are shown ringing now."""
        for record in self._table:
            if record.ring_pending:
                record.ring_pending = False
                self._table.report(record, CallState.RINGING_IN)

    def ended_unshown(self, record: CallRecord, code: int) -> bool:
        """A call ended before it was shown ringing: shown ringing now (its end follows), or
        forgotten if the stack refused it with 422. Returns whether it was forgotten."""
        record.ring_pending = False
        if code == 422:
            # Session interval below our Min-SE: the caller's UA calls again at once with
            # a longer one (RFC 4028). Not a call the user missed: never shown.
            log.info("incoming call %s refused by the stack (422)", record.call.app_id)
            self._table.drop(record)
            return True
        self._table.report(record, CallState.RINGING_IN)  # ended at once: shown as before
        return False

    @staticmethod
    def being_refused(record: CallRecord) -> bool:
        """Refused or forwarded by the policy: the UI only ever sees it ended."""
        return record.local_action in _REFUSED_UNSEEN
