"""The few facts of a raw SIP request's head that the request filter decides on."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# RFC 3261 7.3.3 compact forms of the headers read here (k: Supported has none we need).
_COMPACT = {"t": "to", "v": "via", "o": "event", "i": "call-id"}
_MAX_TOKENS = 32


@dataclass(frozen=True, slots=True)
class TopVia:
    transport: str  # "UDP", "TCP", "TLS", ... as written
    host: str
    port: int | None
    rport: bool
    maddr: str
    branch: str


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    to_tag: bool  # the To header has a tag: a request inside a dialog (or claiming to be)
    require: tuple[str, ...]  # option tags of every Require header, lower case
    via: TopVia | None
    call_id: str


def parse_head(message: bytes) -> RequestHead | None:
    """Method, To tag, Require and top Via of a request (None for a response or garbage)."""
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
    lines = _unfold(head.split("\r\n") if "\r\n" in head else head.split("\n"))
    if not lines:
        return None
    request_line = lines[0].split()
    if len(request_line) != 3 or request_line[0].upper() == "SIP/2.0":
        return None
    to_tag = False
    require: list[str] = []
    via: TopVia | None = None
    call_id = ""
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        if key == "to":
            to_tag = _has_tag(value)
        elif key == "require":
            require += [t.strip().lower() for t in value.split(",") if t.strip()]
        elif key == "via" and via is None:
            via = _parse_via(value.split(",", 1)[0])
        elif key == "call-id":
            call_id = value.strip()[:256]
    return RequestHead(request_line[0], to_tag, tuple(require[:_MAX_TOKENS]), via, call_id)


def response_target(via: TopVia, source: tuple[str, int]) -> tuple[str, int] | None:
    """Where pjsip sends a UDP response (RFC 3261 18.2.2, RFC 3581, pjsip_get_response_addr):
    maddr if given, else the source address (pjsip always sets `received`); the source port
    with rport, else the sent-by port or 5060. None when maddr is a name (not resolved here)."""
    host = via.maddr or source[0]
    try:
        ip = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
    if via.rport and not via.maddr:
        return ip, source[1]
    return ip, via.port or 5060


def _unfold(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


def _has_tag(value: str) -> bool:
    # The tag is a parameter of the header, after the URI's closing '>' when there is one.
    params = value.rsplit(">", 1)[1] if ">" in value else value
    return any(p.strip().lower().startswith("tag=") for p in params.split(";")[1:])


def _parse_via(value: str) -> TopVia | None:
    protocol, _, rest = value.strip().partition(" ")
    parts = protocol.split("/")
    if len(parts) != 3:
        return None
    sent_by, *params = rest.strip().split(";")
    sent_by = sent_by.strip()
    if sent_by.startswith("["):
        host, _, tail = sent_by[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = sent_by.partition(":")
    port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else None
    names = {p.split("=", 1)[0].strip().lower(): p.partition("=")[2].strip() for p in params}
    return TopVia(
        parts[2].strip().upper(),
        host,
        port,
        "rport" in names,
        names.get("maddr", ""),
        names.get("branch", "")[:128],
    )
