"""Reads a received packet's bytes and source address out of pjsip's pjsip_rx_data."""

from __future__ import annotations

import ctypes
import ipaddress
import logging

from softphone.engine.native import pjsua_library

log = logging.getLogger(__name__)

_SCAN_WORDS = 8192  # pointer-sized words of pjsip_rx_data searched for msg_info.info
_PTR = ctypes.sizeof(ctypes.c_void_p)

# pjsip 2.15.1 pjsip/include/pjsip/sip_transport.h, struct pjsip_rx_data: pkt_info ends
#   pj_ssize_t len; pj_sockaddr src_addr; int src_addr_len;
#   char src_name[PJ_INET6_ADDRSTRLEN]; int src_port;
# and msg_info (8-aligned) follows. pj_sockaddr is a 28-byte union (sockaddr_in6), 4-aligned,
# PJ_INET6_ADDRSTRLEN is 46; so, from the start of msg_info: src_port -8, src_name -56,
# src_addr -88. Every read is checked against src_addr (port and address bytes), so another
# layout is refused rather than misread.
_SRC_PORT = -8
_SRC_NAME = -56
_SRC_NAME_LEN = 46
_SRC_ADDR = -88


class RxDataReader:
    """Locates msg_info in pjsip_rx_data once (engine thread), then reads packets from it."""

    def __init__(self) -> None:
        self._lib = pjsua_library()
        self._lib.pjsip_rx_data_get_info.restype = ctypes.c_void_p
        self._lib.pjsip_rx_data_get_info.argtypes = [ctypes.c_void_p]
        self._info_word = -1  # where msg_info.info sits in pjsip_rx_data, found on first use
        self._source_warned = False

    def message(self, rdata: int) -> bytes | None:
        """rdata->msg_info.msg_buf[:len], or None when the layout is not the one expected."""
        msg_info = self._msg_info(rdata)
        if msg_info is None:
            return None
        msg_buf = ctypes.c_void_p.from_address(msg_info).value
        length = ctypes.c_int.from_address(msg_info + _PTR).value
        if not msg_buf or not 0 < length <= 65536:
            return None
        return ctypes.string_at(msg_buf, length)

    def source(self, rdata: int) -> tuple[str, int] | None:
        """rdata->pkt_info.src_name and src_port (the packet's real source, not its Via)."""
        msg_info = self._msg_info(rdata)
        if msg_info is None:
            return None
        raw_name = ctypes.string_at(msg_info + _SRC_NAME, _SRC_NAME_LEN).split(b"\0", 1)[0]
        port = ctypes.c_int.from_address(msg_info + _SRC_PORT).value
        addr = ctypes.string_at(msg_info + _SRC_ADDR, 28)
        try:
            ip = ipaddress.ip_address(raw_name.decode("ascii"))
        except ValueError:
            ip = None
        # sockaddr_in(6): family (2 bytes, or len+family on BSD), port (network order),
        # then the address: 4 bytes at +4 for IPv4, 16 bytes at +8 for IPv6.
        ok = ip is not None and 0 < port < 65536 and int.from_bytes(addr[2:4], "big") == port
        if ok and ip is not None:
            packed = addr[4:8] if ip.version == 4 else addr[8:24]
            ok = packed == ip.packed
        if not ok or ip is None:
            if not self._source_warned:
                self._source_warned = True
                log.error("pjsip_rx_data source address not recognised: requests are refused")
            return None
        return str(ip), port

    def _msg_info(self, rdata: int) -> int | None:
        """Address of rdata->msg_info, found from msg_info.info (an exported getter).

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
                log.warning("pjsip_rx_data layout not recognised: SIP guard and request filter off")
                self._info_word = 0
        if self._info_word <= 0 or words[self._info_word] != info:
            return None
        return rdata + (self._info_word - 3) * _PTR
