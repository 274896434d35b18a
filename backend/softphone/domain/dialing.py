"""Which SIP URIs the phone may call: the account's PBX only, unless the user allowed others."""

from __future__ import annotations

import re
from dataclasses import dataclass

from softphone.domain.account import AccountConfig, Transport, split_host_port

MAX_REALM = 128
_DEFAULT_PORT = {Transport.UDP: 5060, Transport.TCP: 5060, Transport.TLS: 5061}
# Headers a REFER target may carry into our INVITE: only Replaces (attended transfer). Any
# other (Route, Authorization, ...) would let the referrer shape the request we send.
_ALLOWED_URI_HEADERS = frozenset({"replaces"})
_CHALLENGE_HEADERS = ("www-authenticate", "proxy-authenticate")
_REALM = re.compile(r'realm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SipTarget:
    """The parts of a dialled sip:/sips: URI that decide where the request goes."""

    host: str  # lower case, without a trailing dot
    port: int | None
    params: frozenset[str]  # URI parameter names, lower case
    headers: frozenset[str]  # embedded header names (`?Replaces=...`), lower case


def parse_target(uri: str) -> SipTarget | None:
    """Parse a sip:/sips: URI (untrusted: a link, a REFER, a BLF NOTIFY); None if it is not
    one we would dial."""
    text = _addr_spec(uri)
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in ("sip", "sips") or any(c.isspace() for c in rest):
        return None
    rest, _, header_text = rest.partition("?")
    user_host, *params = rest.split(";")
    host_port = user_host.rsplit("@", 1)[-1]
    host, port = split_host_port(host_port)
    if not host or (":" in host_port and port is None and not host.startswith("[")):
        return None
    names = {p.split("=", 1)[0].strip().lower() for p in params if p}
    headers = {h.split("=", 1)[0].strip().lower() for h in header_text.split("&") if h}
    return SipTarget(host.lower().rstrip("."), port, frozenset(names), frozenset(headers))


def _addr_spec(uri: str) -> str:
    """`sip:x@y`, `<sip:x@y>` or `"Name" <sip:x@y>` (a Refer-To value) -> `sip:x@y`."""
    text = uri.strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    return text


def strip_uri_headers(uri: str) -> str:
    """The URI without its embedded headers (`?Replaces=...`): what the call is shown as."""
    return _addr_spec(uri).split("?", 1)[0]


def is_pbx_target(uri: str, account: AccountConfig) -> bool:
    """True when `uri` is on the account's PBX: its host, and no port or the server's port.

    A URI without a port names the PBX's domain (BLF identities, a server set with a port);
    one with another port is another SIP service on that host.
    """
    target = parse_target(uri)
    if target is None or "maddr" in target.params:
        return False  # maddr would send the request elsewhere than the host says
    default = _DEFAULT_PORT[account.transport]
    host, port = split_host_port(account.server)
    same_port = target.port is None or target.port == (port or default)
    return target.host == host.lower().rstrip(".") and same_port


def may_dial(uri: str, account: AccountConfig) -> bool:
    """The dialling rule for every outgoing call (keypad, link, history, REFER target)."""
    target = parse_target(uri)
    if target is None or "maddr" in target.params:
        return False
    if not target.headers <= _ALLOWED_URI_HEADERS:
        return False
    return account.allow_direct_calls or is_pbx_target(uri, account)


def challenge_realms(message: str) -> list[str]:
    """The realms of every Digest challenge (WWW-/Proxy-Authenticate) in a raw SIP response."""
    realms = []
    head = message.split("\r\n\r\n", 1)[0]
    for line in head.splitlines()[1:]:
        name, sep, value = line.partition(":")
        if not sep or name.strip().lower() not in _CHALLENGE_HEADERS:
            continue
        match = _REALM.search(value)
        if match is not None:
            realms.append(match.group(1) if match.group(1) is not None else match.group(2))
    return realms


def valid_realm(realm: str) -> bool:
    """A realm we are willing to keep and bind credentials to (it came from the network)."""
    return 0 < len(realm) <= MAX_REALM and all(32 <= ord(c) < 127 and c not in '"\\' for c in realm)
