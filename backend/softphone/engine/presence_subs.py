"""Presence subscriptions (RFC 3856) made through pjsip's C API rather than pjsua buddies.

pjsua keeps one subscription per buddy and has 256 buddy slots (PJSUA_MAX_BUDDIES, compiled
into the wheel; the 257th asserts). With one dialog-event buddy per colleague, 200 colleagues
left presence (their DND) for 56 only. These subscriptions use no slot: a pjsip dialog and a
presence client per colleague, set up as pjsua's `subscribe_buddy()` does (contact, Via,
transport, route set, credentials of the account). NOTIFY bodies are read from the message
log like dialog-info; pjsip answers the NOTIFYs and refreshes the subscriptions itself.
Everything here runs on the engine thread (pjsip calls the callback from libHandleEvents).
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pjsua2 as pj

log = logging.getLogger(__name__)

_TERMINATED = 5  # PJSIP_EVSUB_STATE_TERMINATED
_EXPIRES_DEFAULT = 0xFFFFFFFF  # PJSIP_EXPIRES_NOT_SPECIFIED: the package's default (600 s)
_NO_EVENT_ID = 1  # PJSIP_EVSUB_NO_EVENT_ID, as pjsua's buddies
_DIALOG_SCAN = 2048  # bytes of a pjsip_dialog searched for its auth session


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("slen", ctypes.c_ssize_t)]


class _HostPort(ctypes.Structure):  # pjsip_host_port
    _fields_ = [("host", _PjStr), ("port", ctypes.c_int)]


class _TpSelector(ctypes.Structure):  # pjsip_tpselector
    _fields_ = [("type", ctypes.c_int), ("no_reuse", ctypes.c_int), ("u", _PjStr)]


class _CredInfo(ctypes.Structure):  # pjsip_cred_info (2.15): realm .. algorithm_type, ext.aka
    _fields_ = [
        ("realm", _PjStr),
        ("scheme", _PjStr),
        ("username", _PjStr),
        ("data_type", ctypes.c_int),
        ("data", _PjStr),
        ("algorithm_type", ctypes.c_int),
        ("aka_k", _PjStr),
        ("aka_op", _PjStr),
        ("aka_amf", _PjStr),
        ("aka_cb", ctypes.c_void_p),
    ]


_StateCb = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class _EvsubUser(ctypes.Structure):  # pjsip_evsub_user: six callbacks, all optional
    _fields_ = [
        ("on_evsub_state", _StateCb),
        ("on_tsx_state", ctypes.c_void_p),
        ("on_rx_refresh", ctypes.c_void_p),
        ("on_rx_notify", ctypes.c_void_p),
        ("on_client_refresh", ctypes.c_void_p),
        ("on_server_timeout", ctypes.c_void_p),
    ]


@dataclass(frozen=True, slots=True)
class AccountRoute:
    """What a subscription borrows from the account (read from its pj.AccountConfig)."""

    acc_id: int
    id_uri: str
    proxies: tuple[str, ...]
    creds: tuple[tuple[str, str, str, int, str], ...]  # realm, scheme, user, type, data

    @classmethod
    def of(cls, acc_id: int, acfg: pj.AccountConfig) -> AccountRoute:
        sip = acfg.sipConfig
        return cls(
            acc_id,
            str(acfg.idUri),
            tuple(str(p) for p in sip.proxies),
            tuple(
                (str(c.realm), str(c.scheme), str(c.username), int(c.dataType), str(c.data))
                for c in sip.authCreds
            ),
        )


def _s(text: str, keep: list[object]) -> _PjStr:
    raw = ctypes.create_string_buffer(text.encode())
    keep.append(raw)
    return _PjStr(ctypes.cast(raw, ctypes.c_void_p), len(text.encode()))


class PresenceSubscriptions:
    """One presence subscription per key (a colleague's extension); no pjsua buddy used."""

    def __init__(self, lib: ctypes.CDLL, on_terminated: Callable[[str], None]) -> None:
        self._lib = lib
        self._on_terminated = on_terminated
        self._subs: dict[int, str] = {}  # pjsip_evsub* -> key
        self._by_key: dict[str, int] = {}
        self._auth_offset: int | None = None
        _declare(lib)
        # pjsip copies the struct, but calls the function for the subscription's lifetime:
        # the ctypes thunk lives as long as this object, which the engine keeps to the end.
        self._state_cb = _StateCb(self._on_state)
        self._user = _EvsubUser(on_evsub_state=self._state_cb)

    def __contains__(self, key: str) -> bool:
        return key in self._by_key

    def subscribe(self, key: str, uri: str, account: AccountRoute) -> bool:
        """Send the initial SUBSCRIBE; False (and a log line) if pjsip refused to build it."""
        self.unsubscribe(key)
        lib = self._lib
        keep: list[object] = []
        pool = lib.pjsua_pool_create(b"blfpres", 1024, 1024)
        if not pool:
            return False
        try:
            target = _s(uri, keep)
            contact = _PjStr()
            status = lib.pjsua_acc_create_uac_contact(
                pool, ctypes.byref(contact), account.acc_id, ctypes.byref(target)
            )
            if status != 0:
                log.warning("presence of %s: no Contact (%d)", key, status)
                return False
            dlg = ctypes.c_void_p()
            status = lib.pjsip_dlg_create_uac(
                lib.pjsip_ua_instance(),
                ctypes.byref(_s(account.id_uri, keep)),
                ctypes.byref(contact),
                ctypes.byref(target),
                None,
                ctypes.byref(dlg),
            )
            if status != 0 or not dlg.value:
                log.warning("presence of %s: no dialog (%d)", key, status)
                return False
            lib.pjsip_dlg_inc_lock(dlg)
            try:
                return self._start(
                    key, dlg=dlg, pool=pool, target=target, account=account, keep=keep
                )
            finally:
                lib.pjsip_dlg_dec_lock(dlg)  # destroys the dialog if no subscription holds it
        finally:
            lib.pj_pool_release(pool)

    def _start(
        self,
        key: str,
        *,
        dlg: ctypes.c_void_p,
        pool: int,
        target: _PjStr,
        account: AccountRoute,
        keep: list[object],
    ) -> bool:
        lib = self._lib
        auth = self._auth_session(dlg)
        if auth is None:
            return False
        if not lib.pjsua_sip_acc_is_using_stun(account.acc_id):
            # Via names the interface that reaches the PBX (pjsua #1412), not the default one.
            via, via_tp = _HostPort(), ctypes.c_void_p()
            if (
                lib.pjsua_acc_get_uac_addr(
                    account.acc_id,
                    pool,
                    ctypes.byref(target),
                    ctypes.byref(via),
                    None,
                    None,
                    ctypes.byref(via_tp),
                )
                == 0
            ):
                lib.pjsip_dlg_set_via_sent_by(dlg, ctypes.byref(via), via_tp)
        sub = ctypes.c_void_p()
        status = lib.pjsip_pres_create_uac(
            dlg, ctypes.byref(self._user), _NO_EVENT_ID, ctypes.byref(sub)
        )
        if status != 0 or not sub.value:
            log.warning("presence of %s: no subscription (%d)", key, status)
            return False
        sel = _TpSelector()
        # Declared with a transport id in pjsua_internal.h, but 2.15 reads an account id.
        lib.pjsua_init_tpselector(account.acc_id, ctypes.byref(sel))
        lib.pjsip_dlg_set_transport(dlg, ctypes.byref(sel))
        routes = self._route_set(pool, account.proxies, keep)
        if routes:
            lib.pjsip_dlg_set_route_set(dlg, routes)
        if account.creds:
            creds = (_CredInfo * len(account.creds))()
            for slot, (realm, scheme, user, data_type, data) in zip(
                creds, account.creds, strict=True
            ):
                slot.realm, slot.scheme = _s(realm, keep), _s(scheme, keep)
                slot.username, slot.data = _s(user, keep), _s(data, keep)
                slot.data_type = data_type
            lib.pjsip_auth_clt_set_credentials(auth, len(account.creds), creds)
        tdata = ctypes.c_void_p()
        status = lib.pjsip_pres_initiate(sub, _EXPIRES_DEFAULT, ctypes.byref(tdata))
        if status != 0:
            lib.pjsip_pres_terminate(sub, 0)
            log.warning("presence of %s: no SUBSCRIBE (%d)", key, status)
            return False
        # Known before sending: a synchronous failure reports TERMINATED from inside send.
        self._subs[sub.value] = key
        self._by_key[key] = sub.value
        status = lib.pjsip_pres_send_request(sub, tdata)
        if status != 0:
            log.warning("presence of %s: SUBSCRIBE not sent (%d)", key, status)
            if self._by_key.get(key) == sub.value:  # not already terminated by pjsip
                self._forget(key)
                lib.pjsip_pres_terminate(sub, 0)
            return False
        return True

    def unsubscribe(self, key: str) -> None:
        """SUBSCRIBE with Expires: 0; pjsip ends the subscription when that completes."""
        sub = self._forget(key)
        if sub is None:
            return
        lib = self._lib
        if lib.pjsip_evsub_get_state(ctypes.c_void_p(sub)) == _TERMINATED:
            return
        tdata = ctypes.c_void_p()
        status = lib.pjsip_pres_initiate(ctypes.c_void_p(sub), 0, ctypes.byref(tdata))
        if status == 0:
            status = lib.pjsip_pres_send_request(ctypes.c_void_p(sub), tdata)
        if status != 0:
            lib.pjsip_pres_terminate(ctypes.c_void_p(sub), 0)

    def _forget(self, key: str) -> int | None:
        sub = self._by_key.pop(key, None)
        if sub is not None:
            self._subs.pop(sub, None)
        return sub

    def _on_state(self, sub: int | None, _event: int | None) -> None:
        # A ctypes callback: an exception here would only be printed; keep it contained.
        try:
            if sub is None or sub not in self._subs:
                return
            if self._lib.pjsip_evsub_get_state(ctypes.c_void_p(sub)) != _TERMINATED:
                return
            key = self._subs.pop(sub)
            self._by_key.pop(key, None)  # pjsip frees it after this callback
            self._on_terminated(key)
        except Exception:
            log.exception("presence subscription callback failed")

    def _auth_session(self, dlg: ctypes.c_void_p) -> int | None:
        """Address of the dialog's pjsip_auth_clt_sess (no API returns it).

        It is the first (pool, endpoint) pointer pair after the dialog's own pool/ua/endpt
        fields (pjsip_auth_clt_init puts the dialog's pool and the endpoint there); the
        found offset must be the same for every dialog.
        """
        assert dlg.value is not None
        words = (ctypes.c_void_p * (_DIALOG_SCAN // 8)).from_address(dlg.value)
        endpt = self._lib.pjsua_get_pjsip_endpt()
        pool = words[6]  # after PJ_DECL_LIST_MEMBER (2 pointers) and obj_name[32]
        if not pool or words[8] != endpt:  # dlg->endpt: the layout is not the expected one
            log.warning("presence: unexpected pjsip_dialog layout, DND not subscribed")
            return None
        for index in range(9, len(words) - 1):
            if words[index] == pool and words[index + 1] == endpt:
                if self._auth_offset not in (None, index * 8):
                    break
                self._auth_offset = index * 8
                return dlg.value + index * 8
        log.warning("presence: no auth session in pjsip_dialog, DND not subscribed")
        return None

    def _route_set(self, pool: int, proxies: tuple[str, ...], keep: list[object]) -> int | None:
        """A pjsip_route_hdr list like pjsua's account route set (its proxies, in order)."""
        if not proxies:
            return None
        lib = self._lib
        head = lib.pjsip_route_hdr_create(pool)
        name = _s("Route", keep)
        for proxy in proxies:
            value = proxy if proxy.startswith("<") else f"<{proxy}>"
            raw = ctypes.create_string_buffer(value.encode())
            keep.append(raw)
            hdr = lib.pjsip_parse_hdr(pool, ctypes.byref(name), raw, len(value.encode()), None)
            if not hdr:
                log.warning("presence: proxy %r not usable as a route", proxy)
                continue
            lib.pj_list_insert_before(ctypes.c_void_p(head), ctypes.c_void_p(hdr))
        return int(head)


def _declare(lib: ctypes.CDLL) -> None:
    """Argument and result types: a pointer result read as the default int is truncated."""
    p, i, u = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint
    signatures: dict[str, tuple[list[object], object]] = {
        "pjsua_pool_create": ([ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t], p),
        "pj_pool_release": ([p], None),
        "pjsip_ua_instance": ([], p),
        "pjsua_get_pjsip_endpt": ([], p),
        "pjsua_acc_create_uac_contact": ([p, p, i, p], i),
        "pjsip_dlg_create_uac": ([p, p, p, p, p, p], i),
        "pjsip_dlg_inc_lock": ([p], None),
        "pjsip_dlg_dec_lock": ([p], None),
        "pjsua_sip_acc_is_using_stun": ([i], i),
        "pjsua_acc_get_uac_addr": ([i, p, p, p, p, p, p], i),
        "pjsip_dlg_set_via_sent_by": ([p, p, p], None),
        "pjsip_pres_create_uac": ([p, p, u, p], i),
        "pjsua_init_tpselector": ([i, p], None),
        "pjsip_dlg_set_transport": ([p, p], i),
        "pjsip_route_hdr_create": ([p], p),
        "pjsip_parse_hdr": ([p, p, ctypes.c_char_p, ctypes.c_size_t, p], p),
        "pj_list_insert_before": ([p, p], None),
        "pjsip_dlg_set_route_set": ([p, p], i),
        "pjsip_auth_clt_set_credentials": ([p, i, p], i),
        "pjsip_pres_initiate": ([p, ctypes.c_uint32, p], i),
        "pjsip_pres_send_request": ([p, p], i),
        "pjsip_pres_terminate": ([p, i], i),
        "pjsip_evsub_get_state": ([p], i),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result
