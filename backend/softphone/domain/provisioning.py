"""The provisioning document (docs/provisioning.md): versioned JSON parsed into domain types."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from softphone.domain.account import AccountConfig, SrtpMode, Transport
from softphone.domain.colleagues import MonitoredUser
from softphone.domain.directory import Contact, ContactNumber, ContactSource
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.feature_codes import FeatureCodes, ForwardingMode
from softphone.domain.settings import LOCKABLE_SETTINGS

FORMAT_VERSION = 1
MAX_DOCUMENT_BYTES = 1_000_000  # a company of a few thousand users fits in well under this
MAX_DEPTH = 8  # the format nests four levels; deeper is an attack or a mistake
MAX_TEXT = 256
MAX_PASSWORD = 256
MAX_COLLEAGUES = 5000
MAX_PANEL = 200  # settings.blf_users holds at most this many (domain/colleagues.py)
MAX_CONTACTS = 5000
MAX_NUMBERS = 10
# Settings an administrator may lock (shown read-only, not changed by the user); the
# voicemail number is locked apart from the other feature codes.
LOCKABLE = frozenset({*LOCKABLE_SETTINGS, "voicemail"})
_NUMBER = re.compile(r"^\+?[0-9*#][0-9*# ()./-]{0,39}$")


def _fail(path: str) -> SoftphoneError:
    return SoftphoneError(ErrorKey.PROVISIONING_INVALID, path)


@dataclass(frozen=True, slots=True)
class ProvisionedAccount:
    """The SIP account; `sip_password` empty: the password typed at sign-in is the SIP one."""

    config: AccountConfig
    sip_password: str = ""
    outbound_proxy: str = ""
    stun_server: str = ""
    turn_server: str = ""
    turn_user: str = ""
    turn_password: str = field(default="", repr=False)

    def __repr__(self) -> str:  # passwords never end up in a log line by accident
        return f"ProvisionedAccount({self.config!r})"


@dataclass(frozen=True, slots=True)
class ProvisionedCardDav:
    url: str
    user: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ProvisionedLdap:
    url: str
    base: str
    bind_dn: str = ""
    password: str = field(default="", repr=False)
    filter: str = ""
    start_tls: bool = False


@dataclass(frozen=True, slots=True)
class InlineContact:
    """An entry of an inline directory (no server to sync with)."""

    name: str
    numbers: tuple[str, ...]
    extension: str = ""


def inline_directory(entries: tuple[InlineContact, ...]) -> tuple[Contact, ...]:
    """The inline entries as read-only directory contacts (source `provisioned`).

    The name is the contact's formatted name; the numbers are office numbers, the extension
    first when it is not among them (so an extension-only entry can be called and found by
    number). The uid is the extension, else the name; a repeated one gets `#2`, `#3`...
    """
    out: list[Contact] = []
    seen: set[str] = set()
    for entry in entries:
        base = f"ext:{entry.extension}" if entry.extension else f"name:{entry.name}"[:190]
        uid, n = base, 1
        while uid in seen:
            n += 1
            uid = f"{base}#{n}"
        seen.add(uid)
        raw = entry.numbers
        if entry.extension and entry.extension not in raw:
            raw = (entry.extension, *raw)
        out.append(
            Contact(
                source=ContactSource.PROVISIONED,
                uid=uid,
                display=entry.name,
                numbers=tuple(ContactNumber("office", number) for number in raw),
                internal=bool(entry.extension),
                extension=entry.extension,
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ProvisioningDocument:
    """Everything one user's document says; absent parts are None or empty."""

    account: ProvisionedAccount | None = None
    carddav: ProvisionedCardDav | None = None
    ldap: ProvisionedLdap | None = None
    contacts: tuple[InlineContact, ...] = ()
    colleagues: tuple[MonitoredUser, ...] = ()  # offered in the BLF picker
    panel: tuple[str, ...] = ()  # extensions on the BLF panel at first sign-in
    feature_codes: FeatureCodes | None = None
    voicemail: str = ""
    locked: frozenset[str] = frozenset()
    refresh_minutes: int = 0  # 0: the app's default


