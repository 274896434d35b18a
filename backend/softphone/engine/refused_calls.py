"""Incoming INVITEs that pjsua refused by itself (488: no acceptable media, e.g. no SRTP)."""

from __future__ import annotations

import collections
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from softphone.domain.account import SrtpMode
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.events import EngineCallReported, Event
from softphone.domain.identity import header_value, number_from_uri, parse_name_addr
from softphone.engine import tls

log = logging.getLogger(__name__)

# pjsua answers an INVITE whose offer it cannot take (our SRTP mandatory, theirs absent; no
# common codec) with 488 before any callback: onIncomingCall never fires, so the call would
# leave no trace. Two things are seen instead, in this order on the engine thread: the
# INVITE itself (SipGuard's pjsip module, before pjsua), then pjsua's level-1 error line
# "Error initializing media channel: Not Acceptable Here [status=170488]" (170488 is
# PJSIP_ERRNO_FROM_SIP_STATUS(488)). Level 1 always reaches the log writer; the message log
# (level 4) does not: pjlib's level is lowered while no colleague is monitored.
_MEDIA_ERROR = "Error initializing media channel"
_STATUS_488 = "status=170488"
_SEEN_IDS = 64  # Call-IDs remembered: a retransmitted INVITE is refused (and logged) again


@dataclass(frozen=True, slots=True)
class RefusedInvite:
    call_id: str  # the SIP Call-ID
    from_header: str


class RefusedInviteTap:
    """Initial INVITEs that pjsua refused with 488 (pjsip callbacks -> engine loop)."""

    def __init__(self) -> None:
        self._items: collections.deque[RefusedInvite] = collections.deque(maxlen=100)
        self._lock = threading.Lock()
        self._current: RefusedInvite | None = None  # the INVITE pjsua is processing now

    def note_request(self, message: bytes) -> None:
        """Every request, as received (before pjsua): keep the initial INVITE's identity."""
        if not message.startswith(b"INVITE "):
            return
        text = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
        to = header_value(text, "To", "t") or ""
        call_id = header_value(text, "Call-ID", "i")
        sender = header_value(text, "From", "f")
        if ";tag=" in to.replace(" ", "").lower() or call_id is None or sender is None:
            self._current = None  # a re-INVITE: its 488 belongs to a call we have
            return
        self._current = RefusedInvite(call_id.strip(), sender)

    def offer(self, text: str) -> None:
        # Cheap test first: this runs for every logged line.
        if _MEDIA_ERROR not in text[:120] or _STATUS_488 not in text:
            return
        current, self._current = self._current, None
        if current is not None:
            with self._lock:
                self._items.append(current)

    def drain(self) -> list[RefusedInvite]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items


class RefusedCallReporter:
    """Reports each refused incoming INVITE once, as an incoming call born ended."""

    def __init__(self, tap: RefusedInviteTap, emit: Callable[[Event], None]) -> None:
        self._tap = tap
        self._emit = emit
        self._seen: collections.deque[str] = collections.deque(maxlen=_SEEN_IDS)

    def after_events(
        self, active_call_ids: Callable[[], Iterable[str]], srtp: SrtpMode | None
    ) -> None:
        refused = self._tap.drain()
        if not refused:
            return
        active = set(active_call_ids())  # a 488 to a re-INVITE belongs to a call we have
        for item in refused:
            if item.call_id in active or item.call_id in self._seen:
                continue
            self._seen.append(item.call_id)
            party = parse_name_addr(item.from_header)
            reason = tls.end_reason(EndReason.FAILED, 488, srtp)
            log.info("incoming call refused by the media negotiation (488): %s", reason.value)
            self._emit(
                EngineCallReported(
                    call_id=uuid.uuid4().hex,
                    direction=CallDirection.INCOMING,
                    state=CallState.ENDED,
                    number=party.number or number_from_uri(party.uri),
                    display_name=party.display_name,
                    remote_uri=party.uri,
                    sip_code=488,
                    end_reason=reason,
                )
            )
