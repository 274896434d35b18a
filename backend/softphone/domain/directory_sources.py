"""Directory source settings (CardDAV, LDAP): typed, validated, to and from JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from softphone.domain.errors import ErrorKey, SoftphoneError

# Our field -> LDAP attribute (inetOrgPerson names); number labels map to number attributes.
DEFAULT_LDAP_MAPPING: dict[str, str] = {
    "given": "givenName",
    "family": "sn",
    "display": "cn",
    "org": "o",
    "email": "mail",
    "office": "telephoneNumber",
    "mobile": "mobile",
    "home": "homePhone",
    "fax": "facsimileTelephoneNumber",
    "other": "",
    "extension": "",  # empty: a short number among the others is the extension
}
MIN_SYNC_MINUTES = 5


@dataclass(frozen=True, slots=True)
class CardDavConfig:
    url: str  # the address book collection, e.g. https://pbx.example.com/dav/company/
    user: str = ""
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("http", "https") or not urlsplit(self.url).netloc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "url")


@dataclass(frozen=True, slots=True)
class LdapConfig:
    url: str  # ldap://host:389 or ldaps://host:636
    base: str
    bind_dn: str = ""  # empty: anonymous bind
    filter: str = "(objectClass=inetOrgPerson)"
    start_tls: bool = False  # upgrade ldap:// with StartTLS before binding
    verify_tls: bool = True
    ca_file: str = ""
    mapping: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LDAP_MAPPING))

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("ldap", "ldaps") or not urlsplit(self.url).netloc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "url")
        if not self.base.strip():
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "base")
        if not (self.filter.startswith("(") and self.filter.endswith(")")):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "filter")
        if set(self.mapping) - set(DEFAULT_LDAP_MAPPING):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "mapping")

    def attribute(self, name: str) -> str:
        return self.mapping.get(name, DEFAULT_LDAP_MAPPING.get(name, ""))


@dataclass(frozen=True, slots=True)
class DirectorySources:
    """Where the company directory comes from; passwords live in the keyring."""

    carddav: CardDavConfig | None = None
    ldap: LdapConfig | None = None
    sync_minutes: int = 60

    def __post_init__(self) -> None:
        if self.sync_minutes < MIN_SYNC_MINUTES:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "sync_minutes")


def _build(cls: Any, data: Any) -> Any:
    """A config dataclass from a JSON object; unknown keys and wrong types are refused."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, cls.__name__)
    known = {f.name for f in fields(cls)}
    if set(data) - known:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, next(iter(set(data) - known)))
    for key, value in data.items():
        ok = isinstance(value, dict) if key == "mapping" else isinstance(value, bool | str)
        if key == "mapping" and ok:
            ok = all(isinstance(v, str) for v in value.values())
        if not ok:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, key)
    return cls(**data)


def sources_from_json(data: Any) -> DirectorySources:
    if not isinstance(data, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "directory")
    minutes = data.get("sync_minutes", 60)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "sync_minutes")
    return DirectorySources(
        carddav=_build(CardDavConfig, data.get("carddav")),
        ldap=_build(LdapConfig, data.get("ldap")),
        sync_minutes=minutes,
    )


def sources_to_json(sources: DirectorySources) -> dict[str, Any]:
    def one(cfg: CardDavConfig | LdapConfig | None) -> dict[str, Any] | None:
        if cfg is None:
            return None
        out = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
        if "mapping" in out:
            out["mapping"] = dict(out["mapping"])
        return out

    return {
        "carddav": one(sources.carddav),
        "ldap": one(sources.ldap),
        "sync_minutes": sources.sync_minutes,
    }
