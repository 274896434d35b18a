"""Voicemail: the message-summary body (RFC 3842) a PBX sends, parsed into what the user sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from softphone.domain.events import Event
from softphone.domain.identity import number_from_uri

MAX_BODY = 8192  # a real summary is a few lines; anything longer is read only this far
MAX_COUNT = 9999  # more would only be a hostile or broken body: shown as this
_VOICE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})(?:\s*\(\s*(\d{1,9})\s*/\s*(\d{1,9})\s*\))?")
# What may be dialled from a Message-Account: digits and the PBX's service characters only
# (the header is PBX text, and the call goes through the account's PBX like any other).
_DIALABLE = re.compile(r"^\+?[0-9*#]{1,32}$")


@dataclass(frozen=True, slots=True)
class VoicemailSummary:
    """Messages waiting in the user's voice mailbox, as the PBX last reported them."""

    waiting: bool = False
    new: int = 0  # new (unheard) voice messages; 0 when the PBX gives only yes/no
    old: int = 0
    account: str = ""  # a dialable number taken from Message-Account ("" when none or unsafe)


@dataclass(frozen=True, slots=True)
class VoicemailReported(Event):
    """The PBX sent a message-summary (to our subscription, or unsolicited)."""

    summary: VoicemailSummary


@dataclass(frozen=True, slots=True)
class VoicemailChanged(Event):
    """What the indicator shows changed (a new summary, or none after a change of account)."""

    summary: VoicemailSummary


def parse_message_summary(body: str) -> VoicemailSummary | None:
    """The summary in an application/simple-message-summary body; None when it is not one.

    Tolerant of case, spacing and unknown lines (RFC 3842 section 5.2); only the
    Voice-Message class is counted, other classes (fax, text) are not voicemail.
    """
    waiting: bool | None = None
    new = old = 0
    account = ""
    for line in body[:MAX_BODY].splitlines():
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = name.strip().lower(), value.strip()
        if key == "messages-waiting":
            if value.lower() not in ("yes", "no"):
                return None
            waiting = value.lower() == "yes"
        elif key == "message-account":
            number = number_from_uri(value.strip("<>"))
            account = number if _DIALABLE.match(number) else ""
        elif key == "voice-message":
            match = _VOICE.match(value)
            if match:
                new, old = (min(int(match.group(i)), MAX_COUNT) for i in (1, 2))
    if waiting is None:  # the one line RFC 3842 requires
        return None
    return VoicemailSummary(waiting=waiting, new=new if waiting else 0, old=old, account=account)
