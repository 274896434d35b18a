"""Thin pjsua2 subclasses: read what the stack says, hand it to the engine, return."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pjsua2 as pj

from softphone.domain.account import AccountConfig, DtmfMethod, SrtpMode
from softphone.domain.dialing import challenge_realms
from softphone.domain.refusal import Refusal, parse_refusal
from softphone.engine.auth import AccountAuth

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _contained(callback: F) -> F:
    """An exception must not unwind into pjsip's C stack (and its traceback would keep pj
    objects alive past libDestroy): log it and return."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception:
            log.exception("pjsua2 callback %s failed", callback.__name__)
            return None

    return wrapper  # type: ignore[return-value]


class EngineCallbacks(Protocol):
    """What the account reports to; implemented by `softphone.engine.account.EngineAccount`."""

    def on_reg_state(self, code: int, active: bool) -> None: ...
    def on_reg_challenge(self, realms: list[str]) -> bool: ...
    def on_incoming_call(self, pj_call_id: int, whole_msg: str) -> None: ...
    def on_mwi_info(self, whole_msg: str) -> None: ...


class CallCallbacks(Protocol):
    """What calls report to; implemented by `softphone.engine.calls.EngineCalls`."""

    def on_call_state(self, call: PjCall) -> None: ...
    def on_call_media_state(self, call: PjCall) -> None: ...
    def on_call_transfer_status(self, call: PjCall, code: int, final: bool) -> bool: ...
    def on_info_answered(self, call: PjCall) -> None: ...
    def on_transfer_request(self, call: PjCall, target: str) -> PjCall | int: ...
    def on_replace_request(self, call: PjCall, whole_msg: str) -> PjCall | None: ...
    def on_replaced(self, call: PjCall, new_call: PjCall | None) -> None: ...
    def on_redirected(self, call: PjCall, target: str, code: int) -> int: ...


class PjAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, engine: EngineCallbacks) -> None:
        super().__init__()
        self._engine = engine
        self.last_reason = ""
        self.srtp: SrtpMode | None = None  # the account's SRTP mode, to explain a 488
        self.dtmf_method = DtmfMethod.RFC4733  # how _send_dtmf sends digits on its calls
        self.config: AccountConfig | None = None  # the dialling rule and the PBX's address
        self.auth: AccountAuth | None = None  # the realm its credentials answer
        # The config pjsua was last given: BLF's own presence subscriptions (no pjsua buddy)
        # take the same route set and credentials from it.
        self.pj_config: pj.AccountConfig | None = None

    def create(self, cfg: pj.AccountConfig, make_default: bool = False) -> None:
        self.pj_config = cfg
        super().create(cfg, make_default)

    def modify(self, cfg: pj.AccountConfig) -> None:
        self.pj_config = cfg
        super().modify(cfg)

    @_contained
    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802 (pjsua2 API)
        info = self.getInfo()
        self.last_reason = str(prm.reason)  # a TLS failure is named only here (code is 503)
        code = int(prm.code)
        if code in (401, 407):
            realms = challenge_realms(str(prm.rdata.wholeMsg))
            if self._engine.on_reg_challenge(realms):
                return  # signing in again with the realm the registrar named (or refused)
        self._engine.on_reg_state(code, bool(info.regIsActive))

    @_contained
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802
        self._engine.on_incoming_call(int(prm.callId), str(prm.rdata.wholeMsg))

    @_contained
    def onMwiInfo(self, prm: pj.OnMwiInfoParam) -> None:  # noqa: N802
        # Our message-summary subscription's NOTIFY, or an unsolicited one (pjsua's default).
        self._engine.on_mwi_info(str(prm.rdata.wholeMsg))


