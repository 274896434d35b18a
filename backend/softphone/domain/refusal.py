"""Why the far end refused a call, in its own words: Reason text and Retry-After (untrusted)."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.domain.identity import clean_text, header_value
from softphone.domain.sip_reason import message_reasons

MAX_REASON_TEXT = 80  # characters shown on the call card
MAX_RETRY_AFTER_S = 86400  # longer than a day says nothing a user can act on
_MAX_DIGITS = 10


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a final 3xx-6xx said beyond its code. `reason_text`: the RFC 3326 Reason's text
    (SIP protocol first), cleaned of control and bidi characters and bounded;
    `retry_after_s`: the Retry-After delay (RFC 3261 20.33), None if absent or unreadable."""

    reason_text: str = ""
    retry_after_s: int | None = None


def parse_retry_after(value: str) -> int | None:
    """`120`, `120 (In a meeting)`, `120;duration=60` -> 120; anything else -> None."""
    raw = value.split(";", 1)[0].split("(", 1)[0].strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_DIGITS:
        return None
    seconds = int(raw)
    return min(seconds, MAX_RETRY_AFTER_S) if seconds > 0 else None


def parse_refusal(message: str) -> Refusal:
    """The Reason text and Retry-After of a raw SIP response."""
    reasons = [r for r in message_reasons(message) if r.text]
    reasons.sort(key=lambda r: r.protocol != "SIP")  # the SIP reason names the refusal
    text = clean_text(reasons[0].text, MAX_REASON_TEXT) if reasons else ""
    retry = header_value(message, "Retry-After")
    return Refusal(text, parse_retry_after(retry) if retry is not None else None)
