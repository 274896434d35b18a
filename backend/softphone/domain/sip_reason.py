"""The SIP Reason header (RFC 3326), read tolerantly: was a call answered elsewhere?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The header is untrusted network text: bound what is read of it.
_MAX_HEAD = 16384  # bytes of a message head searched for Reason headers
_MAX_VALUE = 1024  # characters of one header line parsed
_MAX_VALUES = 16  # reason values taken from one message
_MAX_CAUSE_DIGITS = 5

# A forking proxy (Kamailio tm, OpenSIPS, Flexisip), FreeSWITCH (LOSE_RACE, PICKED_OFF) and
# Asterisk (hangup cause ANSWERED_ELSEWHERE) all cancel the other branches with
# `SIP;cause=200;text="Call completed elsewhere"`. Asterisk adds `Q.850;cause=26` beside it,
# and a PBX that sends only the Q.850 value means the same: ITU-T Q.850 cause 26 is
# "non-selected user clearing", a user who was not awarded the incoming call (Asterisk's
# AST_CAUSE_ANSWERED_ELSEWHERE is 26). The text is free-form prose, so only causes count.
_ELSEWHERE = frozenset({("SIP", 200), ("Q.850", 26)})


@dataclass(frozen=True, slots=True)
class ReasonValue:
    """One reason-value: protocol upper-cased ("SIP", "Q.850"), cause (None if absent)."""

    protocol: str
    cause: int | None
    text: str = ""


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner, out, escaped = value[1:-1], [], False
        for char in inner:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def _cause(raw: str) -> int | None:
    raw = _unquote(raw)
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_CAUSE_DIGITS:
        return None
    return int(raw)


def parse_reason(value: str) -> list[ReasonValue]:
    """The reason-values of one Reason header value (comma-separated, RFC 3326 section 2).

    Tolerant: spaces around `;` and `=`, any letter case in names and protocol, quoted
    text with escapes; a value without a protocol token is skipped.
    """
    values: list[ReasonValue] = []
    for item in _split_outside_quotes(value[:_MAX_VALUE], ","):
        protocol, *params = _split_outside_quotes(item, ";")
        protocol = protocol.strip().upper()
        if not protocol or " " in protocol or '"' in protocol:
            continue
        cause: int | None = None
        text = ""
        for param in params:
            name, _, raw = param.partition("=")
            name = name.strip().lower()
            if name == "cause" and cause is None:
                cause = _cause(raw)
            elif name == "text" and not text:
                text = _unquote(raw)
        values.append(ReasonValue(protocol, cause, text))
    return values


def _header_lines(message: str, name: str) -> Iterable[str]:
    """Values of every `name` header in a message head; folded lines are joined."""
    head = message[:_MAX_HEAD].replace("\r\n", "\n").split("\n\n", 1)[0]
    lines = head.split("\n")[1:]  # the start line is no header
    unfolded: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += " " + line.strip()  # obsolete line folding (RFC 3261 7.3.1)
        else:
            unfolded.append(line)
    wanted = name.lower()
    for line in unfolded:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == wanted:
            yield value


def message_reasons(message: str) -> list[ReasonValue]:
    """Every reason-value of every Reason header of a raw SIP message (bounded)."""
    values: list[ReasonValue] = []
    for header in _header_lines(message, "Reason"):
        values.extend(parse_reason(header))
        if len(values) >= _MAX_VALUES:
            return values[:_MAX_VALUES]
    return values


def answered_elsewhere(values: Iterable[ReasonValue]) -> bool:
    """True when a reason says the call was completed by another branch (SIP 200, Q.850 26)."""
    return any((value.protocol, value.cause) in _ELSEWHERE for value in values)