class PjCall(pj.Call):  # type: ignore[misc]
    """One pjsua call; `app_id` is the id the rest of the app knows it by."""

    def __init__(
        self, engine: CallCallbacks, account: PjAccount, app_id: str, pj_call_id: int = -1
    ) -> None:
        if pj_call_id >= 0:
            super().__init__(account, pj_call_id)
        else:
            super().__init__(account)
        self._engine = engine
        self.app_id = app_id
        self.challenge_realms: tuple[str, ...] = ()
        self.refusal = Refusal()  # what the final 3xx-6xx to our INVITE said (Reason, Retry-After)

    @_contained
    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802
        # A call refused with 401/407: the challenge's realms say whether it was ours (a
        # wrong password) or a foreign one pjsip found no credential for.
        if prm.e.type == pj.PJSIP_EVENT_TSX_STATE:
            tsx_event = prm.e.body.tsxState
            if tsx_event.type == pj.PJSIP_EVENT_RX_MSG and tsx_event.tsx.statusCode in (401, 407):
                self.challenge_realms = tuple(challenge_realms(str(tsx_event.src.rdata.wholeMsg)))
            elif (
                tsx_event.type == pj.PJSIP_EVENT_RX_MSG
                and tsx_event.tsx.statusCode >= 300
                and str(tsx_event.tsx.method) == "INVITE"
            ):
                self.refusal = parse_refusal(str(tsx_event.src.rdata.wholeMsg))
        self._engine.on_call_state(self)

    @_contained
    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        self._engine.on_call_media_state(self)

    @_contained
    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:  # noqa: N802
        prm.cont = self._engine.on_call_transfer_status(
            self, int(prm.statusCode), bool(prm.finalNotify)
        )

    @_contained
    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:  # noqa: N802
        # Being transferred (REFER). The new call needs a Call object of its own: reusing
        # this one made pjsua2 crash when the new call's peer hung up (docs/pjsua2-facts.md).
        outcome = self._engine.on_transfer_request(self, str(prm.dstUri))
        if isinstance(outcome, int):
            prm.statusCode = outcome
        else:
            prm.newCall = outcome

    @_contained
    def onCallReplaceRequest(self, prm: pj.OnCallReplaceRequestParam) -> None:  # noqa: N802
        # An INVITE with Replaces for this call (the far end's attended transfer, a pickup).
        new_call = self._engine.on_replace_request(self, str(prm.rdata.wholeMsg))
        if new_call is None:
            prm.statusCode = 403
        else:
            prm.newCall = new_call

    @_contained
    def onCallReplaced(self, prm: pj.OnCallReplacedParam) -> None:  # noqa: N802
        new_call = prm.newCall if isinstance(prm.newCall, PjCall) else None
        self._engine.on_replaced(self, new_call)

    def onCallRedirected(self, prm: pj.OnCallRedirectedParam) -> int:  # noqa: N802
        # Not @_contained: an exception must still answer (pjsua2's default is STOP as well).
        try:
            code = 0
            if prm.e.type == pj.PJSIP_EVENT_TSX_STATE:
                code = int(prm.e.body.tsxState.tsx.statusCode)
            return self._engine.on_redirected(self, str(prm.targetUri), code)
        except Exception:
            log.exception("pjsua2 callback onCallRedirected failed")
            return int(pj.PJSIP_REDIRECT_STOP)

    @_contained
    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:  # noqa: N802
        if prm.e.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        tsx = prm.e.body.tsxState.tsx
        # Only our own INFO getting its final answer matters (DTMF by SIP INFO is paced).
        if tsx.role == pj.PJSIP_ROLE_UAC and str(tsx.method) == "INFO" and tsx.statusCode >= 200:
            self._engine.on_info_answered(self)


class BuddyCallbacks(Protocol):
    """What buddies report to; implemented by `softphone.engine.blf.EngineBlf`."""

    def on_buddy_state(self, buddy: PjBuddy) -> None: ...


class PjBuddy(pj.Buddy):  # type: ignore[misc]
    """One monitored colleague (presence; the dialog subscription is added through ctypes)."""

    def __init__(self, blf: BuddyCallbacks, extension: str) -> None:
        super().__init__()
        self._blf = blf
        self.extension = extension
        self.released = False

    @_contained
    def onBuddyState(self) -> None:  # noqa: N802
        if not self.released:
            self._blf.on_buddy_state(self)

    def release(self) -> None:
        """Unsubscribe now, on the engine thread (the wrapper's deletion deletes the buddy)."""
        self.released = True
        try:
            if self.isValid():
                self.subscribePresence(False)
        except pj.Error:
            pass


class PjLogWriter(pj.LogWriter):  # type: ignore[misc]
    """Route pjsip's log into Python logging, up to `level`; `tap` sees every line (the
    message log at level 4 carries whole NOTIFY bodies, which BLF needs)."""

    def __init__(self, level: int = 3, tap: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.level = level
        self.tap = tap

    def write(self, entry: pj.LogEntry) -> None:
        msg = str(entry.msg)
        if self.tap is not None:
            try:
                self.tap(msg)
            except Exception:
                log.exception("log tap failed")
        if entry.level > self.level:
            return
        msg = msg.rstrip()
        if entry.level <= 1:
            log.error("%s", msg)
        elif entry.level <= 2:
            log.warning("%s", msg)
        else:
            log.debug("%s", msg)
