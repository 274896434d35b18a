"""The engine's calls: pjsua2 call commands and callbacks, on the engine thread only."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.account import DtmfMethod
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.dialing import may_dial, strip_uri_headers
from softphone.domain.dialoginfo import Dialog
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event
from softphone.domain.identity import header_value, parse_name_addr
from softphone.domain.policy import Action, decide
from softphone.engine import mapping, tls
from softphone.engine.call_record import CallRecord
from softphone.engine.cancel_reasons import CancelReasons
from softphone.engine.config import EngineConfig
from softphone.engine.pj_adapters import PjAccount, PjCall
from softphone.engine.router import CommandRouter

log = logging.getLogger(__name__)

# Refusals decided before ringing: the UI sees the call only once, ended.
_REFUSED_UNSEEN = frozenset({EndReason.BUSY_REFUSED, EndReason.REFUSED_DND, EndReason.FORWARDED})

_MAX_REDIRECTS = 3  # 3xx targets one call follows at most (a redirect loop ends there)

_INFO_ANSWER_S = 2.0  # how long a DTMF INFO may wait for its answer before the next goes

_MEDIA_PRESENT = (
    pj.PJSUA_CALL_MEDIA_ACTIVE,
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
)


class EngineCalls:
    """Owns every pj.Call wrapper and its media; deletes them on this thread, in time."""

    def __init__(
        self,
        ep: pj.Endpoint,
        config: EngineConfig,
        emit: Callable[[Event], None],
        account: Callable[[], PjAccount | None],
        ensure_clock: Callable[[], None],
    ) -> None:
        self._ep = ep
        self._ensure_clock = ensure_clock
        self._config = config
        self._emit = emit
        self._account = account
        self._calls: dict[str, CallRecord] = {}
        self._graveyard: list[CallRecord] = []  # released on the next loop turn
        # Final answers and hang-ups decided inside a callback, sent on the next loop turn:
        # a final response from inside onIncomingCall aborted pjsua (PJSUA2-FACTS.md).
        # (app id, final code, 3xx Contact target)
        self._deferred: list[tuple[str, int, str]] = []
        self._policy = cmd.SetIncomingPolicy()
        self._on_policy: list[Callable[[cmd.SetIncomingPolicy], None]] = []
        self.cancels = CancelReasons()  # fed every received request by the engine's SIP guard

    def register(self, router: CommandRouter) -> None:
        router.register(cmd.MakeCall, self._make_call)
        router.register(cmd.AnswerCall, self._answer)
        router.register(cmd.RejectCall, self._reject)
        router.register(cmd.HangupCall, self._hangup)
        router.register(cmd.EndRingingCalls, self._end_ringing)
        router.register(cmd.SendDtmf, self._send_dtmf)
        router.register(cmd.HoldCall, self._hold)
        router.register(cmd.ResumeCall, self._resume)
        router.register(cmd.SetMute, self._set_mute)
        router.register(cmd.SetIncomingPolicy, self._set_policy)
        router.register(cmd.TransferCall, self._transfer)
        router.register(cmd.TransferAttended, self._transfer_attended)
        router.register(cmd.StartConference, self._conference)

    def __bool__(self) -> bool:
        return bool(self._calls)

    def needs_audio(self) -> bool:
        """A call that has, or is about to have, sound: ringback, early media and the first
        words must not wait for the devices to open."""
        return any(
            r.media.audio is not None
            or r.direction is CallDirection.OUTGOING
            # Ringing in: open the devices now, so the first words after Answer are heard
            # (opening takes up to ~1.5 s through PulseAudio); not for calls being refused.
            or (r.direction is CallDirection.INCOMING and r.local_action is None)
            for r in self._calls.values()
        )

    def pj_calls(self) -> list[PjCall]:
        """The live pjsua2 calls (media statistics read them on this thread)."""
        return [record.call for record in self._calls.values()]

    # --- commands ---------------------------------------------------------------------------

    def _record(self, call_id: str) -> CallRecord:
        record = self._calls.get(call_id)
        if record is None:
            raise SoftphoneError(ErrorKey.CALL_NOT_FOUND)
        return record

    def _make_call(
        self, command: cmd.MakeCall, headers: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, object]:
        account = self._account()
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        if len(self._calls) >= self._config.max_calls:
            raise SoftphoneError(ErrorKey.TOO_MANY_CALLS)
        if account.config is None or not may_dial(command.uri, account.config):
            raise SoftphoneError(ErrorKey.FOREIGN_HOST)
        call = PjCall(self, account, command.call_id)
        party = parse_name_addr(f"<{command.uri}>")
        record = CallRecord(call, CallDirection.OUTGOING, party.number, "", party.uri)
        self._calls[command.call_id] = record
        prm = pj.CallOpParam(True)
        for name, value in headers:
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        try:
            call.makeCall(command.uri, prm)
        except pj.Error:
            del self._calls[command.call_id]
            self._graveyard.append(record)
            raise
        self._report(record, CallState.DIALING)
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
        record = self._record(command.call_id)
        prm = pj.CallOpParam(True)
        prm.statusCode = 200
        record.call.answer(prm)

    def _reject(self, command: cmd.RejectCall) -> None:
        record = self._record(command.call_id)
        if record.direction is not CallDirection.INCOMING or record.was_connected:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        record.local_action = EndReason.REJECTED
        prm = pj.CallOpParam(True)
        prm.statusCode = command.code
        record.call.hangup(prm)

    def _hangup(self, command: cmd.HangupCall) -> None:
        record = self._record(command.call_id)
        if record.local_action is None:
            record.local_action = EndReason.HANGUP_LOCAL
        record.call.hangup(pj.CallOpParam(True))

    def _end_ringing(self, command: cmd.EndRingingCalls) -> None:
        for record in list(self._calls.values()):
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
        for call_id in list(self._calls):
            self._hangup(cmd.HangupCall(call_id))

    def _send_dtmf(self, command: cmd.SendDtmf) -> None:
        record = self._record(command.call_id)
        if not record.was_connected:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
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
        record.info_sent_at = time.monotonic()

    def on_info_answered(self, call: PjCall) -> None:
        record = self._calls.get(call.app_id)
        if record is not None and record.info_sent_at:
            self._send_next_info(record)

    def _confirmed(self, call_id: str) -> CallRecord:
        record = self._record(call_id)
        if not record.was_connected:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        return record

    def _hold(self, command: cmd.HoldCall) -> None:
        record = self._confirmed(command.call_id)
        self._reinvite(record, hold=True)

    def _resume(self, command: cmd.ResumeCall) -> None:
        record = self._confirmed(command.call_id)
        self._reinvite(record, hold=False)

    def _reinvite(self, record: CallRecord, *, hold: bool) -> None:
        was_wanted, record.hold_wanted = record.hold_wanted, hold
        prm = pj.CallOpParam(True)
        try:
            if hold:
                record.call.setHold(prm)
            else:
                prm.opt.flag = pj.PJSUA_CALL_UNHOLD  # a plain re-INVITE repeats the hold SDP
                record.call.reinvite(prm)
        except pj.Error as exc:
            # Typically another re-INVITE still in progress: the user may try again.
            record.hold_wanted = was_wanted
            log.info("%s refused by the stack: %s", "hold" if hold else "resume", exc.info())
            raise SoftphoneError(ErrorKey.INVALID_STATE) from exc

    def _set_mute(self, command: cmd.SetMute) -> None:
        record = self._record(command.call_id)
        was_muted, record.muted = record.muted, command.muted
        try:
            record.media.set_sending(self._ep, self._sending(record))
        except pj.Error:
            record.muted = was_muted
            raise
        self._report_current(record)

    def _set_policy(self, command: cmd.SetIncomingPolicy) -> None:
        self._policy = command
        for listener in self._on_policy:
            listener(command)

    def on_policy(self, listener: Callable[[cmd.SetIncomingPolicy], None]) -> None:
        """`listener` runs after every policy change (presence publishes DND)."""
        self._on_policy.append(listener)

    @property
    def policy(self) -> cmd.SetIncomingPolicy:
        return self._policy

    def _transfer(self, command: cmd.TransferCall) -> None:
        record = self._confirmed(command.call_id)
        record.transferring = True
        record.call.xfer(command.uri, pj.CallOpParam(True))

    def _transfer_attended(self, command: cmd.TransferAttended) -> None:
        record = self._confirmed(command.call_id)
        target = self._confirmed(command.to_call_id)
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

    def _conference(self, command: cmd.StartConference) -> None:
        members = [self._confirmed(call_id) for call_id in command.call_ids]
        if len(members) < 2:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        for record in members:
            record.conference = True
            if record.hold_wanted:
                self._resume(cmd.ResumeCall(record.call.app_id))
        self._link_conference()
        for record in members:
            self._report_current(record)

    def _link_conference(self) -> None:
        # A member on hold leaves the mix until resumed: its sendonly stream would otherwise
        # still carry the others' voices.
        members = [r for r in self._calls.values() if r.conference]
        for record in members:
            for other in members:
                if other is not record:
                    record.media.link(other.media, self._sending_allowed(record, other))

    # --- callbacks (called by the adapters on this thread) ----------------------------------

    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None:
        account = self._account()
        if account is None:
            return
        app_id = uuid.uuid4().hex
        call = PjCall(self, account, app_id, pj_call_id)
        # Identity from the From header ourselves: pjsua truncates long display names into
        # "<-error: uri too long->" (PJSUA2-FACTS.md).
        party = parse_name_addr(header_value(whole_msg, "From", "f") or "")
        record = CallRecord(
            call, CallDirection.INCOMING, party.number, party.display_name, party.uri
        )
        policy = self._policy
        decision = decide(
            busy=bool(self._calls),
            call_waiting=policy.call_waiting,
            dnd=policy.dnd,
            dnd_code=policy.dnd_code,
            forwarding=policy.forwarding,
        )
        self._calls[app_id] = record
        if decision.action is not Action.RING:
            # Refused or redirected on the next loop turn, never reported as ringing: only
            # as ended.
            record.local_action = decision.reason
            self._deferred.append((app_id, decision.code, decision.target))
            return
        if decision.ring_then_forward:
            record.forward_to = decision.ring_then_forward
            record.forward_at = time.monotonic() + policy.forwarding.no_answer_s
        prm = pj.CallOpParam(True)
        prm.statusCode = 180
        call.answer(prm)
        # pjsua2 may call onIncomingCall before its own checks of the INVITE and then refuse
        # it (422 Session Interval Too Small): shown now, it became a missed call. Shown on
        # the next loop turn instead, if it is still there.
        record.ring_pending = True

    def on_call_state(self, call: PjCall) -> None:
        record = self._calls.get(call.app_id)
        if record is None:
            return
        info = call.getInfo()
        state = mapping.call_state(int(info.state), record.direction)
        code = int(info.lastStatusCode)
        if state is CallState.CONNECTED:
            record.was_connected = True
        if state is CallState.CONNECTING:
            record.answered = True
        if state is CallState.ENDED and record.ring_pending:
            record.ring_pending = False
            if code == 422:
                # Session interval below our Min-SE: the caller's UA calls again at once with
                # a longer one (RFC 4028). Not a call the user missed: never shown.
                log.info("incoming call %s refused by the stack (422)", call.app_id)
                del self._calls[call.app_id]
                self._graveyard.append(record)
                return
            self._report(record, CallState.RINGING_IN)  # ended at once: shown as before
        if state is CallState.ENDED:
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
                answered_elsewhere=self.cancels.answered_elsewhere(str(info.callIdString)),
            )
            account = self._account()
            reason = tls.end_reason(reason, code, account.srtp if account else None)
            del self._calls[call.app_id]
            self._graveyard.append(record)
            self._report(record, state, code, reason)
            self._after_member_left(record)
            return
        if record.local_action in _REFUSED_UNSEEN:
            return  # being refused: the UI only ever sees it ended
        if state is not CallState.RINGING_IN:
            record.forward_at = 0.0  # answered (or answering): no-answer forwarding is off
        record.ring_pending = False
        self._report(record, self._shown_state(record, state), code)

    def on_call_media_state(self, call: PjCall) -> None:
        record = self._calls.get(call.app_id)
        if record is None:
            return
        # Keep `info` referenced while reading `info.media`: the vector lives inside it, and
        # `call.getInfo().media` read freed memory (garbage types and statuses).
        info = call.getInfo()
        audio = [
            (index, int(media.status))
            for index, media in enumerate(info.media)
            if media.type == pj.PJMEDIA_TYPE_AUDIO
        ]
        # Held is what the stack says: LOCAL_HOLD, or no media at all after we asked for hold
        # (both sides on hold: "inactive").
        record.held = any(
            status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
            or (status == pj.PJSUA_CALL_MEDIA_NONE and record.hold_wanted)
            for _, status in audio
        )
        if any(status in _MEDIA_PRESENT for _, status in audio):
            self._ensure_clock()
        for index, status in audio:
            # REMOTE_HOLD too: the peer's music on hold must still reach the speaker.
            if status in _MEDIA_PRESENT:
                # On hold the stream is sendonly and would still carry the microphone: the
                # mic -> call transmit is stopped so the peer hears silence.
                record.media.connect(
                    self._ep,
                    call.getAudioMedia(index),
                    call.app_id,
                    self._config.media_test,
                    sending=self._sending(record),
                )
        if record.conference:
            self._link_conference()
        if record.was_connected:
            self._report_current(record)

    def on_call_transfer_status(self, call: PjCall, code: int, final: bool) -> bool:
        """Returns whether pjsua should keep reporting the transfer's progress."""
        record = self._calls.get(call.app_id)
        if record is None or not record.transferring:
            return False
        log.info("transfer of %s: %s%s", call.app_id, code, " (final)" if final else "")
        partner = self._calls.get(record.transfer_partner or "")
        # pjsua reports the REFER's acceptance as the first NOTIFY ("100 Trying"), not 202.
        # Blind: accepted is enough. Attended: wait until the replacing call is up (2xx).
        done = 200 <= code < 300 or (code < 300 and partner is None)
        if done:
            # The call is theirs now. Hang up on the next loop turn, not from inside the
            # subscription's callback.
            record.local_action = EndReason.TRANSFERRED
            self._deferred.append((call.app_id, 0, ""))
            return False
        if code >= 300:
            record.transferring = False
            if partner is not None:
                partner.being_replaced = False
            return False
        return True

    def on_transfer_request(self, call: PjCall, target: str) -> PjCall | int:
        """A REFER from our peer: a new call (own record and wrapper) to `target`, or the
        status that refuses it. Targets obey the dialling rule of every outgoing call."""
        record = self._calls.get(call.app_id)
        account = self._account()
        refusal = 0
        if record is None or account is None or account.config is None:
            refusal = 403
        elif call.getInfo().state != pj.PJSIP_INV_STATE_CONFIRMED:
            refusal = 403  # only an established call may be handed over
        elif not may_dial(target, account.config):
            refusal = 403
        elif len(self._calls) >= self._config.max_calls:
            refusal = 503
        if refusal or record is None or account is None:
            log.warning("transfer request on %s to %r refused (%d)", call.app_id, target, refusal)
            return refusal or 403
        new_id = uuid.uuid4().hex
        party = parse_name_addr(f"<{strip_uri_headers(target)}>")
        new = CallRecord(
            PjCall(self, account, new_id), CallDirection.OUTGOING, party.number, "", party.uri
        )
        new.transferred_by = record.number
        new.transfer_of = call.app_id
        self._calls[new_id] = new
        log.info(
            "%s transferred by %s to %s: new call %s",
            call.app_id,
            record.number,
            party.number,
            new_id,
        )
        self._report(new, CallState.DIALING)
        return new.call

    def on_replace_request(self, call: PjCall, whole_msg: str) -> PjCall | None:
        """An INVITE with Replaces for `call`: the replacing call gets a record of its own."""
        record = self._calls.get(call.app_id)
        account = self._account()
        if record is None or account is None:
            return None
        new_id = uuid.uuid4().hex
        party = parse_name_addr(header_value(whole_msg, "From", "f") or "")
        new = CallRecord(
            PjCall(self, account, new_id),
            CallDirection.INCOMING,
            party.number,
            party.display_name,
            party.uri,
        )
        new.transferred_by = record.number
        self._calls[new_id] = new
        record.replaced_by = new_id
        log.info("%s replaced by a call from %s: new call %s", call.app_id, party.number, new_id)
        return new.call

    def on_redirected(self, call: PjCall, target: str, code: int) -> int:
        """A 3xx to our call: follow its target (through the PBX, as every request goes) only
        where the dialling rule lets the user call it, a few times at most; else stop."""
        record = self._calls.get(call.app_id)
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

    def on_replaced(self, call: PjCall, new_call: PjCall | None) -> None:
        record = self._calls.get(call.app_id)
        if record is not None and record.replaced_by and record.local_action is None:
            record.local_action = EndReason.TRANSFERRED  # pjsua ends it (BYE) right after
            new = self._calls.get(record.replaced_by)
            if new is not None:
                self._report(new, CallState.CONNECTING)

    def _after_transfer_state(self, record: CallRecord, state: CallState) -> None:
        """The call a REFER made connected: the referring call is over (the referrer would
        hang it up; we do not wait for it). It failed: the referring call goes on."""
        old = self._calls.get(record.transfer_of)
        if old is None:
            return
        if state is CallState.CONNECTED and old.local_action is None:
            old.local_action = EndReason.TRANSFERRED
            self._deferred.append((old.call.app_id, 0, ""))
        if state is CallState.ENDED:
            record.transfer_of = ""

    def _drop_unstarted_transfers(self) -> None:
        """A REFER's call that pjsua could not start never got an id: it is over."""
        for record in list(self._calls.values()):
            if record.transfer_of and record.call.getId() < 0:
                del self._calls[record.call.app_id]
                self._graveyard.append(record)
                self._report(record, CallState.ENDED, None, EndReason.FAILED)

    # --- loop housekeeping ------------------------------------------------------------------

    def after_events(self) -> None:
        """Run on every loop turn: deferred final answers, then release ended calls."""
        self._forward_unanswered()
        self._unstall_info()
        self._drop_unstarted_transfers()
        self._show_ringing()
        deferred, self._deferred = self._deferred, []
        for app_id, code, target in deferred:
            record = self._calls.get(app_id)
            if record is None:
                continue
            prm = pj.CallOpParam(True)
            if code:
                prm.statusCode = code
            if target:
                # The caller's UA (or the PBX) follows the 302's Contact (PJSUA2-FACTS.md).
                header = pj.SipHeader()
                header.hName = "Contact"
                header.hValue = f"<{target}>"
                prm.txOption.headers.append(header)
            try:
                record.call.hangup(prm)
            except pj.Error as exc:
                log.warning("deferred hangup of %s failed: %s", app_id, exc.info())
        self.release_ended()

    def _show_ringing(self) -> None:
        for record in self._calls.values():
            if record.ring_pending:
                record.ring_pending = False
                self._report(record, CallState.RINGING_IN)

    def _unstall_info(self) -> None:
        now = time.monotonic()
        for record in self._calls.values():
            if record.info_sent_at and now - record.info_sent_at > _INFO_ANSWER_S:
                self._send_next_info(record)  # no answer to the last INFO: go on regardless

    def _forward_unanswered(self) -> None:
        now = time.monotonic()
        for record in self._calls.values():
            if record.forward_at and now >= record.forward_at and not record.was_connected:
                record.forward_at = 0.0
                record.local_action = EndReason.FORWARDED
                self._deferred.append((record.call.app_id, 302, record.forward_to))

    def next_deadline(self) -> float | None:
        """The earliest no-answer forwarding deadline (monotonic), for the loop's poll."""
        deadlines = [r.forward_at for r in self._calls.values() if r.forward_at]
        return min(deadlines) if deadlines else None

    def release_ended(self) -> None:
        # pj.Call wrappers must die right after DISCONNECTED, on this thread: a late release
        # hangs up whichever new call reuses the id (PJSUA2-FACTS.md).
        while self._graveyard:
            record = self._graveyard.pop()
            record.media.release()
            del record.call

    def release_all(self) -> None:
        self.release_ended()
        for record in list(self._calls.values()):
            record.media.release()
        self._calls.clear()

    # --- reporting --------------------------------------------------------------------------

    def _sending(self, record: CallRecord) -> bool:
        return not record.muted and self._sending_allowed(record)

    @staticmethod
    def _sending_allowed(*records: CallRecord) -> bool:
        return not any(r.held or r.hold_wanted for r in records)

    def _shown_state(self, record: CallRecord, state: CallState) -> CallState:
        return CallState.HELD if state is CallState.CONNECTED and record.held else state

    def _after_member_left(self, record: CallRecord) -> None:
        if not record.conference:
            return
        members = [r for r in self._calls.values() if r.conference]
        if len(members) == 1:  # a conference of one is just a call again
            members[0].conference = False
            self._report_current(members[0])

    def _report_current(self, record: CallRecord) -> None:
        info = record.call.getInfo()
        state = mapping.call_state(int(info.state), record.direction)
        if state is not CallState.ENDED:
            self._report(record, self._shown_state(record, state))

    def _report(
        self,
        record: CallRecord,
        state: CallState,
        code: int | None = None,
        reason: EndReason | None = None,
    ) -> None:
        if reason is EndReason.FAILED and code in (401, 407) and self._foreign(record):
            # pjsip had no credential for the challenge's realm: nothing was sent to it.
            reason = EndReason.FOREIGN_REALM
        if record.transfer_of:
            self._after_transfer_state(record, state)
        self._emit(record.reported(state, code, reason))

    def _foreign(self, record: CallRecord) -> bool:
        account = self._account()
        auth = account.auth if account is not None else None
        realms = record.call.challenge_realms
        return bool(realms) and (auth is None or not any(auth.is_ours(r) for r in realms))
