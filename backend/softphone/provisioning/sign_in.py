"""Sign in with an e-mail and a password: provisioning document, else RFC 3263, then REGISTER."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.domain.account import AccountConfig
from softphone.domain.directory import Contact, ContactSource
from softphone.domain.directory_sources import CardDavConfig, DirectorySources, LdapConfig
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SettingsChanged
from softphone.domain.provisioning import ProvisioningDocument, inline_directory, parse_document
from softphone.domain.settings import Settings
from softphone.phone.account import AccountManager
from softphone.provisioning import defaults
from softphone.provisioning.client import (
    Identity,
    NotProvisionedError,
    ca_bundle,
    expand_url,
    fetch,
)
from softphone.provisioning.dns_locate import (
    locate_sip_server,
    make_resolver,
    provisioning_url_from_dns,
)
from softphone.provisioning.state import ProvisioningState, StateFile
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS, SecretStore, account_secret_key
from softphone.settings.store import SettingsStore
from softphone.settings.trust import TrustStore

if TYPE_CHECKING:
    import dns.resolver

log = logging.getLogger(__name__)

MAX_PASSWORD = 256
DEFAULT_LDAP_FILTER = "(objectClass=inetOrgPerson)"  # as LdapConfig's default


def sign_in_secret_key(email: str) -> str:
    """Keyring entry of the sign-in password (re-fetches need it when the SIP one differs)."""
    return f"provisioning:{email.lower()}"


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a re-fetch did: `changed` False on 304 or an identical document."""

    changed: bool
    reregistered: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    method: str  # "provisioning" or "dns"
    persistent: bool  # False: no keyring, the password is asked again at next start


