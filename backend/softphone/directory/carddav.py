"""CardDAV address book sync: sync-collection with a sync-token, else ETag comparison."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urljoin, urlsplit

from softphone.directory.store import DirectoryStore
from softphone.directory.vcard import BadCardError, parse_card
from softphone.domain.directory import Contact, ContactSource
from softphone.domain.directory_sources import CardDavConfig
from softphone.domain.errors import ErrorKey, SoftphoneError

# requests is imported by the first sync, not at the app's start (issue 21).
if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

DAV = "DAV:"
CARD = "urn:ietf:params:xml:ns:carddav"
MULTIGET_BATCH = 200
SOURCE = ContactSource.CARDDAV

_SYNC_BODY = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">
  <d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>
  <d:prop><d:getetag/><c:address-data/></d:prop>
</d:sync-collection>"""
_PROPFIND_BODY = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>"""
_MULTIGET_BODY = """<?xml version="1.0" encoding="utf-8"?>
<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">
  <d:prop><d:getetag/><c:address-data/></d:prop>{hrefs}
</c:addressbook-multiget>"""


@dataclass(slots=True)
class SyncResult:
    """What one sync did; `skipped` counts cards that could not become contacts."""

    mode: str = ""  # full | incremental | etag
    upserted: int = 0
    deleted: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1


@dataclass(frozen=True, slots=True)
class _Item:
    href: str
    status: int
    etag: str
    data: str


class CardDavSync:
    """Brings the local copy of one address book up to date; raises SoftphoneError keys."""

    def __init__(
        self, config: CardDavConfig, password: str, store: DirectoryStore, timeout: float = 15
    ) -> None:
        self.config = config
        self._store = store
        self._timeout = timeout
        import requests

        self._http = requests.Session()
        if config.user:
            self._http.auth = (config.user, password)
        self._http.verify = config.verify_tls

    def close(self) -> None:
        self._http.close()

    def sync(self) -> SyncResult:
        token, _, _ = self._store.sync_state(SOURCE)
        response = self._request("REPORT", self.config.url, _SYNC_BODY.format(token=token), 1)
        if response.status_code in (403, 409) and token and b"valid-sync-token" in response.content:
            log.info("carddav sync token expired: full sync")
            token = ""
            response = self._request("REPORT", self.config.url, _SYNC_BODY.format(token=""), 1)
        if response.status_code in (400, 403, 405, 415, 501):  # no sync-collection here
            return self._sync_by_etag()
        self._check(response)
        root = _xml(response.content)
        result = SyncResult(mode="incremental" if token else "full")
        contacts: list[Contact] = []
        gone: list[str] = []
        for item in _items(root, self.config.url):
            if item.status == 404:
                gone.append(item.href)
            elif item.status == 200 and item.data:
                self._add(contacts, item, result)
        new_token = root.findtext(f"{{{DAV}}}sync-token") or ""
        if token:
            self._store.upsert(contacts)
            result.deleted = self._store.delete(SOURCE, gone)
        else:
            self._store.replace_source(SOURCE, contacts)
        result.upserted = len(contacts)
        self._store.set_sync_state(SOURCE, token=new_token)
        return result

    def _sync_by_etag(self) -> SyncResult:
        result = SyncResult(mode="etag")
        response = self._request("PROPFIND", self.config.url, _PROPFIND_BODY, 1)
        self._check(response)
        remote = {
            i.href: i.etag
            for i in _items(_xml(response.content), self.config.url)
            if i.status == 200 and not i.href.endswith("/")
        }
        local = self._store.etags(SOURCE)
        changed = [href for href, etag in remote.items() if local.get(href) != etag]
        contacts: list[Contact] = []
        for start in range(0, len(changed), MULTIGET_BATCH):
            hrefs = "".join(
                f"<d:href>{_escape(quote(urlsplit(urljoin(self.config.url, h)).path))}</d:href>"
                for h in changed[start : start + MULTIGET_BATCH]
            )
            resp = self._request("REPORT", self.config.url, _MULTIGET_BODY.format(hrefs=hrefs), 1)
            self._check(resp)
            for item in _items(_xml(resp.content), self.config.url):
                if item.status == 200 and item.data:
                    self._add(contacts, item, result)
        self._store.upsert(contacts)
        result.upserted = len(contacts)
        result.deleted = self._store.delete(SOURCE, [h for h in local if h not in remote])
        self._store.set_sync_state(SOURCE, token="")
        return result

    def _add(self, contacts: list[Contact], item: _Item, result: SyncResult) -> None:
        try:
            contacts.append(parse_card(item.data, SOURCE, uid=item.href, etag=item.etag))
        except BadCardError as exc:
            log.info("carddav: skipped %s: %s", item.href, exc.reason)
            result.skip(exc.reason)

    def _request(self, method: str, url: str, body: str, depth: int) -> requests.Response:
        import requests

        headers = {"Depth": str(depth), "Content-Type": "application/xml; charset=utf-8"}
        try:
            return self._http.request(
                method, url, data=body.encode(), headers=headers, timeout=self._timeout
            )
        except requests.exceptions.SSLError as exc:
            raise SoftphoneError(ErrorKey.TLS_FAILED, detail=str(exc)) from exc
        except requests.Timeout as exc:
            raise SoftphoneError(ErrorKey.TIMEOUT, detail=str(exc)) from exc
        except requests.RequestException as exc:
            raise SoftphoneError(ErrorKey.SERVER_UNREACHABLE, detail=str(exc)) from exc

    @staticmethod
    def _check(response: requests.Response) -> None:
        if response.status_code in (401, 403):
            raise SoftphoneError(ErrorKey.AUTH_FAILED, detail=str(response.status_code))
        if response.status_code != 207:
            raise SoftphoneError(
                ErrorKey.DIRECTORY_BAD_RESPONSE, detail=f"HTTP {response.status_code}"
            )


def _xml(content: bytes) -> ET.Element:
    try:
        return ET.fromstring(content)
    except ET.ParseError as exc:
        raise SoftphoneError(ErrorKey.DIRECTORY_BAD_RESPONSE, detail=str(exc)) from exc


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _status(text: str | None) -> int:
    """200 from 'HTTP/1.1 200 OK'; 0 when missing or unreadable."""
    parts = (text or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _items(root: ET.Element, base: str) -> Iterator[_Item]:
    """The responses of a multistatus, skipping the collection itself."""
    if root.tag != f"{{{DAV}}}multistatus":
        raise SoftphoneError(ErrorKey.DIRECTORY_BAD_RESPONSE, detail=root.tag)
    collection = urlsplit(base).path.rstrip("/")
    for response in root.iter(f"{{{DAV}}}response"):
        href = unquote(response.findtext(f"{{{DAV}}}href") or "").strip()
        if not href or urlsplit(href).path.rstrip("/") == collection:
            continue
        status = _status(response.findtext(f"{{{DAV}}}status"))
        etag = data = ""
        for propstat in response.iter(f"{{{DAV}}}propstat"):
            if _status(propstat.findtext(f"{{{DAV}}}status")) != 200:
                continue
            status = 200
            etag = propstat.findtext(f".//{{{DAV}}}getetag") or ""
            data = propstat.findtext(f".//{{{CARD}}}address-data") or ""
        yield _Item(href, status, etag, data)
