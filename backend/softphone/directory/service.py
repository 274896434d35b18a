"""The directory as the app uses it: personal contacts, search, name lookup, background sync."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from softphone.bus import EventBus
from softphone.directory.carddav import CardDavSync, SyncResult
from softphone.directory.importexport import ImportFormat, ImportResult, export, parse_import
from softphone.directory.ldap import LdapSync
from softphone.directory.store import DirectoryStore
from softphone.domain.directory import (
    Contact,
    ContactNumber,
    ContactSource,
    DirectoryChanged,
    DirectoryStatusChanged,
    DisplayOrder,
    SourceStatus,
)
from softphone.domain.directory_sources import DirectorySources
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS

log = logging.getLogger(__name__)

SYNCED = (ContactSource.CARDDAV, ContactSource.LDAP)


class Directory:
    """Owns the store and the sync thread; every method is safe from any thread."""

    def __init__(
        self,
        store: DirectoryStore,
        bus: EventBus,
        sources: Callable[[], DirectorySources],
        order: Callable[[], DisplayOrder],
        password: Callable[[str], str | None],
    ) -> None:
        self.store = store
        self._bus = bus
        self._sources = sources
        self._order = order
        self._password = password
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._syncing: set[ContactSource] = set()
        self._skipped: dict[ContactSource, int] = {}
        self._lock = threading.Lock()
        self._applied = sources()

    def apply(self, home_country: str, sources: DirectorySources) -> None:
        """Settings changed: re-key numbers for a new home country, re-sync new sources."""
        if home_country != self.store.home_country:
            self.store.set_home_country(home_country)
            self._bus.publish(DirectoryChanged())
        if sources != self._applied:
            self._applied = sources
            self.refresh()

    def set_provisioned(self, contacts: tuple[Contact, ...]) -> bool:
        """The provisioning document's inline directory: the `provisioned` source holds exactly
        `contacts` (entries no longer listed go, changed ones change); read-only to the user.
        False when it held them already (nothing rewritten: ids and shown results stay)."""
        if any(c.source is not ContactSource.PROVISIONED for c in contacts):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "source")
        stored = {
            replace(c, id=None, numbers=tuple(ContactNumber(n.label, n.number) for n in c.numbers))
            for c in self.store.all(ContactSource.PROVISIONED, self._order())
        }
        if len(stored) == len(contacts) and stored == set(contacts):
            return False
        self.store.replace_source(ContactSource.PROVISIONED, contacts)
        self.store.set_sync_state(ContactSource.PROVISIONED, synced_at=round(time.time() * 1000))
        log.info("provisioned directory: %d entries", len(contacts))
        self._bus.publish(DirectoryChanged())
        self._publish_status()
        return True

    # --- search and lookup ----------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[Contact]:
        return self.store.search(query, limit, self._order())

    def name_for(self, number: str) -> str | None:
        """The directory name of a caller or callee, None when unknown (or lookup failed)."""
        try:
            return self.store.lookup_number(number, self._order())
        except Exception:  # a caller ID must never break call handling
            log.exception("directory lookup failed")
            return None

    # --- personal contacts --------------------------------------------------------------

    def create(self, contact: Contact) -> Contact:
        contact = replace(contact, source=ContactSource.PERSONAL, uid=str(uuid.uuid4()), id=None)
        return self._save(contact)

    def update(self, contact_id: int, contact: Contact) -> Contact:
        current = self.store.get(contact_id)
        if current is None or current.source is not ContactSource.PERSONAL:
            raise SoftphoneError(ErrorKey.CONTACT_NOT_FOUND, "id")
        return self._save(replace(contact, source=current.source, uid=current.uid, id=None))

    def delete(self, contact_id: int) -> None:
        current = self.store.get(contact_id)
        if current is None or current.source is not ContactSource.PERSONAL:
            raise SoftphoneError(ErrorKey.CONTACT_NOT_FOUND, "id")
        self.store.delete(ContactSource.PERSONAL, [current.uid])
        self._bus.publish(DirectoryChanged())

    def _save(self, contact: Contact) -> Contact:
        (contact_id,) = self.store.upsert([contact])
        self._bus.publish(DirectoryChanged())
        saved = self.store.get(contact_id)
        assert saved is not None
        return saved

    def import_contacts(self, fmt: ImportFormat, data: str) -> ImportResult:
        result = parse_import(fmt, data)
        if result.contacts:
            self.store.upsert(result.contacts)
            self._bus.publish(DirectoryChanged())
        return result

    def export_contacts(self, fmt: ImportFormat) -> str:
        return export(fmt, self.store.all(ContactSource.PERSONAL, self._order()))

    # --- sync ---------------------------------------------------------------------------

    def start(self) -> None:
        """Sync now, then every `sync_minutes`, on a thread of its own."""
        self._thread = threading.Thread(target=self._run, name="directory-sync", daemon=True)
        self._wake.set()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=20)

    def refresh(self) -> None:
        """Sync every configured source now (in the background)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=self._sources().sync_minutes * 60)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.sync_now()

    def sync_now(self) -> dict[ContactSource, SyncResult | SoftphoneError]:
        """Sync every configured source on this thread; failures are recorded, not raised."""
        results: dict[ContactSource, SyncResult | SoftphoneError] = {}
        for source in SYNCED:
            syncer = self._syncer(source)
            if syncer is None:
                continue
            with self._lock:
                self._syncing.add(source)
            self._publish_status()
            try:
                results[source] = result = syncer.sync()
                self._skipped[source] = result.skipped
                self.store.set_sync_state(source, synced_at=round(time.time() * 1000))
                log.info("directory %s synced: %s", source, result)
            except SoftphoneError as exc:
                log.warning("directory %s sync failed: %s", source, exc)
                results[source] = exc
                self.store.set_sync_state(source, error=exc.key.value)
            except Exception:
                log.exception("directory %s sync failed", source)
                results[source] = SoftphoneError(ErrorKey.INTERNAL_ERROR)
                self.store.set_sync_state(source, error=ErrorKey.INTERNAL_ERROR.value)
            finally:
                with self._lock:
                    self._syncing.discard(source)
                close = getattr(syncer, "close", None)
                if close is not None:
                    close()
            self._bus.publish(DirectoryChanged())
            self._publish_status()
        return results

    def _syncer(self, source: ContactSource) -> Any:
        sources = self._sources()
        password = self._password(DIRECTORY_SECRET_KEYS[source]) or ""
        if source is ContactSource.CARDDAV and sources.carddav is not None:
            return CardDavSync(sources.carddav, password, self.store)
        if source is ContactSource.LDAP and sources.ldap is not None:
            return LdapSync(sources.ldap, password, self.store)
        return None

    def statuses(self) -> tuple[SourceStatus, ...]:
        sources = self._sources()
        configured = {
            ContactSource.CARDDAV: sources.carddav is not None,
            ContactSource.LDAP: sources.ldap is not None,
            ContactSource.PERSONAL: True,
            ContactSource.PROVISIONED: self.store.count(ContactSource.PROVISIONED) > 0,
        }
        out = []
        for source in (ContactSource.PERSONAL, *SYNCED, ContactSource.PROVISIONED):
            _, synced_at, error = self.store.sync_state(source)
            with self._lock:
                syncing = source in self._syncing
            out.append(
                SourceStatus(
                    source=source,
                    configured=configured[source],
                    syncing=syncing,
                    synced_at=synced_at / 1000 if synced_at is not None else None,
                    error=ErrorKey(error) if error else None,
                    count=self.store.count(source),
                    skipped=self._skipped.get(source, 0),
                )
            )
        return tuple(out)

    def _publish_status(self) -> None:
        self._bus.publish(DirectoryStatusChanged(self.statuses()))
