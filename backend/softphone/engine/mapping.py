"""pjsua2 enums and status codes become domain values here, and only here."""

from __future__ import annotations

import errno

import pjsua2 as pj

from softphone.domain.account import Registration, RegistrationState
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.errors import ErrorKey

_AUTH_CODES = frozenset({401, 403, 407})
# pjlib status codes that mean "the stack refused: all call slots are in use".
PJ_ETOOMANY = 70010
# An OS error as pjlib reports it (PJ_STATUS_FROM_OS): a port still bound.
PJ_EADDRINUSE = 120000 + errno.EADDRINUSE


def call_state(inv_state: int, direction: CallDirection) -> CallState:
    """Map a pjsip invite-session state to ours (hold is decided from the media, later)."""
    if inv_state in (pj.PJSIP_INV_STATE_NULL, pj.PJSIP_INV_STATE_CALLING):
        return CallState.DIALING if direction is CallDirection.OUTGOING else CallState.RINGING_IN
    if inv_state == pj.PJSIP_INV_STATE_INCOMING:
        return CallState.RINGING_IN
    if inv_state == pj.PJSIP_INV_STATE_EARLY:
        return (
            CallState.RINGING_OUT if direction is CallDirection.OUTGOING else CallState.RINGING_IN
        )
    if inv_state == pj.PJSIP_INV_STATE_CONNECTING:
        return CallState.CONNECTING
    if inv_state == pj.PJSIP_INV_STATE_CONFIRMED:
        return CallState.CONNECTED
    return CallState.ENDED


def end_reason(
    code: int,
    direction: CallDirection,
    was_connected: bool,
    local_action: EndReason | None,
    *,
    answered_elsewhere: bool = False,
) -> EndReason:
    """Why a call ended, from the last SIP status and who acted.

    `answered_elsewhere`: the CANCEL that ended it carried a "completed elsewhere" Reason
    (another phone of a ring group, or the user's desk phone, took the call).
    """
    if local_action is not None:
        return local_action
    if was_connected:
        return EndReason.HANGUP_REMOTE
    if direction is CallDirection.INCOMING:
        if answered_elsewhere and code == 487:  # 487: a CANCEL really ended it
            return EndReason.ANSWERED_ELSEWHERE
        return EndReason.CANCELLED  # the caller gave up: missed
    if code in (486, 600):
        return EndReason.BUSY
    if code == 603:
        return EndReason.DECLINED
    if code in (404, 484, 604):
        return EndReason.NOT_FOUND
    if code in (408, 410, 480, 502, 503, 504):
        return EndReason.UNAVAILABLE
    if code == 487:
        return EndReason.CANCELLED
    return EndReason.FAILED


def registration(code: int, active: bool, unregistering: bool) -> Registration:
    """Turn a REGISTER outcome into our registration state and an error key."""
    if active and 200 <= code < 300:
        return Registration(RegistrationState.REGISTERED, code=code)
    if unregistering and 200 <= code < 300:
        return Registration(RegistrationState.UNREGISTERED, code=code)
    if code in _AUTH_CODES:
        return Registration(RegistrationState.FAILED, ErrorKey.AUTH_FAILED, code)
    return Registration(RegistrationState.FAILED, ErrorKey.SERVER_UNREACHABLE, code)