class _Reader:
    """Typed access to one JSON object; every refusal names its field by dotted path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise _fail(path or "document")
        self.data = data
        self.path = path

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, max_len: int = MAX_TEXT, secret: bool = False) -> str:
        value = self.data.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > max_len:
            raise _fail(self._name(key))
        # Control characters end up in SIP headers, LDAP filters, logs: refuse, do not strip.
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise _fail(self._name(key))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from \ud800 in the JSON
            raise _fail(self._name(key)) from exc
        return value if secret else value.strip()

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise _fail(self._name(key))
        return value

    def integer(self, key: str, low: int, high: int, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _fail(self._name(key))
        return value

    def child(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        return None if value is None else _Reader(value, self._name(key))

    def items(self, key: str, limit: int) -> list[Any]:
        value = self.data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > limit:
            raise _fail(self._name(key))
        return value


def parse_document(raw: bytes | str, *, sign_in_user: str = "") -> ProvisioningDocument:
    """Parse and check a document; SoftphoneError(provisioning_invalid, field) when bad.

    Unknown keys are ignored (a newer server may add some); a known key with a bad value is
    refused as a whole, so half a configuration is never applied.
    """
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise SoftphoneError(ErrorKey.PROVISIONING_INVALID, "document", "too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: thousands of nested [[[
        raise _fail("document") from exc
    _check_depth(data, 0)
    top = _Reader(data, "")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail("version")
    if version > FORMAT_VERSION:
        # A later major version may change meanings: refuse rather than misread it.
        raise SoftphoneError(ErrorKey.PROVISIONING_INVALID, "version", "unsupported")
    account = _account(top.child("account"), sign_in_user)
    directory = top.child("directory")
    carddav = ldap = None
    contacts: tuple[InlineContact, ...] = ()
    if directory is not None:
        carddav = _carddav(directory.child("carddav"))
        ldap = _ldap(directory.child("ldap"))
        contacts = _contacts(directory)
    colleagues = _colleagues(top)
    panel = _panel(top, colleagues)
    codes = _feature_codes(top.child("feature_codes"))
    voicemail = top.text("voicemail", max_len=32)
    if voicemail and not _NUMBER.match(voicemail):
        raise _fail("voicemail")
    locked = top.items("locked", len(LOCKABLE))
    if not all(isinstance(x, str) and x in LOCKABLE for x in locked):
        raise _fail("locked")
    return ProvisioningDocument(
        account=account,
        carddav=carddav,
        ldap=ldap,
        contacts=contacts,
        colleagues=colleagues,
        panel=panel,
        feature_codes=codes,
        voicemail=voicemail,
        locked=frozenset(locked),
        refresh_minutes=top.integer("refresh_minutes", 0, 7 * 24 * 60, 0),
    )


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise SoftphoneError(ErrorKey.PROVISIONING_INVALID, "document", "nested too deeply")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)


def _account(r: _Reader | None, sign_in_user: str) -> ProvisionedAccount | None:
    if r is None:
        return None
    try:
        transport = Transport(r.text("transport", max_len=8).lower() or "udp")
    except ValueError as exc:
        raise _fail("account.transport") from exc
    try:
        srtp = SrtpMode(r.text("srtp", max_len=16).lower() or "off")
    except ValueError as exc:
        raise _fail("account.srtp") from exc
    server, user = r.text("server"), r.text("user", max_len=64) or sign_in_user
    auth_user, display_name = r.text("auth_user", max_len=64), r.text("display_name", max_len=64)
    realm = r.text("realm", max_len=128)
    try:
        config = AccountConfig(
            server=server,
            user=user,
            auth_user=auth_user,
            display_name=display_name,
            realm=realm,
            transport=transport,
            srtp=srtp,
        )
    except SoftphoneError as exc:
        # AccountConfig names its own field: say where it is in the document.
        raise _fail(f"account.{exc.field or 'server'}") from exc
    turn = r.child("turn")
    turn_server = turn_user = turn_password = ""
    if turn is not None:
        turn_server, turn_user = turn.text("server"), turn.text("user", max_len=128)
        turn_password = turn.text("password", max_len=MAX_PASSWORD, secret=True)
        if turn_server and not turn_user:
            raise _fail("account.turn.user")
    for name, value in (
        ("outbound_proxy", r.text("outbound_proxy")),
        ("stun_server", r.text("stun_server")),
        ("turn.server", turn_server),
    ):
        if value and not _server_ok(value):
            raise _fail(f"account.{name}")
    return ProvisionedAccount(
        config=config,
        sip_password=r.text("password", max_len=MAX_PASSWORD, secret=True),
        outbound_proxy=r.text("outbound_proxy"),
        stun_server=r.text("stun_server"),
        turn_server=turn_server,
        turn_user=turn_user,
        turn_password=turn_password,
    )


def _server_ok(value: str) -> bool:
    try:
        AccountConfig(server=value, user="x")
    except SoftphoneError:
        return False
    return True


def _url(r: _Reader, key: str, schemes: tuple[str, ...]) -> str:
    from urllib.parse import urlsplit

    url = r.text(key, max_len=1024)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _fail(r._name(key)) from exc
    if parts.scheme not in schemes or not parts.hostname or " " in url:
        raise _fail(r._name(key))
    return url


def _carddav(r: _Reader | None) -> ProvisionedCardDav | None:
    if r is None:
        return None
    return ProvisionedCardDav(
        url=_url(r, "url", ("https", "http")),
        user=r.text("user"),
        password=r.text("password", max_len=MAX_PASSWORD, secret=True),
    )


def _ldap(r: _Reader | None) -> ProvisionedLdap | None:
    if r is None:
        return None
    base = r.text("base")
    if not base:
        raise _fail("directory.ldap.base")
    ldap_filter = r.text("filter")
    if ldap_filter and not (ldap_filter.startswith("(") and ldap_filter.endswith(")")):
        raise _fail("directory.ldap.filter")
    return ProvisionedLdap(
        url=_url(r, "url", ("ldaps", "ldap")),
        base=base,
        bind_dn=r.text("bind_dn"),
        password=r.text("password", max_len=MAX_PASSWORD, secret=True),
        filter=ldap_filter,
        start_tls=r.flag("start_tls"),
    )


def _contacts(directory: _Reader) -> tuple[InlineContact, ...]:
    out = []
    for i, item in enumerate(directory.items("contacts", MAX_CONTACTS)):
        r = _Reader(item, f"directory.contacts[{i}]")
        name = r.text("name", max_len=200)
        if not name:
            raise _fail(f"directory.contacts[{i}].name")
        numbers = []
        for j, number in enumerate(r.items("numbers", MAX_NUMBERS)):
            if not isinstance(number, str) or not _NUMBER.match(number.strip()):
                raise _fail(f"directory.contacts[{i}].numbers[{j}]")
            numbers.append(number.strip())
        extension = r.text("extension", max_len=32)
        if not numbers and not extension:
            raise _fail(f"directory.contacts[{i}].numbers")
        out.append(InlineContact(name, tuple(numbers), extension))
    return tuple(out)


def _colleagues(top: _Reader) -> tuple[MonitoredUser, ...]:
    users: dict[str, MonitoredUser] = {}
    for i, item in enumerate(top.items("colleagues", MAX_COLLEAGUES)):
        r = _Reader(item, f"colleagues[{i}]")
        extension, name = r.text("extension", max_len=32), r.text("name", max_len=64)
        try:
            user = MonitoredUser(extension, name)
        except SoftphoneError as exc:
            raise _fail(f"colleagues[{i}].{exc.field}") from exc
        users.setdefault(user.extension, user)  # a duplicate keeps the first, as blf_users
    return tuple(users.values())


def _panel(top: _Reader, colleagues: tuple[MonitoredUser, ...]) -> tuple[str, ...]:
    known = {c.extension for c in colleagues}
    panel: list[str] = []
    for i, item in enumerate(top.items("panel", MAX_PANEL)):
        # Only colleagues the document names: the panel needs their names, and a typo
        # would otherwise watch a stranger's line.
        if not isinstance(item, str) or item.strip() not in known:
            raise _fail(f"panel[{i}]")
        if item.strip() not in panel:
            panel.append(item.strip())
    return tuple(panel)


def _feature_codes(r: _Reader | None) -> FeatureCodes | None:
    if r is None:
        return None
    base = FeatureCodes()
    values: dict[str, Any] = {}
    for name in (
        "unconditional_on",
        "unconditional_off",
        "busy_on",
        "busy_off",
        "no_answer_on",
        "no_answer_off",
        "pickup_prefix",
    ):
        values[name] = r.text(name, max_len=32) if name in r.data else getattr(base, name)
    try:
        mode = ForwardingMode(r.text("forwarding_mode", max_len=8) or "app")
    except ValueError as exc:
        raise _fail("feature_codes.forwarding_mode") from exc
    try:
        return FeatureCodes(forwarding_mode=mode, **values)
    except SoftphoneError as exc:
        raise _fail(exc.field or "feature_codes") from exc
