"""Turn what the user typed into a SIP request URI, refusing what cannot be dialled."""

from __future__ import annotations

import re

from softphone.domain.errors import ErrorKey, SoftphoneError

_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_DIALABLE = re.compile(r"^\+?[0-9*#]{1,32}$")
_SIP_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]{1,64}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def normalize_number(text: str) -> str:
    """Strip the separators people type (`+41 (0)44 123-45-67` -> `+410441234567`)."""
    return _SEPARATORS.sub("", text.strip())


def dial_uri(text: str, domain: str) -> str:
    """SIP URI to dial for `text` (a number, `user@host` or a sip: URI) on `domain`."""
    raw = text.strip()
    if not raw or len(raw) > 256:
        raise SoftphoneError(ErrorKey.INVALID_NUMBER)
    lowered = raw.lower()
    if lowered.startswith("tel:"):
        raw = raw[4:]
    elif lowered.startswith(("sip:", "sips:")):
        scheme, _, rest = raw.partition(":")
        return f"{scheme.lower()}:{_checked_user_host(rest, domain)}"
    if "@" in raw:
        return f"sip:{_checked_user_host(raw, domain)}"
    number = normalize_number(raw)
    if not _DIALABLE.match(number):
        raise SoftphoneError(ErrorKey.INVALID_NUMBER)
    return f"sip:{number}@{domain}"


def _checked_user_host(rest: str, domain: str) -> str:
    user, sep, host = rest.partition("@")
    host = host.split(";", 1)[0] if sep else domain
    if not _SIP_USER.match(user) or not _HOST.match(host):
        raise SoftphoneError(ErrorKey.INVALID_NUMBER)
    return f"{user}@{host}"
