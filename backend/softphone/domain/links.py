"""Call links (tel:, sip:, sips:, callto:) from the OS, a launch or the CLI: hostile text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, unquote, urlsplit

from softphone.domain.events import Event
from softphone.domain.numbers import normalize_number

# Longer than any real number or SIP address; a web page could hand us megabytes otherwise.
MAX_LINK_LENGTH = 256

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{0,31}):")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
# Stricter than a SIP user part may be: no ';' (user parameters), '?' (headers), '&', '='.
_SIP_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()+$,]{1,64}$")
_SIP_HOST = re.compile(
    r"^(?=.{1,253}(:\d{1,5})?$)[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*(:\d{1,5})?$"
    r"|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$"
)


class LinkRefusal(StrEnum):
    """Why a link was not offered for dialling. Values are part of the wire protocol."""

    UNSUPPORTED_SCHEME = "unsupported_scheme"  # javascript:, http:, file:, no scheme...
    HIDDEN_CHARACTERS = "hidden_characters"  # control, bidi or zero-width characters
    TOO_LONG = "too_long"
    URI_PARAMETERS = "uri_parameters"  # ;transport=, ?Replaces=..., &, =: never half-dialled
    NOT_A_NUMBER = "not_a_number"  # nothing dialable after the scheme
    # softphone://provision?url=...: not one https URL (http:, credentials in it, no host...).
    BAD_PROVISIONING_URL = "bad_provisioning_url"


class BadLinkError(Exception):
    """A link that must not reach the keypad or the engine."""

    def __init__(self, reason: LinkRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DialLink:
    """What a checked link asks for: `number` is what the keypad shows and `call.dial` takes."""

    scheme: str  # tel, sip, sips or callto (lower case)
    number: str  # "+41441234567", "1002@pbx.example.com" or "sips:1002@pbx.example.com"
    user: str  # the number or SIP user part
    host: str  # "" for tel:/callto:


@dataclass(frozen=True, slots=True)
class DialRequested(Event):
    """A link asks to call `number`: the UI shows it in the keypad; nothing was dialled."""

    id: int
    number: str
    scheme: str
    received_at: float  # time.time()


@dataclass(frozen=True, slots=True)
class LinkRefused(Event):
    """A link was refused; the UI says why (the link's text is not repeated: it is hostile)."""

    id: int
    reason: LinkRefusal
    received_at: float  # time.time()


@dataclass(frozen=True, slots=True)
class ProvisionRequested(Event):
    """A softphone://provision link: the sign-in form opens with `url` filled in; nothing is
    fetched and no password is sent until the user types theirs and signs in."""

    id: int
    url: str
    received_at: float  # time.time()


PROVISION_PREFIX = "softphone://provision"
MAX_PROVISION_URL = 2048  # as the provisioning client's limit (provisioning/client.py)
_PROVISION_HOST = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]{2,45}\]$"
)


def is_provision_link(link: str) -> bool:
    """Whether the link means to be a provisioning link (then parse_provision_link decides)."""
    return link.strip()[: len(PROVISION_PREFIX)].lower() == PROVISION_PREFIX


