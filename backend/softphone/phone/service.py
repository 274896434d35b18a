"""What a user can do with calls; every UI (web, headset) goes through this one API."""

from __future__ import annotations

import uuid

from softphone.domain import commands as cmd
from softphone.domain.account import RegistrationState
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.numbers import dial_uri
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager
from softphone.phone.calls import CallRegistry

_DTMF = frozenset("0123456789*#ABCDabcd")
MAX_CALLS = 4  # compiled limit of the pjsua2 wheel (PJSUA_MAX_CALLS)


class Phone:
    """Checks that an action makes sense now, then asks the engine; never trusts the caller."""

    def __init__(
        self, engine: EngineSupervisor, accounts: AccountManager, calls: CallRegistry
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._calls = calls

    def dial(self, number: str) -> str:
        account = self._accounts.account
        if account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        uri = dial_uri(number, account.domain)
        if self._accounts.registration.state is not RegistrationState.REGISTERED:
            raise SoftphoneError(ErrorKey.NOT_REGISTERED)
        if len(self._calls.snapshots()) >= MAX_CALLS:
            raise SoftphoneError(ErrorKey.TOO_MANY_CALLS)
        call_id = uuid.uuid4().hex
        self._engine.request(cmd.MakeCall, call_id=call_id, uri=uri)
        return call_id

    def answer(self, call_id: str) -> None:
        self._expect(call_id, CallState.RINGING_IN)
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
        self._expect(call_id, CallState.CONNECTED)
        self._engine.request(cmd.SendDtmf, call_id=call_id, digits=digits)

    def _call(self, call_id: str) -> CallSnapshot:
        call = self._calls.get(call_id)
        if call is None:
            raise SoftphoneError(ErrorKey.CALL_NOT_FOUND)
        return call

    def _expect(self, call_id: str, *states: CallState) -> CallSnapshot:
        call = self._call(call_id)
        if call.state not in states:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        return call
