"""A pjsip module that drops requests whose CSeq method is not their method (pjsip aborts)."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable

from softphone.engine.native import pjsua_library

log = logging.getLogger(__name__)

# Before the transaction layer (PJSIP_MOD_PRIORITY_TSX_LAYER = 16): pjsip 2.15.1 keys server
# transactions by the CSeq method, so `OPTIONS ... CSeq: 1 INVITE` with the branch of an
# INVITE whose rejection was ACKed reaches tsx_on_state_confirmed, which asserts the method
# is ACK or INVITE and aborts the engine (found by tests/integration/test_sip_fuzz.py).
# RFC 3261 8.1.1.5: the CSeq method MUST match the request's, so such a request is broken.
_PRIORITY = 15
_SCAN_WORDS = 8192  # pointer-sized words of pjsip_rx_data searched for msg_info.info
_PTR = ctypes.sizeof(ctypes.c_void_p)

_RxCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_Callback = ctypes.c_void_p  # module callbacks we leave NULL


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


class _PjsipModule(ctypes.Structure):
    """struct pjsip_module (pjsip/sip_module.h), unchanged since pjsip 1.x."""

    _fields_ = [
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", _PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", _Callback),
        ("start", _Callback),
        ("stop", _Callback),
        ("unload", _Callback),
        ("on_rx_request", _RxCallback),
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

    def __init__(self) -> None:
        self._lib = pjsua_library()
        self._lib.pjsip_rx_data_get_info.restype = ctypes.c_void_p
        self._lib.pjsip_rx_data_get_info.argtypes = [ctypes.c_void_p]
        self._lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        self._lib.pjsip_endpt_register_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._info_word = -1  # where msg_info.info sits in pjsip_rx_data, found on first use
        self._callback = _RxCallback(self._on_rx_request)  # kept: C holds the pointer
        self._name = b"mod-softphone-guard"
        self._module = _PjsipModule()
        self._module.name = _PjStr(self._name, len(self._name))
        self._module.id = -1
        self._module.priority = _PRIORITY
        self._module.on_rx_request = self._callback
        self.dropped = 0
        # Sees every request as received, before pjsua (refused_calls.RefusedInviteTap).
        self.observer: Callable[[bytes], None] | None = None

    def install(self) -> bool:
        endpt = self._lib.pjsua_get_pjsip_endpt()
        status = int(self._lib.pjsip_endpt_register_module(endpt, ctypes.byref(self._module)))
        if status != 0:
            log.warning("SIP guard not installed: pjsip status %s", status)
        return status == 0

    def _on_rx_request(self, rdata: int | None) -> int:
        try:
            message = self._message(rdata) if rdata else None
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

    def _message(self, rdata: int) -> bytes | None:
        """rdata->msg_info.msg_buf[:len], located from msg_info.info (an exported getter).

        msg_info starts {char *msg_buf; int len; pjsip_msg *msg; char *info; ...}: info is
        three words after msg_buf, and msg_buf points into the rdata's own packet buffer,
        which tells a real match from a chance one.
        """
        info = self._lib.pjsip_rx_data_get_info(ctypes.c_void_p(rdata))
        words = ctypes.cast(ctypes.c_void_p(rdata), ctypes.POINTER(ctypes.c_size_t))
        if self._info_word < 0:
            for index in range(3, _SCAN_WORDS):
                if words[index] == info and rdata < words[index - 3] < rdata + index * _PTR:
                    self._info_word = index
                    break
            else:
                log.warning("SIP guard: pjsip_rx_data layout not recognised; guard off")
                self._info_word = 0
        if self._info_word <= 0 or words[self._info_word] != info:
            return None
        msg_buf = words[self._info_word - 3]
        length = ctypes.cast(
            ctypes.c_void_p(rdata + (self._info_word - 2) * _PTR), ctypes.POINTER(ctypes.c_int)
        )[0]
        if not 0 < length <= 65536:
            return None
        return ctypes.string_at(msg_buf, length)