def parse_provision_link(link: str) -> str:
    """The https URL (template) a softphone://provision?url=... link carries; BadLinkError.

    Only `url=` is taken, once; it must be https with a host, without credentials or a
    fragment, at most 2048 characters, with no control, bidi or space characters even after
    percent-decoding. `{email}`, `{user}`, `{domain}` placeholders are kept for the client.
    """
    if len(link) > MAX_PROVISION_URL * 3 + 64:  # the URL, percent-encoded, and the prefix
        raise BadLinkError(LinkRefusal.TOO_LONG)
    if _has_hidden(link):
        raise BadLinkError(LinkRefusal.HIDDEN_CHARACTERS)
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        raise BadLinkError(LinkRefusal.BAD_PROVISIONING_URL) from None
    if (
        parts.scheme.lower() != "softphone"
        or parts.netloc.lower() != "provision"
        or parts.path not in ("", "/")
        or parts.fragment
    ):
        raise BadLinkError(LinkRefusal.UNSUPPORTED_SCHEME)
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise BadLinkError(LinkRefusal.BAD_PROVISIONING_URL) from None
    if len(query) != 1 or query[0][0] != "url":
        raise BadLinkError(LinkRefusal.URI_PARAMETERS)
    url = query[0][1]
    if len(url) > MAX_PROVISION_URL:
        raise BadLinkError(LinkRefusal.TOO_LONG)
    if _has_hidden(url):
        raise BadLinkError(LinkRefusal.HIDDEN_CHARACTERS)
    if any(ch.isspace() or ch in '"<>\\^`|' for ch in url):
        raise BadLinkError(LinkRefusal.BAD_PROVISIONING_URL)
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        raise BadLinkError(LinkRefusal.BAD_PROVISIONING_URL) from None
    if (
        not url.startswith("https://")  # lower case only, as the client requires
        or "@" in target.netloc  # credentials travel as HTTP auth, never in a mailed link
        or not target.hostname
        or not _PROVISION_HOST.match(target.netloc.rsplit(":", 1)[0] if port else target.netloc)
        or target.fragment
        or (port is not None and not 0 < port < 65536)
    ):
        raise BadLinkError(LinkRefusal.BAD_PROVISIONING_URL)
    return url


def _has_hidden(text: str) -> bool:
    # Cc: controls (NUL, CR, LF, ESC...); Cf: bidi overrides, isolates, zero-width joiners;
    # Zl/Zp: line and paragraph separators. Any of them can make the shown text lie.
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") for ch in text)


def parse_link(link: str) -> DialLink:
    """Check a link and say what it would dial; raises BadLinkError with the reason."""
    if len(link) > MAX_LINK_LENGTH:
        raise BadLinkError(LinkRefusal.TOO_LONG)
    if _has_hidden(link):
        raise BadLinkError(LinkRefusal.HIDDEN_CHARACTERS)
    raw = link.strip()
    match = _SCHEME.match(raw)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("tel", "sip", "sips", "callto"):
        raise BadLinkError(LinkRefusal.UNSUPPORTED_SCHEME)
    rest = raw[len(scheme) + 1 :]
    if scheme in ("tel", "callto"):
        rest = rest.removeprefix("//")  # callto://+41..., a form some web pages use
    # Once, and checked again: %0A or %E2%80%AE must not slip past the checks above.
    try:
        decoded = unquote(rest, errors="strict") if "%" in rest else rest
    except UnicodeDecodeError:
        raise BadLinkError(LinkRefusal.NOT_A_NUMBER) from None
    if _has_hidden(decoded):
        raise BadLinkError(LinkRefusal.HIDDEN_CHARACTERS)
    if any(ch in decoded for ch in ";?&="):
        raise BadLinkError(LinkRefusal.URI_PARAMETERS)
    if "%" in decoded or "<" in decoded or ">" in decoded:
        raise BadLinkError(LinkRefusal.NOT_A_NUMBER)  # double-encoded or markup: no number
    if scheme in ("tel", "callto"):
        number = normalize_number(decoded)
        if not _NUMBER.match(number):
            raise BadLinkError(LinkRefusal.NOT_A_NUMBER)
        return DialLink(scheme, number, number, "")
    return _sip_link(scheme, decoded)


def _sip_link(scheme: str, rest: str) -> DialLink:
    user, at, host = rest.partition("@")
    if not at or not _SIP_USER.match(user) or not _SIP_HOST.match(host):
        raise BadLinkError(LinkRefusal.NOT_A_NUMBER)
    # sips: keeps its scheme in the keypad: dropping it would quietly downgrade to sip:.
    number = f"sips:{user}@{host}" if scheme == "sips" else f"{user}@{host}"
    return DialLink(scheme, number, user, host)
