"""Who is on the other end: parse and sanitise SIP identities (untrusted input)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_DISPLAY_NAME = 128
MAX_URI = 256

# Control characters, and the bidi overrides/isolates that can make "evil.com" read as "moc.live".
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>')


def clean_text(text: str, max_len: int) -> str:
    """Drop control, bidi and lone surrogate characters; fold whitespace; bound length."""
    kept = []
    for ch in text:
        if ch in _BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            kept.append(" " if ch in "\t\r\n" else "")
            continue
        kept.append(ch)
    folded = " ".join("".join(kept).split())
    return folded[:max_len]


@dataclass(frozen=True, slots=True)
class RemoteParty:
    """The other side of a call as we show it: display name, SIP URI and the dialable number."""

    display_name: str
    uri: str
    number: str


def parse_name_addr(value: str) -> RemoteParty:
    """Parse a From/To header value (`"Name" <sip:user@host>;tag=x`) into a sanitised party."""
    value = value.strip()
    match = _NAME_ADDR.match(value)
    if match:
        quoted, token, uri = match.groups()
        # Any quoted-pair stands for its character (RFC 3261 25.1), not only \" and \\.
        name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else token or ""
    else:
        name, uri = "", value.split(";", 1)[0]
    uri = clean_text(uri, MAX_URI)
    return RemoteParty(
        display_name=clean_text(name, MAX_DISPLAY_NAME), uri=uri, number=number_from_uri(uri)
    )


def number_from_uri(uri: str) -> str:
    """The user part of a sip:/sips:/tel: URI, which is what a person would dial back."""
    rest = uri.strip()
    for scheme in ("sips:", "sip:", "tel:"):
        if rest.lower().startswith(scheme):
            rest = rest[len(scheme) :]
            break
    user = rest.split("@", 1)[0] if "@" in rest else rest
    user = user.split(";", 1)[0].split("?", 1)[0]
    return clean_text(user, 64)


def header_value(message: str, name: str, compact: str | None = None) -> str | None:
    """First value of a SIP header in a raw message (long or compact form), or None."""
    names = {name.lower()} | ({compact.lower()} if compact else set())
    head = message.split("\r\n\r\n", 1)[0]
    for line in head.splitlines()[1:]:
        if ":" not in line:
            continue
        key, _, val = line.partition(":")
        if key.strip().lower() in names:
            return val.strip()
    return None
