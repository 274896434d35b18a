"""Only the PBX may send requests (403 to others), and every request nobody handled is answered."""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import time
from collections.abc import Callable

from softphone.engine.media_budget import MediaBudget
from softphone.engine.nat import interface_addresses
from softphone.engine.native import pjsua_library
from softphone.engine.pbx_addresses import PbxAddresses
from softphone.engine.rx_data import RxDataReader
from softphone.engine.sip_guard import PjStr, RxCallback, make_module, register_module
from softphone.engine.sip_head import RequestHead, parse_head, response_target
from softphone.engine.unheard_invites import UnheardInvites

log = logging.getLogger(__name__)

# Before the transaction layer (16), registered after SipGuard (same priority, so it runs
# after it): a refused request never creates a transaction, a dialog or a call, and is
# answered statelessly (an INVITE flood costs no call slot).
_FILTER_PRIORITY = 15
# After every pjsua module that takes requests (mod-pjsua, mod-pjsua-options, presence and
# MESSAGE modules are PJSIP_MOD_PRIORITY_APPLICATION = 64 in pjsip 2.15.1): what reaches
# this one was left unhandled, which pjsip would drop silently ("dropped/unhandled by any
# modules"), and the sender would retransmit it for 32 s.
_LAST_RESORT_PRIORITY = 96
_LOG_EVERY_S = 60.0  # one line per refused source per minute
_LOG_SOURCES = 1024  # sources remembered for that; a spoofed-source flood cannot grow it more
_OWN_ADDRESSES_S = 5.0  # how long the list of this computer's addresses is reused

_PJSIP_H_ALLOW = 4  # pjsip_hdr_e in pjsip/sip_msg.h (fixed: "DO NOT CHANGE")
_PJSIP_H_SUPPORTED = 36
_GENERIC_ARRAY_MAX = 32  # PJSIP_GENERIC_ARRAY_MAX_COUNT
# Requests pjsip checks Require on itself (INVITE: pjsip_inv_verify_request) or that must
# never be answered with 420 (ACK, CANCEL: RFC 3261 8.2.2.3).
_REQUIRE_CHECKED_ELSEWHERE = frozenset({"INVITE", "ACK", "CANCEL"})


class _Hdr(ctypes.Structure):
    """struct pjsip_hdr (PJSIP_DECL_HDR_MEMBER): a list node; here the list's head."""

    _fields_ = [
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("type", ctypes.c_int),
        ("name", PjStr),
        ("sname", PjStr),
        ("vptr", ctypes.c_void_p),
    ]


class _StringHdr(ctypes.Structure):
    """struct pjsip_generic_string_hdr."""

    _fields_ = [*_Hdr._fields_, ("hvalue", PjStr)]


class _RawStr(ctypes.Structure):
    """pj_str_t read from pjsip memory (a c_char_p would stop at the first NUL)."""

    _fields_ = [("ptr", ctypes.c_void_p), ("slen", ctypes.c_ssize_t)]


class _ArrayHdr(ctypes.Structure):
    """struct pjsip_generic_array_hdr (Allow, Supported capabilities of the endpoint)."""

    _fields_ = [
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("type", ctypes.c_int),
        ("name", _RawStr),
        ("sname", _RawStr),
        ("vptr", ctypes.c_void_p),
        ("count", ctypes.c_uint),
        ("values", _RawStr * _GENERIC_ARRAY_MAX),
    ]


class SourcePolicy:
    """Which sources may send requests: the PBX's addresses, or anyone when the user allows
    direct calls. Addresses only, not ports: a PBX sends from other ports than its
    registrar's over TCP/TLS connections it opens, and clusters send from several ports."""

    def __init__(self, pbx: PbxAddresses) -> None:
        self._pbx = pbx
        self.accept_direct = False

    def permits(self, source: tuple[str, int] | None) -> bool:
        if self.accept_direct:
            return True
        return source is not None and _normal(source[0]) in self._pbx.current()


