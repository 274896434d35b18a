"""A pjsip module that drops requests whose CSeq method is not their method (pjsip aborts)."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any

from softphone.engine.native import pjsua_library
from softphone.engine.rx_data import RxDataReader

log = logging.getLogger(__name__)

# Before the transaction layer (PJSIP_MOD_PRIORITY_TSX_LAYER = 16): pjsip 2.15.1 keys server
# transactions by the CSeq method, so `OPTIONS ... CSeq: 1 INVITE` with the branch of an
# INVITE whose rejection was ACKed reaches tsx_on_state_confirmed, which asserts the method
# is ACK or INVITE and aborts the engine (found by tests/integration/test_sip_fuzz.py).
# RFC 3261 8.1.1.5: the CSeq method MUST match the request's, so such a request is broken.
_PRIORITY = 15

RxCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_Callback = ctypes.c_void_p  # module callbacks we leave NULL


class PjStr(ctypes.Structure):
    """pj_str_t: a pointer and a length (not NUL-terminated)."""

    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


class PjsipModule(ctypes.Structure):
    """struct pjsip_module (pjsip/sip_module.h), unchanged since pjsip 1.x."""

    _fields_ = [
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", _Callback),
        ("start", _Callback),
        ("stop", _Callback),
        ("unload", _Callback),
        ("on_rx_request", RxCallback),
        ("on_rx_response", _Callback),
        ("on_tx_request", _Callback),
        ("on_tx_response", _Callback),
        ("on_tsx_state", _Callback),
    ]


def method_mismatch(message: bytes) -> bool:
    """True when a request's CSeq method differs from its request-line method."""
    head = message.split(b"\r\n\r\n", 1)[0].split(b"\n")
    method = head[0].split(b" ", 1)[0].strip()
    for line in head[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"cseq":
            parts = value.split()
            return len(parts) == 2 and parts[1] != method
    return False  # no CSeq: pjsip refuses it itself


class SipGuard:
    """Registered once per engine process, on the engine thread, after libStart()."""

    def __init__(self, reader: RxDataReader) -> None:
        self._reader = reader
        self._callback = RxCallback(self._on_rx_request)  # kept: C holds the pointer
        self._module = make_module(b"mod-softphone-guard", _PRIORITY, self._callback)
        self.dropped = 0
        # Sees every request as received, before pjsua (refused_calls.RefusedInviteTap).
        self.observer: Callable[[bytes], None] | None = None

    def install(self) -> bool:
        return register_module(self._module)

    def _on_rx_request(self, rdata: int | None) -> int:
        try:
            message = self._reader.message(rdata) if rdata else None
        except Exception:  # never unwind into pjsip; the guard just steps aside
            log.exception("SIP guard could not read a request")
            message = None
        if message is not None and self.observer is not None:
            try:
                self.observer(message)
            except Exception:
                log.exception("SIP request observer failed")
        if message is None or not method_mismatch(message):
            return 0
        self.dropped += 1
        if self.dropped % 100 == 1:  # a flood must not flood the log too
            log.warning("dropped %d request(s) whose CSeq method is not their method", self.dropped)
        return 1  # consumed: no transaction ever sees it


def make_module(name: bytes, priority: int, on_rx_request: Any) -> PjsipModule:
    """A pjsip module seeing received requests; `name` and the callback must stay alive."""
    module = PjsipModule()
    module.name = PjStr(name, len(name))
    module.id = -1
    module.priority = priority
    module.on_rx_request = on_rx_request
    return module


def register_module(module: PjsipModule) -> bool:
    """Add `module` to pjsua's endpoint (engine thread, after libStart)."""
    lib = pjsua_library()
    lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
    lib.pjsip_endpt_register_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    endpt = lib.pjsua_get_pjsip_endpt()
    status = int(lib.pjsip_endpt_register_module(endpt, ctypes.byref(module)))
    if status != 0:
        name = ctypes.string_at(module.name.ptr, module.name.slen).decode()
        log.warning("pjsip module %s not installed: pjsip status %s", name, status)
    return status == 0