class SignIn:
    """The e-mail sign-in flow; nothing is stored unless the PBX accepted the registration."""

    def __init__(
        self,
        *,
        accounts: AccountManager,
        settings: SettingsStore,
        secrets: SecretStore,
        trust: TrustStore,
        state: StateFile,
        publish: Callable[[Event], None],
        url_option: str = "",
        resolver: Callable[[], dns.resolver.Resolver] = make_resolver,
        provisioned_contacts: Callable[[tuple[Contact, ...]], bool] = lambda _: False,
        directory_refresh: Callable[[], None] = lambda: None,
    ) -> None:
        self._accounts = accounts
        self._settings = settings
        self._secrets = secrets
        self._trust = trust
        self._state = state
        self._publish = publish
        self._url_option = url_option
        self._resolver = resolver
        # The directory's inline set (Directory.set_provisioned): exactly the document's.
        self._provisioned_contacts = provisioned_contacts
        self._directory_refresh = directory_refresh  # Directory.refresh: sync in the background
        self._lock = threading.Lock()  # one sign-in or re-fetch at a time (timer, Refresh)
        # A corrupt settings file was moved aside at this start: sign in again, once, from
        # the last provisioning (never after the user's own sign-out later on).
        self._may_restore = settings.recovered_from is not None
        self.restored = False  # the account came back from the provisioning service

    def configured_url(self) -> str:
        """--provisioning-url, else the environment, else the build's default ("" if none)."""
        return self._url_option or os.environ.get(defaults.ENV_URL, "") or defaults.PROVISIONING_URL

    @property
    def settings_recovered_from(self) -> Path | None:
        """The saved copy of a corrupt settings file moved aside at this start, if any."""
        return self._settings.recovered_from

    @property
    def state(self) -> ProvisioningState:
        return self._state.load()

    def sign_in(self, email: str, password: str, url: str = "") -> Outcome:
        """`url`: a template the user was given (a softphone://provision link), else found."""
        with self._lock:
            return self._sign_in(email, password, url)

    def _sign_in(self, email: str, password: str, url: str) -> Outcome:
        who = Identity.parse(email)
        if not password or len(password) > MAX_PASSWORD:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "password")
        resolver = self._resolver()
        template = url or self.configured_url() or provisioning_url_from_dns(who.domain, resolver)
        document: ProvisioningDocument | None = None
        etag = ""
        if template:
            target = expand_url(template, who)
            ca_file = ca_bundle(self._trust, target, self._trust.directory)
            try:
                fetched = fetch(target, who, password, ca_file=ca_file)
            except NotProvisionedError:
                log.info("no provisioning document for this user (404): DNS look-up")
            else:
                document = parse_document(fetched.body or b"", sign_in_user=who.user)
                etag = fetched.etag
        if document is not None and document.account is not None:
            account = document.account.config
            sip_password = document.account.sip_password or password
        else:
            found = locate_sip_server(who.domain, resolver)
            try:
                account = AccountConfig(
                    server=found.server, user=who.user, transport=found.transport
                )
            except SoftphoneError as exc:
                raise SoftphoneError(ErrorKey.NO_SIP_SERVER, exc.field) from exc
        log.info("signing in to %s by %s", account.server, "provisioning" if document else "DNS")
        before = self._settings.settings
        if document is not None:
            self._apply_network(document)
        try:
            self._accounts.setup(account, sip_password if document else password)
        except SoftphoneError:
            self._forget_network(before, document)
            raise
        saved = self._secrets.persistent
        if document is not None:
            # False also when a keyring exists but refused the write (locked, broken).
            saved = self._secrets.set(sign_in_secret_key(who.email), password)
            self._apply(document)
            self._state.save(self._new_state(template, who, etag, document))
        else:
            self._state.clear()
            self._provisioned_contacts(())  # no document: no inline directory of an old one
        return Outcome("provisioning" if document else "dns", saved)

    # --- re-provisioning -----------------------------------------------------------------------

    def refresh(self) -> Refreshed | None:
        """Fetch the document again (If-None-Match) and apply what changed, live.

        None: not signed in by provisioning. Raises SoftphoneError (provisioning_unreachable,
        provisioning_auth_failed, tls_untrusted, provisioning_invalid, or the registration's
        error when a moved server refuses); the last good copy then stays in force.
        """
        with self._lock:
            state = self._state.load()
            current = self._settings.settings.account
            if not state.url or not state.email:
                return None
            if current is None:
                return self._restore(state)
            who = Identity.parse(state.email)
            password = self._secrets.get(sign_in_secret_key(who.email))
            if password is None:  # no keyring and a restart since: asked at the next sign-in
                raise SoftphoneError(ErrorKey.PROVISIONING_AUTH_FAILED)
            target = expand_url(state.url, who)
            ca_file = ca_bundle(self._trust, target, self._trust.directory)
            try:
                fetched = fetch(target, who, password, ca_file=ca_file, etag=state.etag)
            except NotProvisionedError as exc:  # the document vanished: keep the last good one
                raise SoftphoneError(ErrorKey.PROVISIONING_UNREACHABLE, detail="404") from exc
            if fetched.body is None:
                self._state.save(replace(state, fetched_at=time.time()))
                return Refreshed(changed=False)
            document = parse_document(fetched.body, sign_in_user=who.user)
            reregistered = self._reapply_account(document, current, password)
            self._drop_removed_colleagues(state, document)
            contacts_changed = self._apply(document)
            new_state = self._new_state(state.url, who, fetched.etag, document)
            changed = (
                reregistered
                or contacts_changed
                or replace(new_state, fetched_at=0.0, etag="")
                != replace(state, fetched_at=0.0, etag="")
            )
            self._state.save(new_state)
            log.info("provisioning refreshed (%s)", "changed" if changed else "same document")
            return Refreshed(changed=changed, reregistered=reregistered)

    def _restore(self, state: ProvisioningState) -> Refreshed | None:
        """The settings were lost (corrupt file moved aside) but the provisioning service and
        the sign-in password are known: sign in again as the user did, without asking."""
        if not self._may_restore:
            return None
        password = self._secrets.get(sign_in_secret_key(state.email))
        if password is None:
            return None
        log.info("settings were reset: signing in again from the provisioning service")
        self._sign_in(state.email, password, state.url)  # raises: retried at the next refresh
        self._may_restore = False
        self.restored = True
        return Refreshed(changed=True, reregistered=True)

    def _reapply_account(
        self, document: ProvisioningDocument, current: AccountConfig, password: str
    ) -> bool:
        """Re-register when the document moved the account (server, user, transport, ...)."""
        if document.account is None:
            return False
        given = document.account.config
        wanted = replace(
            current,
            server=given.server,
            user=given.user,
            auth_user=given.auth_user,
            display_name=given.display_name,
            realm=given.realm,
            transport=given.transport,
            srtp=given.srtp,
        )
        sip_password = document.account.sip_password or password
        if wanted == current and self._secrets.get(account_secret_key(current)) == sip_password:
            self._apply_network(document)  # a proxy/STUN change applies at next registration
            return False
        log.info("provisioning moved the account to %s: registering again", wanted.server)
        before = self._settings.settings
        self._apply_network(document)
        try:
            self._accounts.setup(wanted, sip_password)  # restores the old account on failure
        except SoftphoneError:
            self._forget_network(before, document)
            raise
        return True

    def _drop_removed_colleagues(
        self, state: ProvisioningState, document: ProvisioningDocument
    ) -> None:
        """A colleague the service no longer lists (left the company) leaves the panel too;
        extensions the user added themselves (never provisioned) stay."""
        gone = {c.extension for c in state.colleagues} - {c.extension for c in document.colleagues}
        panel = self._settings.settings.blf_users
        kept = tuple(u for u in panel if u.extension not in gone)
        if kept != panel:
            self._settings.save(self._settings.settings.with_changes(blf_users=kept))

    # --- applying a document ------------------------------------------------------------------

    def _apply_network(self, document: ProvisioningDocument) -> None:
        """Before registering: the engine takes proxy/STUN/TURN from the settings it reads."""
        acc = document.account
        if acc is None:
            return
        current = self._settings.settings
        network = replace(
            current.network,
            outbound_proxy=acc.outbound_proxy,
            stun_server=acc.stun_server,
            turn_server=acc.turn_server,
            turn_user=acc.turn_user,
        )
        if acc.turn_password:
            self._secrets.set(network.turn_secret_key, acc.turn_password)
        if network != current.network:
            self._settings.save(current.with_changes(network=network))

    def _forget_network(self, before: Settings, document: ProvisioningDocument | None) -> None:
        acc = document.account if document else None
        if acc is not None and acc.turn_password:
            key = replace(before.network, turn_server=acc.turn_server, turn_user=acc.turn_user)
            if key.turn_secret_key != before.network.turn_secret_key:
                self._secrets.delete(key.turn_secret_key)
        current = self._settings.settings
        if current.network != before.network:
            self._settings.save(current.with_changes(network=before.network))

    def _apply(self, document: ProvisioningDocument) -> bool:
        """Directory, feature codes, voicemail, first panel; then one SettingsChanged.

        True when the inline directory changed (the other parts show in the saved state)."""
        # The inline directory is the document's alone (the user cannot edit it): a document
        # without `directory.contacts` has none, so removing the key removes the entries.
        contacts_changed = self._provisioned_contacts(inline_directory(document.contacts))
        current = self._settings.settings
        changes: dict[str, Any] = {}
        new_password = False
        if document.carddav is not None or document.ldap is not None:
            changes["directory"], new_password = self._directory(document, current.directory)
        codes = document.feature_codes or current.feature_codes
        if document.voicemail:
            codes = replace(codes, voicemail=document.voicemail)
        if codes != current.feature_codes:
            changes["feature_codes"] = codes
        if document.panel and not current.blf_users:
            # First sign-in only: afterwards the panel is the user's choice.
            by_ext = {c.extension: c for c in document.colleagues}
            changes["blf_users"] = tuple(by_ext[e] for e in document.panel)
        if changes:
            updated = self._settings.settings.with_changes(**changes)
            self._settings.save(updated)
        self._publish(SettingsChanged(self._settings.settings))
        if new_password and changes.get("directory") == current.directory:
            # The same servers with a password the app did not hold (changed by the
            # administrator, or lost at a restart without a keyring): the settings did not
            # change, so nothing else syncs (new servers do), and a sync that failed without
            # it would show auth_failed until the next period.
            self._directory_refresh()
        return contacts_changed

    def _directory(
        self, document: ProvisioningDocument, current: DirectorySources
    ) -> tuple[DirectorySources, bool]:
        """The document's directory servers; True when it brought a password the app did not
        hold (each goes to the keyring)."""
        carddav = ldap = None
        passwords: dict[ContactSource, str] = {}
        if document.carddav is not None:
            carddav = CardDavConfig(url=document.carddav.url, user=document.carddav.user)
            if document.carddav.password:
                passwords[ContactSource.CARDDAV] = document.carddav.password
        if document.ldap is not None:
            p = document.ldap
            ldap = LdapConfig(
                url=p.url,
                base=p.base,
                bind_dn=p.bind_dn,
                start_tls=p.start_tls,
                filter=p.filter or DEFAULT_LDAP_FILTER,
            )
            if p.password:
                passwords[ContactSource.LDAP] = p.password
        new_password = False
        for source, password in passwords.items():
            key = DIRECTORY_SECRET_KEYS[source]
            if self._secrets.get(key) != password:
                self._secrets.set(key, password)
                new_password = True
        sources = DirectorySources(carddav=carddav, ldap=ldap, sync_minutes=current.sync_minutes)
        return sources, new_password

    def _new_state(
        self, template: str, who: Identity, etag: str, document: ProvisioningDocument
    ) -> ProvisioningState:
        return ProvisioningState(
            url=template,
            email=who.email,
            etag=etag,
            colleagues=document.colleagues,
            locked=tuple(sorted(document.locked)),
            refresh_minutes=document.refresh_minutes,
            fetched_at=time.time(),
        )


def colleagues_offered(
    directory_users: list[dict[str, str]], state: ProvisioningState
) -> list[dict[str, str]]:
    """The picker's list: provisioned colleagues first, then the directory's internal numbers."""
    out = [{"extension": c.extension, "name": c.name} for c in state.colleagues]
    seen = {c.extension for c in state.colleagues}
    out.extend(u for u in directory_users if u.get("extension") not in seen)
    return out


def state_file(config_dir: Path) -> StateFile:
    return StateFile(config_dir / "provisioning.json")
