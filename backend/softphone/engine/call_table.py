"""The engine's calls by app id: lookup, how each is reported, and their release in time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from softphone.domain.calls import CallState, EndReason
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event
from softphone.engine import mapping
from softphone.engine.call_record import CallRecord
from softphone.engine.pj_adapters import CallCallbacks, PjAccount, PjCall

# A new pj.Call wrapper reporting to the engine: (account, app id, pjsua call id or -1).
NewCall = Callable[[PjAccount, str, int], PjCall]


class CallFactory(Protocol):
    """Makes a pj.Call wrapper (`PjCall`; unit tests pass a fake of pjsua2's Call)."""

    def __call__(
        self, engine: CallCallbacks, account: PjAccount, app_id: str, pj_call_id: int = -1
    ) -> PjCall: ...


class CallTable:
    """Owns every call's record; an ended call's pj.Call goes on the owning thread's next turn."""

    def __init__(self, emit: Callable[[Event], None], account: Callable[[], PjAccount | None]):
        self._emit = emit
        self._account = account
        self._records: dict[str, CallRecord] = {}
        self._graveyard: list[CallRecord] = []  # released on the next loop turn
        self._before_report: list[Callable[[CallRecord, CallState], None]] = []

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[CallRecord]:
        # A snapshot: a pjsua call made in the loop (hangup) may end a call synchronously.
        return iter(list(self._records.values()))

    def get(self, app_id: str) -> CallRecord | None:
        return self._records.get(app_id)

    def record(self, call_id: str) -> CallRecord:
        record = self._records.get(call_id)
        if record is None:
            raise SoftphoneError(ErrorKey.CALL_NOT_FOUND)
        return record

    def confirmed(self, call_id: str) -> CallRecord:
        """The call, if it was ever connected (hold, DTMF, transfer, conference need that)."""
        record = self.record(call_id)
        if not record.was_connected:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        return record

    def add(self, record: CallRecord) -> None:
        self._records[record.call.app_id] = record

    def drop(self, record: CallRecord) -> None:
        """Forget the call now; its pj.Call is deleted by the next `release_ended`."""
        del self._records[record.call.app_id]
        self._graveyard.append(record)

    def release_ended(self) -> None:
        # pj.Call wrappers must die right after DISCONNECTED, on this thread: a late release
        # hangs up whichever new call reuses the id (docs/pjsua2-facts.md).
        while self._graveyard:
            record = self._graveyard.pop()
            record.media.release()
            del record.call

    def release_all(self) -> None:
        self.release_ended()
        for record in self._records.values():
            record.media.release()
        self._records.clear()

    # --- reporting --------------------------------------------------------------------------

    def before_report(self, listener: Callable[[CallRecord, CallState], None]) -> None:
        """`listener` sees every state reported, just before the app does."""
        self._before_report.append(listener)

    def report(
        self,
        record: CallRecord,
        state: CallState,
        code: int | None = None,
        reason: EndReason | None = None,
    ) -> None:
        if reason is EndReason.FAILED and code in (401, 407) and self._foreign(record):
            # pjsip had no credential for the challenge's realm: nothing was sent to it.
            reason = EndReason.FOREIGN_REALM
        for listener in self._before_report:
            listener(record, state)
        self._emit(record.reported(state, code, reason))

    def report_current(self, record: CallRecord) -> None:
        """Report the call's state as the stack has it now (after a mute, hold or mix change)."""
        info = record.call.getInfo()
        state = mapping.call_state(int(info.state), record.direction)
        if state is not CallState.ENDED:
            self.report(record, shown_state(record, state))

    def _foreign(self, record: CallRecord) -> bool:
        account = self._account()
        auth = account.auth if account is not None else None
        realms = record.call.challenge_realms
        return bool(realms) and (auth is None or not any(auth.is_ours(r) for r in realms))


def shown_state(record: CallRecord, state: CallState) -> CallState:
    """A connected call the stack reports held is shown held."""
    return CallState.HELD if state is CallState.CONNECTED and record.held else state