class _RefusalLog:
    """One warning line per source per minute, with the count refused since the last one."""

    def __init__(self, reason: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._reason = reason
        self._clock = clock
        self._last: dict[str, tuple[float, int]] = {}

    def refused(self, source: str, what: str) -> None:
        now = self._clock()
        last, count = self._last.get(source, (-_LOG_EVERY_S, 0))
        if now - last < _LOG_EVERY_S:
            self._last[source] = (last, count + 1)
            return
        if len(self._last) >= _LOG_SOURCES:
            self._last = {k: v for k, v in self._last.items() if now - v[0] < _LOG_EVERY_S}
            if len(self._last) >= _LOG_SOURCES:
                self._last.clear()
        self._last[source] = (now, 0)
        more = f" (and {count} more in the last minute)" if count else ""
        log.warning("refused %s from %s: %s%s", what, source, self._reason, more)


class RequestFilter:
    """Two pjsip modules (engine thread): the source filter and the last-resort answerer."""

    def __init__(
        self,
        reader: RxDataReader,
        pbx: PbxAddresses,
        own_ports: Callable[[], set[int]],
        media_budget: MediaBudget,
    ) -> None:
        self._lib = pjsua_library()
        self._lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        self._lib.pjsip_endpt_respond_stateless.argtypes = [ctypes.c_void_p] * 2 + [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._lib.pjsip_endpt_get_capability.restype = ctypes.c_void_p
        self._lib.pjsip_endpt_get_capability.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
        self._lib.pjsip_generic_string_hdr_init2.argtypes = [ctypes.c_void_p] * 3
        self._reader = reader
        self._media_budget = media_budget
        self.policy = SourcePolicy(pbx)
        self._own_ports = own_ports
        self._own_ips: tuple[float, frozenset[str]] = (-_OWN_ADDRESSES_S, frozenset())
        self._refusals = _RefusalLog("not the PBX")
        self._overloaded = _RefusalLog("calls faster than their media sockets are freed (503)")
        self._allow: tuple[str, ...] = ()
        self._supported: frozenset[str] = frozenset()
        self._endpt: int = 0
        self._filter_cb = RxCallback(self._on_filter)  # kept: C holds the pointers
        self._last_cb = RxCallback(self._on_unhandled)
        self._filter = make_module(b"mod-softphone-filter", _FILTER_PRIORITY, self._filter_cb)
        self._last = make_module(b"mod-softphone-last", _LAST_RESORT_PRIORITY, self._last_cb)
        self.refused = 0
        self.unheard = UnheardInvites()  # the engine loop ends their calls

    def install(self) -> bool:
        """After libStart and SipGuard.install (pjsua has declared its capabilities)."""
        self._endpt = int(self._lib.pjsua_get_pjsip_endpt() or 0)
        self._allow = self._capability(_PJSIP_H_ALLOW, b"Allow")
        self._supported = frozenset(
            t.lower() for t in self._capability(_PJSIP_H_SUPPORTED, b"Supported")
        )
        return register_module(self._filter) and register_module(self._last)

    # --- the filter, before any transaction ------------------------------------------------

    def _on_filter(self, rdata: int | None) -> int:
        if not rdata:
            return 0
        try:
            return self._filter_request(rdata)
        except Exception:  # never unwind into pjsip
            log.exception("request filter failed")
            return 0

    def _filter_request(self, rdata: int) -> int:
        message = self._reader.message(rdata)
        head = parse_head(message) if message is not None else None
        if head is None:
            return 0  # unreadable here: pjsip parsed it, its own checks apply
        source = self._reader.source(rdata)
        if not self.policy.permits(source):
            if head.to_tag and head.method.upper() != "REGISTER":
                # In a dialog: the UA layer passes it to that dialog or answers 481; it
                # never rings. Far ends whose PBX does not record-route send BYE and
                # re-INVITE directly: they must get through.
                return 0
            self.refused += 1
            self._refusals.refused(source[0] if source else "an unreadable source", head.method)
            if head.method.upper() != "ACK":  # an ACK is never answered
                self._respond(rdata, 403)
            return 1
        if source is not None and self._loops_back(head, source):
            log.warning("dropped %s whose responses would come back to us", head.method)
            return 1
        if head.method.upper() == "INVITE" and not head.to_tag and head.via is not None:
            # A retransmission of an INVITE let through passes uncounted: a 503 to it would
            # end a call that is ringing.
            seen = self.unheard.seen(head.call_id, head.via.branch)
            if not seen and not self._media_budget.try_start():
                self._overloaded.refused(source[0] if source else "-", "INVITE")
                self._respond(rdata, 503, [(b"Retry-After", b"1")])
                return 1
            self.unheard.note_invite(head.call_id, head.via.branch)
        unsupported = self._unsupported(head)
        if unsupported:
            self._respond(rdata, 420, [(b"Unsupported", ", ".join(unsupported).encode())])
            return 1
        return 0

    def _loops_back(self, head: RequestHead, source: tuple[str, int]) -> bool:
        """Our answers would go to our own UDP port (a Via naming us): the caller never hears
        them, and the INVITE transaction would ring here until someone answers."""
        if head.via is None or head.via.transport != "UDP":
            return False
        target = response_target(head.via, source)
        if target is None or target[1] not in self._own_ports():
            return False
        ip = ipaddress.ip_address(target[0])
        return ip.is_loopback or ip.is_unspecified or target[0] in self._own_addresses()

    def _own_addresses(self) -> frozenset[str]:
        at, addresses = self._own_ips
        if time.monotonic() - at >= _OWN_ADDRESSES_S:
            addresses = interface_addresses()
            self._own_ips = (time.monotonic(), addresses)
        return addresses

    def _unsupported(self, head: RequestHead) -> list[str]:
        if head.method.upper() in _REQUIRE_CHECKED_ELSEWHERE or not self._supported:
            return []
        return [t for t in dict.fromkeys(head.require) if t not in self._supported]

    # --- the last resort, after pjsua -------------------------------------------------------

    def _on_unhandled(self, rdata: int | None) -> int:
        if not rdata:
            return 0
        try:
            message = self._reader.message(rdata)
            head = parse_head(message) if message is not None else None
            if head is None or head.method.upper() == "ACK":
                return 0
            method = head.method.upper()
            if self._allow and method not in self._allow:
                self._respond(rdata, 405, [(b"Allow", ", ".join(self._allow).encode())])
            elif method == "SUBSCRIBE":
                self._respond(rdata, 489)  # RFC 6665 4.2.2.1: an event package we lack
            else:
                # A method we know but not outside a dialog, or a NOTIFY for a subscription
                # we do not have (RFC 6665 4.1.3: 481 ends it at the notifier).
                self._respond(rdata, 481)
            return 1
        except Exception:
            log.exception("answering an unhandled request failed")
            return 0

    # --- pjsip helpers ---------------------------------------------------------------------

    def _respond(
        self, rdata: int, code: int, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        headers = headers or []
        head = _Hdr()
        nodes = [_StringHdr() for _ in headers]
        strings = [(PjStr(n, len(n)), PjStr(v, len(v))) for n, v in headers]  # kept alive
        for node, (name, value) in zip(nodes, strings, strict=True):
            self._lib.pjsip_generic_string_hdr_init2(
                ctypes.byref(node), ctypes.byref(name), ctypes.byref(value)
            )
        ring = [ctypes.addressof(head), *(ctypes.addressof(n) for n in nodes)]
        links: list[ctypes.Structure] = [head, *nodes]
        for index, link in enumerate(links):
            link.prev = ring[index - 1]
            link.next = ring[(index + 1) % len(ring)]
        status = self._lib.pjsip_endpt_respond_stateless(
            self._endpt, rdata, code, None, ctypes.byref(head) if nodes else None, None
        )
        if status != 0:
            log.info("could not answer %d: pjsip status %s", code, status)

    def _capability(self, htype: int, name: bytes) -> tuple[str, ...]:
        """The endpoint's Allow or Supported list (what pjsua answers OPTIONS with)."""
        ptr = self._lib.pjsip_endpt_get_capability(self._endpt, htype, None)
        if not ptr:
            return ()
        hdr = _ArrayHdr.from_address(ptr)
        if (
            not hdr.name.ptr
            or ctypes.string_at(hdr.name.ptr, hdr.name.slen) != name
            or hdr.count > _GENERIC_ARRAY_MAX
        ):
            log.warning("pjsip %s capability not readable", name.decode())
            return ()
        values = hdr.values[: hdr.count]
        return tuple(ctypes.string_at(v.ptr, v.slen).decode("ascii", "replace") for v in values)


def _normal(ip: str) -> str:
    """IPv4-mapped IPv6 sources compare as IPv4."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
