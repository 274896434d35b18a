"""Incoming calls whose caller never hears our answers end when its INVITE times out (32 s)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

import pjsua2 as pj

log = logging.getLogger(__name__)

# A UAC over UDP retransmits its INVITE at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s (T1 = 0.5 s)
# until it gets any response, and gives up at 64*T1 = 32 s (Timer B, RFC 3261 17.1.1.2).
# pjsip answers each retransmission with our last provisional response, so a caller that
# hears us stops retransmitting. One still arriving 30 s after the first means every answer
# was lost (a Via to an address that does not reach it, a one-way path): the caller is gone
# at 32 s, and our card would ring on until someone answered a call with nobody there.
_GIVES_UP_S = 30.0
_REMEMBERED = 256  # INVITE transactions followed at once (a flood cannot grow it more)
_FORGET_S = 40.0  # past Timer B, a transaction is over whatever happened
_CALLER_GONE = 408  # Request Timeout: our final answer, in case it does get through


class UnheardInvites:
    """Follows initial INVITEs' retransmissions (seen by the request filter, engine thread)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._first_seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._gone: set[str] = set()  # SIP Call-IDs whose caller has given up

    def seen(self, call_id: str, branch: str) -> bool:
        """Whether this INVITE transaction was noted: a retransmission of one let through."""
        return (call_id, branch) in self._first_seen

    def note_invite(self, call_id: str, branch: str) -> None:
        if not call_id or not branch:
            return
        now = self._clock()
        key = (call_id, branch)
        first = self._first_seen.get(key)
        if first is None:
            while self._first_seen and (
                len(self._first_seen) >= _REMEMBERED
                or now - next(iter(self._first_seen.values())) > _FORGET_S
            ):
                self._first_seen.popitem(last=False)
            self._first_seen[key] = now
        elif now - first >= _GIVES_UP_S:
            self._gone.add(call_id)

    def end_calls(self, calls: Iterable[pj.Call]) -> None:
        """Hang up the still-ringing incoming calls whose caller has given up (a missed call:
        the engine reports it like a caller's CANCEL)."""
        if not self._gone:
            return
        gone, self._gone = self._gone, set()
        for call in calls:
            try:
                info = call.getInfo()
                if str(info.callIdString) not in gone or info.role != pj.PJSIP_ROLE_UAS:
                    continue
                if info.state not in (pj.PJSIP_INV_STATE_INCOMING, pj.PJSIP_INV_STATE_EARLY):
                    continue
                log.warning("caller never heard our answers and gave up: ending its call")
                prm = pj.CallOpParam(True)
                prm.statusCode = _CALLER_GONE
                call.hangup(prm)
            except pj.Error as exc:
                log.info("ending an unheard call: %s", exc.info())
