"""CANCELs of ringing calls, as received: did the PBX say the call was answered elsewhere?"""

from __future__ import annotations

import collections
from typing import TypeVar

from softphone.domain.identity import header_value
from softphone.domain.sip_reason import answered_elsewhere, message_reasons

# pjsua2 does not hand the CANCEL to onCallState in a form we can rely on, so the SIP
# guard's observer (every request, raw, on the engine thread, before the transaction layer)
# passes it here; the call's DISCONNECTED state follows in the same pjsip turn.
_REMEMBERED = 64  # ringing calls tracked; older ones are forgotten first

V = TypeVar("V")


def _top_via_branch(head: str) -> str | None:
    via = header_value(head, "Via", "v")
    if via is None:
        return None
    top = via.split(",", 1)[0]
    for param in top.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "branch":
            return value.strip() or None
    return None


class CancelReasons:
    """Per SIP Call-ID: the initial INVITE's branch, then whether its CANCEL said elsewhere.

    A CANCEL counts only if its top Via branch is the INVITE's (RFC 3261 9.2: that is how a
    CANCEL matches the transaction it cancels), so a stray or forged CANCEL, which pjsip
    answers 481 and ignores, cannot relabel the call.
    """

    def __init__(self) -> None:
        self._branches: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._elsewhere: collections.OrderedDict[str, bool] = collections.OrderedDict()

    def note_request(self, message: bytes) -> None:
        """Every received request (SipGuard.observer); only INVITE and CANCEL are read."""
        is_invite = message.startswith(b"INVITE ")
        if not is_invite and not message.startswith(b"CANCEL "):
            return
        head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
        call_id = (header_value(head, "Call-ID", "i") or "").strip()
        branch = _top_via_branch(head)
        if not call_id or branch is None:
            return
        if is_invite:
            to = (header_value(head, "To", "t") or "").replace(" ", "").lower()
            if ";tag=" not in to:  # a re-INVITE is no ringing call
                _remember(self._branches, call_id, branch)
        elif self._branches.get(call_id) == branch:
            _remember(self._elsewhere, call_id, answered_elsewhere(message_reasons(head)))

    def answered_elsewhere(self, call_id: str) -> bool:
        """Whether the call's CANCEL said so; forgets the call (asked once, when it ends)."""
        self._branches.pop(call_id, None)
        return self._elsewhere.pop(call_id, False)


def _remember(table: collections.OrderedDict[str, V], key: str, value: V) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > _REMEMBERED:
        table.popitem(last=False)
