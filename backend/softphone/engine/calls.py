"""The engine's calls: pjsua2 call commands and callbacks, on the engine thread only."""

from __future__ import annotations

import time
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.dialing import may_dial
from softphone.domain.dialoginfo import Dialog
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event
from softphone.domain.identity import parse_name_addr
from softphone.engine import mapping, tls
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallFactory, CallTable, shown_state
from softphone.engine.cancel_reasons import CancelReasons
from softphone.engine.conference import Conference
from softphone.engine.config import EngineConfig
from softphone.engine.deferred_answers import DeferredAnswers
from softphone.engine.dtmf import DtmfSender
from softphone.engine.forwarding import CallForwarding
from softphone.engine.hold_mute import HoldMute
from softphone.engine.incoming import IncomingCalls
from softphone.engine.media_budget import MediaBudget
from softphone.engine.pj_adapters import PjAccount, PjCall
from softphone.engine.router import CommandRouter
from softphone.engine.transfers import Transfers


class EngineCalls:
    """Owns every pj.Call wrapper and its media; deletes them on this thread, in time.

    The concerns live in their own modules (incoming policy, DTMF, hold and mute, conference,
    transfers, forwarding, deferred answers, the call table); this class wires them, takes
    the commands and pjsua2's callbacks, and follows each call from dialling to its end.
    """

    def __init__(
        self,
        ep: pj.Endpoint,
        config: EngineConfig,
        emit: Callable[[Event], None],
        account: Callable[[], PjAccount | None],
        ensure_clock: Callable[[], None],
        *,
        new_call: CallFactory = PjCall,
        clock: Callable[[], float] = time.monotonic,
        media_budget: MediaBudget | None = None,
    ) -> None:
        self._config = config
        self._media_budget = media_budget or MediaBudget(config.max_calls, clock)
        self._account = account
        self._call_factory = new_call
        self._table = CallTable(emit, account)
        self._deferred = DeferredAnswers(self._table)
        self._dtmf = DtmfSender(self._table, account, clock)
        self._hold_mute = HoldMute(ep, config, self._table, ensure_clock)
        self._conference = Conference(self._table, self._hold_mute)
        self._forwarding = CallForwarding(self._table, self._deferred, account, clock)
        self._incoming = IncomingCalls(
            self._table, self._deferred, self._forwarding, account, self._new_call
        )
        self._transfers = Transfers(
            self._table,
            self._deferred,
            account,
            self._new_call,
            config.max_calls,
            media_budget=self._media_budget,
            clock=clock,
        )
        self.cancels = CancelReasons()  # fed every received request by the engine's SIP guard

    def register(self, router: CommandRouter) -> None:
        router.register(cmd.MakeCall, self._make_call)
        router.register(cmd.AnswerCall, self._answer)
        router.register(cmd.RejectCall, self._reject)
        router.register(cmd.HangupCall, self._hangup)
        router.register(cmd.EndRingingCalls, self._end_ringing)
        router.register(cmd.SendDtmf, self._dtmf.send)
        router.register(cmd.HoldCall, self._hold_mute.hold)
        router.register(cmd.ResumeCall, self._hold_mute.resume)
        router.register(cmd.SetMute, self._hold_mute.set_mute)
        router.register(cmd.SetIncomingPolicy, self._incoming.set_policy)
        router.register(cmd.TransferCall, self._transfers.transfer)
        router.register(cmd.TransferAttended, self._transfers.transfer_attended)
        router.register(cmd.StartConference, self._conference.start)

    @property
    def media_budget(self) -> MediaBudget:
        return self._media_budget

    def __bool__(self) -> bool:
        return bool(self._table)

    def needs_audio(self) -> bool:
        """A call that has, or is about to have, sound: ringback, early media and the first
        words must not wait for the devices to open."""
        return any(
            r.media.audio is not None
            or r.direction is CallDirection.OUTGOING
            # Ringing in: open the devices now, so the first words after Answer are heard
            # (opening takes up to ~1.5 s through PulseAudio); not for calls being refused.
            or (r.direction is CallDirection.INCOMING and r.local_action is None)
            for r in self._table
        )

    def pj_calls(self) -> list[PjCall]:
        """The live pjsua2 calls (media statistics read them on this thread)."""
        return [record.call for record in self._table]

    @property
    def policy(self) -> cmd.SetIncomingPolicy:
        return self._incoming.policy

    def on_policy(self, listener: Callable[[cmd.SetIncomingPolicy], None]) -> None:
        """`listener` runs after every policy change (presence publishes DND)."""
        self._incoming.on_policy(listener)

    def _new_call(self, account: PjAccount, app_id: str, pj_call_id: int = -1) -> PjCall:
        return self._call_factory(self, account, app_id, pj_call_id)

    # --- commands ---------------------------------------------------------------------------

    def _make_call(
        self, command: cmd.MakeCall, headers: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, object]:
        account = self._account()
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        if len(self._table) >= self._config.max_calls:
            raise SoftphoneError(ErrorKey.TOO_MANY_CALLS)
        if account.config is None or not may_dial(command.uri, account.config):
            raise SoftphoneError(ErrorKey.FOREIGN_HOST)
        self._media_budget.start()  # pjsua gives the call its sockets in makeCall
        call = self._new_call(account, command.call_id)
        party = parse_name_addr(f"<{command.uri}>")
        record = CallRecord(call, CallDirection.OUTGOING, party.number, "", party.uri)
        self._table.add(record)
        prm = pj.CallOpParam(True)
        for name, value in headers:
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        try:
            call.makeCall(command.uri, prm)
        except pj.Error:
            self._table.drop(record)
            raise
        self._table.report(record, CallState.DIALING)
        return {"call_id": command.call_id}

    def pickup(self, call_id: str, uri: str, dialog: Dialog) -> dict[str, object]:
        """Directed pickup: INVITE the ringing call's caller, replacing its early dialog.

        Replaces is read by the caller's UA, so its to-tag is the caller's tag (the
        monitored user's remote tag) and its from-tag the ringing phone's (RFC 3891).
        """
        headers = (
            (
                "Replaces",
                f"{dialog.call_id};to-tag={dialog.remote_tag};"
                f"from-tag={dialog.local_tag};early-only",
            ),
            ("Require", "replaces"),
        )
        return self._make_call(cmd.MakeCall(call_id, uri), headers)

    def _answer(self, command: cmd.AnswerCall) -> None:
        record = self._table.record(command.call_id)
        prm = pj.CallOpParam(True)
        prm.statusCode = 200
        record.call.answer(prm)

    def _reject(self, command: cmd.RejectCall) -> None:
        record = self._table.record(command.call_id)
        if record.direction is not CallDirection.INCOMING or record.was_connected:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        record.local_action = EndReason.REJECTED
        prm = pj.CallOpParam(True)
        prm.statusCode = command.code
        record.call.hangup(prm)

    def _hangup(self, command: cmd.HangupCall) -> None:
        record = self._table.record(command.call_id)
        if record.local_action is None:
            record.local_action = EndReason.HANGUP_LOCAL
        record.call.hangup(pj.CallOpParam(True))

    def _end_ringing(self, command: cmd.EndRingingCalls) -> None:
        for record in self._table:
            if (
                record.direction is CallDirection.INCOMING
                and not record.was_connected
                and record.local_action is None  # not already being refused or answered
            ):
                prm = pj.CallOpParam(True)
                prm.statusCode = command.code
                # No local action: the call ends like one its caller gave up on (missed).
                record.call.hangup(prm)

    def hangup_all(self) -> None:
        for record in self._table:
            self._hangup(cmd.HangupCall(record.call.app_id))

    # --- callbacks (called by the adapters on this thread) ----------------------------------

    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None:
        self._incoming.on_incoming_call(pj_call_id, whole_msg)

    def on_call_state(self, call: PjCall) -> None:
        record = self._table.get(call.app_id)
        if record is None:
            return
        info = call.getInfo()
        state = mapping.call_state(int(info.state), record.direction)
        code = int(info.lastStatusCode)
        if state is CallState.CONNECTED:
            record.was_connected = True
        if state is CallState.CONNECTING:
            record.answered = True
        if (
            state is CallState.ENDED
            and record.ring_pending
            and self._incoming.ended_unshown(record, code)
        ):
            return
        if state is CallState.ENDED:
            self._ended(record, code, str(info.callIdString))
            return
        if self._incoming.being_refused(record):
            return  # being refused: the UI only ever sees it ended
        if state is not CallState.RINGING_IN:
            record.forward_at = 0.0  # answered (or answering): no-answer forwarding is off
        record.ring_pending = False
        self._table.report(record, shown_state(record, state), code)

    def _ended(self, record: CallRecord, code: int, sip_call_id: str) -> None:
        if record.being_replaced and record.local_action is None:
            record.local_action = EndReason.TRANSFERRED
        if record.redirect_refused and record.local_action is None:
            record.local_action = EndReason.REDIRECT_REFUSED
            code = record.redirect_refused
        reason = mapping.end_reason(
            code,
            record.direction,
            record.was_connected or record.answered,
            record.local_action,
            answered_elsewhere=self.cancels.answered_elsewhere(sip_call_id),
        )
        account = self._account()
        reason = tls.end_reason(reason, code, account.srtp if account else None)
        self._table.drop(record)
        self._table.report(record, CallState.ENDED, code, reason)
        self._conference.after_member_left(record)

    def on_call_media_state(self, call: PjCall) -> None:
        record = self._hold_mute.on_media_state(call)
        if record is None:
            return
        if record.conference:
            self._conference.link()
        if record.was_connected:
            self._table.report_current(record)

    def on_call_transfer_status(self, call: PjCall, code: int, final: bool) -> bool:
        """Returns whether pjsua should keep reporting the transfer's progress."""
        return self._transfers.on_transfer_status(call, code, final)

    def on_transfer_request(self, call: PjCall, target: str) -> PjCall | int:
        return self._transfers.on_transfer_request(call, target)

    def on_replace_request(self, call: PjCall, whole_msg: str) -> PjCall | None:
        return self._transfers.on_replace_request(call, whole_msg)

    def on_replaced(self, call: PjCall, new_call: PjCall | None) -> None:
        self._transfers.on_replaced(call)

    def on_redirected(self, call: PjCall, target: str, code: int) -> int:
        return self._forwarding.on_redirected(call, target, code)

    def on_info_answered(self, call: PjCall) -> None:
        self._dtmf.on_info_answered(call)

    # --- loop housekeeping ------------------------------------------------------------------

    def after_events(self) -> None:
        """Run on every loop turn: deferred final answers, then release ended calls."""
        self._forwarding.forward_unanswered()
        self._dtmf.unstall()
        self._transfers.drop_unstarted()
        self._transfers.end_referred_calls()
        self._incoming.show_ringing()
        self._deferred.send()
        self._table.release_ended()

    def next_deadline(self) -> float | None:
        """The earliest timer of a call (no-answer forwarding, a referred call's end), on the
        monotonic clock, for the loop's poll."""
        deadlines = [self._forwarding.next_deadline(), self._transfers.next_deadline()]
        return min((d for d in deadlines if d is not None), default=None)

    def release_ended(self) -> None:
        self._table.release_ended()

    def release_all(self) -> None:
        self._table.release_all()
