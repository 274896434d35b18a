"""Transfers: ours (blind and attended REFER) and our peer's (its REFER, or an INVITE with
Replaces), each made call with a record of its own."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.dialing import may_dial, strip_uri_headers
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.identity import header_value, parse_name_addr
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable, NewCall
from softphone.engine.deferred_answers import DeferredAnswers
from softphone.engine.media_budget import MediaBudget
from softphone.engine.pj_adapters import PjAccount, PjCall

log = logging.getLogger(__name__)


# How long the referrer has to hang up the call it transferred us out of (it does as soon as
# our final NOTIFY reaches it: milliseconds), before we end it.
REFERRER_GRACE_S = 2.0


class Transfers:
    """Which call is being handed over to which, and when the old one is over."""

    def __init__(
        self,
        table: CallTable,
        deferred: DeferredAnswers,
        account: Callable[[], PjAccount | None],
        new_call: NewCall,
        max_calls: int,
        *,
        media_budget: MediaBudget,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._table = table
        self._media_budget = media_budget
        self._clock = clock
        # Calls we were transferred out of, and when we end them if the referrer has not.
        self._referrer_grace: dict[str, float] = {}
        self._deferred = deferred
        self._account = account
        self._new_call = new_call
        self._max_calls = max_calls
        table.before_report(self._after_transfer_state)

    # --- ours ---------------------------------------------------------------------------------

    def transfer(self, command: cmd.TransferCall) -> None:
        record = self._table.confirmed(command.call_id)
        record.transferring = True
        record.call.xfer(command.uri, pj.CallOpParam(True))

    def transfer_attended(self, command: cmd.TransferAttended) -> None:
        record = self._table.confirmed(command.call_id)
        target = self._table.confirmed(command.to_call_id)
        if record is target:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        record.transferring = True
        record.transfer_partner = target.call.app_id
        # The replaced peer hangs up on us as soon as the transferee's INVITE reaches it,
        # often before the REFER's final NOTIFY: mark it now, undo if the transfer fails.
        target.being_replaced = True
        try:
            record.call.xferReplaces(target.call, pj.CallOpParam(True))
        except pj.Error:
            target.being_replaced = record.transferring = False
            raise

    def on_transfer_status(self, call: PjCall, code: int, final: bool) -> bool:
        """Returns whether pjsua should keep reporting the transfer's progress."""
        record = self._table.get(call.app_id)
        if record is None or not record.transferring:
            return False
        log.info("transfer of %s: %s%s", call.app_id, code, " (final)" if final else "")
        partner = self._table.get(record.transfer_partner or "")
        # pjsua reports the REFER's acceptance as the first NOTIFY ("100 Trying"), not 202.
        # Blind: accepted is enough. Attended: wait until the replacing call is up (2xx).
        done = 200 <= code < 300 or (code < 300 and partner is None)
        if done:
            # The call is theirs now. Hang up on the next loop turn, not from inside the
            # subscription's callback.
            record.local_action = EndReason.TRANSFERRED
            self._deferred.hang_up(call.app_id)
            return False
        if code >= 300:
            record.transferring = False
            if partner is not None:
                partner.being_replaced = False
            return False
        return True

    # --- our peer's -------------------------------------------------------------------------

    def on_transfer_request(self, call: PjCall, target: str) -> PjCall | int:
        """A REFER from our peer: a new call (own record and wrapper) to `target`, or the
        status that refuses it. Targets obey the dialling rule of every outgoing call."""
        record = self._table.get(call.app_id)
        account = self._account()
        refusal = 0
        if record is None or account is None or account.config is None:
            refusal = 403
        elif call.getInfo().state != pj.PJSIP_INV_STATE_CONFIRMED:
            refusal = 403  # only an established call may be handed over
        elif not may_dial(target, account.config):
            refusal = 403
        elif len(self._table) >= self._max_calls or not self._media_budget.try_start():
            refusal = 503
        if refusal or record is None or account is None:
            log.warning("transfer request on %s to %r refused (%d)", call.app_id, target, refusal)
            return refusal or 403
        new_id = uuid.uuid4().hex
        party = parse_name_addr(f"<{strip_uri_headers(target)}>")
        new = CallRecord(
            self._new_call(account, new_id, -1),
            CallDirection.OUTGOING,
            party.number,
            "",
            party.uri,
        )
        new.transferred_by = record.number
        new.transfer_of = call.app_id
        self._table.add(new)
        log.info(
            "%s transferred by %s to %s: new call %s",
            call.app_id,
            record.number,
            party.number,
            new_id,
        )
        self._table.report(new, CallState.DIALING)
        return new.call

    def on_replace_request(self, call: PjCall, whole_msg: str) -> PjCall | None:
        """An INVITE with Replaces for `call`: the replacing call gets a record of its own."""
        record = self._table.get(call.app_id)
        account = self._account()
        if record is None or account is None:
            return None
        new_id = uuid.uuid4().hex
        party = parse_name_addr(header_value(whole_msg, "From", "f") or "")
        new = CallRecord(
            self._new_call(account, new_id, -1),
            CallDirection.INCOMING,
            party.number,
            party.display_name,
            party.uri,
        )
        new.transferred_by = record.number
        self._table.add(new)
        record.replaced_by = new_id
        log.info("%s replaced by a call from %s: new call %s", call.app_id, party.number, new_id)
        return new.call

    def on_replaced(self, call: PjCall) -> None:
        record = self._table.get(call.app_id)
        if record is not None and record.replaced_by and record.local_action is None:
            record.local_action = EndReason.TRANSFERRED  # pjsua ends it (BYE) right after
            new = self._table.get(record.replaced_by)
            if new is not None:
                self._table.report(new, CallState.CONNECTING)

    def _after_transfer_state(self, record: CallRecord, state: CallState) -> None:
        """The call a REFER made connected: the referring call is over. The referrer hangs it
        up once our final NOTIFY (200) reaches it (RFC 5589 6.1); we end it ourselves only if
        it has not after REFERRER_GRACE_S. Our BYE sent at once overtook that NOTIFY through
        the PBX now and then (Linphone then saw its call end, not its transfer succeed: a
        full test run). It failed: the referring call goes on."""
        if not record.transfer_of:
            return
        old = self._table.get(record.transfer_of)
        if old is None:
            return
        if state is CallState.CONNECTED and old.local_action is None:
            old.local_action = EndReason.TRANSFERRED
            self._referrer_grace[old.call.app_id] = self._clock() + REFERRER_GRACE_S
        if state is CallState.ENDED:
            record.transfer_of = ""

    def end_referred_calls(self) -> None:
        """Run on every loop turn: calls whose referrer did not hang up in time are ended."""
        now = self._clock()
        for app_id, due in list(self._referrer_grace.items()):
            if self._table.get(app_id) is None:
                del self._referrer_grace[app_id]  # the referrer hung up
            elif now >= due:
                del self._referrer_grace[app_id]
                self._deferred.hang_up(app_id)

    def next_deadline(self) -> float | None:
        """When a referred call is ended at the latest, for the loop's poll."""
        return min(self._referrer_grace.values(), default=None)

    def drop_unstarted(self) -> None:
        """Run on every loop turn: a REFER's call that pjsua could not start never got an id:
        it is over."""
        for record in self._table:
            if record.transfer_of and record.call.getId() < 0:
                self._table.drop(record)
                self._table.report(record, CallState.ENDED, None, EndReason.FAILED)
