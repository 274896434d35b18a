"""What a user can do with calls; every UI (web, headset) goes through this one API."""

from __future__ import annotations

import uuid
from dataclasses import replace

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.account import RegistrationState
from softphone.domain.calls import CallAction, CallDirection, CallSnapshot, CallState, allowed
from softphone.domain.dialoginfo import PickupMethod, choose_pickup
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import AccountChanged, LineStateReported, SettingsChanged
from softphone.domain.feature_code_outcome import FeatureCodePurpose
from softphone.domain.feature_codes import ForwardingMode
from softphone.domain.numbers import dial_uri
from softphone.domain.policy import Forwarding
from softphone.domain.settings import Settings
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager
from softphone.phone.calls import CallRegistry
from softphone.phone.colleagues import Colleagues
from softphone.phone.feature_code_calls import FeatureCodeCalls

_DTMF = frozenset("0123456789*#ABCDabcd")
MAX_CALLS = 4  # compiled limit of the pjsua2 wheel (PJSUA_MAX_CALLS)
_TALKING = (CallState.CONNECTED, CallState.HELD)


class Phone:
    """Checks that an action makes sense now, then asks the engine; never trusts the caller.

    Policy: only one call talks at a time. Dialing, answering or resuming a call first puts
    every other connected call on hold.
    """

    def __init__(
        self,
        engine: EngineSupervisor,
        accounts: AccountManager,
        calls: CallRegistry,
        bus: EventBus | None = None,
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._calls = calls
        self._policy: cmd.SetIncomingPolicy | None = None
        self._colleagues = Colleagues(engine, accounts, bus)
        self._settings = Settings()  # until the app applies the stored ones
        # Set by the app: follows pickup-code calls and reports the PBX's answer.
        self.feature_code_calls: FeatureCodeCalls | None = None
        if bus is not None:
            bus.subscribe(SettingsChanged, self._on_settings_changed)
            # Forwarding targets become URIs on the account's domain: redo them on a change.
            bus.subscribe(AccountChanged, lambda _e: self.apply_settings(self._settings))

    def dial(self, number: str, call_id: str | None = None) -> str:
        """Call `number`; `call_id` lets a caller follow the call before it exists."""
        account = self._accounts.account
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        uri = dial_uri(number, account.domain)
        if self._accounts.registration.state is not RegistrationState.REGISTERED:
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        if len(self._calls.snapshots()) >= MAX_CALLS:
            raise SoftphoneError(ErrorKey.TOO_MANY_CALLS)
        self._hold_others(None)
        call_id = call_id or uuid.uuid4().hex
        self._engine.request(cmd.MakeCall, call_id=call_id, uri=uri)
        return call_id

    def answer(self, call_id: str) -> None:
        self._expect(call_id, CallState.RINGING_IN)
        self._hold_others(call_id)
        self._engine.request(cmd.AnswerCall, call_id=call_id)

    def reject(self, call_id: str) -> None:
        self._expect(call_id, CallState.RINGING_IN)
        self._engine.request(cmd.RejectCall, call_id=call_id)

    def hangup(self, call_id: str) -> None:
        call = self._call(call_id)
        if call.state is CallState.RINGING_IN and call.direction is CallDirection.INCOMING:
            self._engine.request(cmd.RejectCall, call_id=call_id)
            return
        self._engine.request(cmd.HangupCall, call_id=call_id)

    def send_dtmf(self, call_id: str, digits: str) -> None:
        if not digits or len(digits) > 32 or not set(digits) <= _DTMF:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "digits")
        self._expect_action(call_id, CallAction.DTMF)
        self._engine.request(cmd.SendDtmf, call_id=call_id, digits=digits)

    def hold(self, call_id: str) -> None:
        self._expect_action(call_id, CallAction.HOLD)
        self._engine.request(cmd.HoldCall, call_id=call_id)

    def resume(self, call_id: str) -> None:
        """Take a held call back; the call talking until now goes on hold first."""
        self._expect_action(call_id, CallAction.RESUME)
        self._hold_others(call_id)
        self._engine.request(cmd.ResumeCall, call_id=call_id)

    def set_mute(self, call_id: str, muted: bool) -> None:
        self._expect_action(call_id, CallAction.MUTE)
        self._engine.request(cmd.SetMute, call_id=call_id, muted=muted)

    def transfer(self, call_id: str, target: str) -> None:
        """Blind transfer of a connected or held call to a number (or SIP URI)."""
        account = self._accounts.account
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        uri = dial_uri(target, account.domain)
        self._expect_action(call_id, CallAction.TRANSFER)
        self._engine.request(cmd.TransferCall, call_id=call_id, uri=uri)

    def transfer_attended(self, call_id: str, to_call_id: str) -> None:
        """Connect the peer of `call_id` with the peer of `to_call_id`; both leave us."""
        if call_id == to_call_id:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "to_call_id")
        self._expect_action(call_id, CallAction.TRANSFER)
        self._expect_action(to_call_id, CallAction.TRANSFER)
        self._engine.request(cmd.TransferAttended, call_id=call_id, to_call_id=to_call_id)

    def conference(self) -> None:
        """Mix every connected and held call together (held ones are resumed)."""
        members = tuple(c.id for c in self._calls.snapshots() if c.state in _TALKING)
        if len(members) < 2:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        self._engine.request(cmd.StartConference, call_ids=members)

    def apply_incoming_policy(
        self, call_waiting: bool, *, dnd: bool = False, forwarding: Forwarding | None = None
    ) -> None:
        """Tell the engine how to treat a new call (it decides per INVITE): call waiting,
        do-not-disturb and client-side forwarding (targets as typed; sent as SIP URIs)."""
        rules = forwarding or Forwarding()
        account = self._accounts.account
        domain = account.domain if account is not None else ""
        command = cmd.SetIncomingPolicy(
            call_waiting=call_waiting,
            dnd=dnd,
            forwarding=replace(
                rules,
                unconditional_to=_target_uri(rules.unconditional_to, domain),
                busy_to=_target_uri(rules.busy_to, domain),
                no_answer_to=_target_uri(rules.no_answer_to, domain),
            ),
        )
        if command != self._policy:
            self._policy = command
            self._engine.send(command)

    def apply_settings(self, settings: Settings) -> None:
        """Apply the incoming-call part of the settings: BLF panel, call waiting, DND and
        forwarding."""
        self._settings = settings
        codes = settings.feature_codes
        self._colleagues.apply(settings.blf_users, pickup_code=bool(codes.pickup_prefix))
        pbx_forwards = codes.forwarding_mode is ForwardingMode.PBX
        self.apply_incoming_policy(
            settings.call_waiting,
            dnd=settings.dnd,
            # PBX mode: the PBX forwards (feature codes, PbxForwarding); no 302 from us too.
            forwarding=None if pbx_forwards else settings.forwarding,
        )

    def _on_settings_changed(self, event: SettingsChanged) -> None:
        self.apply_settings(event.settings)

    def line_states(self) -> list[LineStateReported]:
        return self._colleagues.states()

    def pickup(self, extension: str) -> str:
        """Take the call ringing for a monitored colleague (directed pickup)."""
        prefix = self._settings.feature_codes.pickup_prefix
        replaces = self._colleagues.replaces_known(extension)
        if choose_pickup(replaces, prefix) is PickupMethod.FEATURE_CODE:
            # The ringing call's dialog is not named (Asterisk-style dialog-info), or not
            # known here: the PBX does the pickup for its code (e.g. **201). A call followed so
            # that a refusal (404, 403...) is reported as "the PBX refused the pickup code".
            return self._dial_feature_code(prefix + extension)
        if self._accounts.registration.state is not RegistrationState.REGISTERED:
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        if len(self._calls.snapshots()) >= MAX_CALLS:
            raise SoftphoneError(ErrorKey.TOO_MANY_CALLS)
        self._hold_others(None)
        call_id = uuid.uuid4().hex
        self._engine.request(cmd.PickupCall, call_id=call_id, extension=extension)
        return call_id

    def _dial_feature_code(self, code: str) -> str:
        watch = self.feature_code_calls
        call_id = uuid.uuid4().hex
        if watch is not None:
            watch.watch(call_id, code, FeatureCodePurpose.PICKUP)
        try:
            return self.dial(code, call_id=call_id)
        except SoftphoneError:
            if watch is not None:
                watch.forget(call_id)  # the ack carries the error
            raise

    def _hold_others(self, keep: str | None) -> None:
        for other in self._calls.snapshots():
            if other.id != keep and other.state is CallState.CONNECTED:
                self._engine.request(cmd.HoldCall, call_id=other.id)

    def _call(self, call_id: str) -> CallSnapshot:
        call = self._calls.get(call_id)
        if call is None:
            raise SoftphoneError(ErrorKey.CALL_NOT_FOUND)
        return call

    def _expect_action(self, call_id: str, action: CallAction) -> CallSnapshot:
        call = self._call(call_id)
        if not allowed(action, call.state):
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        return call

    def _expect(self, call_id: str, *states: CallState) -> CallSnapshot:
        call = self._call(call_id)
        if call.state not in states:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        return call


def _target_uri(target: str, domain: str) -> str:
    """A forwarding target as a SIP URI; an invalid one (or no domain yet) forwards nowhere."""
    if not target or not domain:
        return ""
    try:
        return dial_uri(target, domain)
    except SoftphoneError:
        return ""
