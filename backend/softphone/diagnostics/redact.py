"""Remove passwords, tokens and digest credentials from log text and settings before export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "<redacted>"

# Whole header values: a digest Authorization carries username, nonce and response; a Basic
# or Bearer one carries the secret itself. The header name is kept so support sees it was sent.
_AUTH_HEADER = re.compile(
    r"(?im)^([ \t]*(?:Proxy-)?Authorization[ \t]*:|[ \t]*(?:Proxy|WWW)-Authenticate[ \t]*:)"
    r"[^\r\n]*"
)
# Digest parameters wherever they appear (a header folded across lines, a log line that
# quotes one); quoted or bare values.
_DIGEST_PARAMS = re.compile(
    r"(?i)\b(nonce|cnonce|response|opaque|nextnonce|rspauth)(\s*=\s*)(\"[^\"]*\"|[^\s,;\"]+)"
)
# key=value and "key": "value" pairs whose key names a secret (password, token, credential,
# TURN credentials, secret, api key), in URLs, JSON and log text.
_SECRET_KEY = r"[\w.-]*(?:pass(?:word|wd)?|token|secret|credential|api[_-]?key|auth[_-]?key)[\w.-]*"
_KEY_VALUE = re.compile(rf"(?i)\b({_SECRET_KEY})(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;\"'<>]+)")
_JSON_PAIR = re.compile(rf"(?i)(\"{_SECRET_KEY}\"\s*:\s*)(\"(?:[^\"\\]|\\.)*\")")
# user:password@ in URLs (turn:, ldap://, https://) and SIP URIs (sip:user:password@host).
_URL_USERINFO = re.compile(r"(?i)\b((?:[a-z][a-z0-9+.-]*:)(?://)?[^\s:/@<>\"']+):([^\s@/<>\"']+)@")
_BEARER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# SRTP master keys in SDP (RFC 4568 `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:32`):
# with them a recorded call can be decrypted. Lifetime and MKI after the key are kept.
_SDES_KEY = re.compile(r"(?i)\b(inline:)[A-Za-z0-9+/=]+")

_SECRET_SETTING = re.compile(rf"(?i)^{_SECRET_KEY}$")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret and every credential-looking value masked."""
    # Known values first: a password can show up anywhere, in any form the patterns miss.
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _DIGEST_PARAMS.sub(lambda m: f'{m.group(1)}{m.group(2)}"{MASK}"', text)
    text = _JSON_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    text = _SDES_KEY.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


# Cheap test before the patterns (plain substring search, ~1 us for a SIP message, where a
# case-insensitive regex took ~100 us): most log lines name no credential at all.
_CREDENTIAL_HINTS = (
    "authori",
    "authenticate",
    "nonce",
    "response",
    "opaque",
    "rspauth",
    "bearer",
    "basic",
    "inline:",
)


def redact_credentials(text: str) -> str:
    """`text` with SIP/HTTP credentials and SRTP keys masked (Authorization and Authenticate
    values, digest nonce/response/..., SDES keys): the subset of `redact_text` cheap enough
    for every log line."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _CREDENTIAL_HINTS):
        return text
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _DIGEST_PARAMS.sub(lambda m: f'{m.group(1)}{m.group(2)}"{MASK}"', text)
    text = _SDES_KEY.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def redact_settings(data: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of parsed settings JSON with secret-named keys masked and strings redacted."""
    known = tuple(secrets)
    if isinstance(data, dict):
        return {
            key: MASK
            if isinstance(key, str) and _SECRET_SETTING.match(key) and value not in (None, "")
            else redact_settings(value, known)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact_settings(item, known) for item in data]
    if isinstance(data, str):
        return redact_text(data, known)
    return data
