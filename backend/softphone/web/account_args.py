"""Parsing of the advanced account.setup arguments (DTMF method, direct calls)."""

from __future__ import annotations

from softphone.domain.account import DtmfMethod
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.web.wire import Wire, arg_bool, arg_str


def dtmf_method(args: Wire) -> DtmfMethod:
    """`dtmf_method` of account.setup: rfc4733 (default) or sip_info."""
    text = arg_str(args, "dtmf_method", required=False, max_len=16) or DtmfMethod.RFC4733.value
    try:
        return DtmfMethod(text.lower())
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "dtmf_method") from exc


def allow_direct_calls(args: Wire) -> bool:
    """`allow_direct_calls` of account.setup: false unless given as JSON true."""
    return "allow_direct_calls" in args and arg_bool(args, "allow_direct_calls")
