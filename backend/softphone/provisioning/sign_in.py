"""Sign in with an e-mail and a password: provisioning document, else RFC 3263, then REGISTER."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dns.resolver

from softphone.directory.config import CardDavConfig, DirectorySources, LdapConfig
from softphone.directory.service import SECRET_KEYS
from softphone.domain.account import AccountConfig
from softphone.domain.directory import ContactSource
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SettingsChanged
from softphone.domain.provisioning import ProvisioningDocument, parse_document
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
from softphone.settings.schema import Settings
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from softphone.settings.trust import TrustStore

log = logging.getLogger(__name__)

MAX_PASSWORD = 256
DEFAULT_LDAP_FILTER = "(objectClass=inetOrgPerson)"  # as LdapConfig's default


def sign_in_secret_key(email: str) -> str:
    """Keyring entry of the sign-in password (re-fetches need it when the SIP one differs)."""
    return f"provisioning:{email.lower()}"


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
    ) -> None:
        self._accounts = accounts
        self._settings = settings
        self._secrets = secrets
        self._trust = trust
        self._state = state
        self._publish = publish
        self._url_option = url_option
        self._resolver = resolver

    def configured_url(self) -> str:
        """--provisioning-url, else the environment, else the build's default ("" if none)."""
        return self._url_option or os.environ.get(defaults.ENV_URL, "") or defaults.PROVISIONING_URL

    @property
    def state(self) -> ProvisioningState:
        return self._state.load()

    def sign_in(self, email: str, password: str, url: str = "") -> Outcome:
        """`url`: a template the user was given (a softphone://provision link), else found."""
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
        if document is not None:
            self._secrets.set(sign_in_secret_key(who.email), password)
            self._apply(document)
            self._state.save(self._new_state(template, who, etag, document))
        else:
            self._state.clear()
        return Outcome("provisioning" if document else "dns", self._secrets.persistent)

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

    def _apply(self, document: ProvisioningDocument) -> None:
        """Directory, feature codes, voicemail, first panel; then one SettingsChanged."""
        current = self._settings.settings
        changes: dict[str, Any] = {}
        if document.carddav is not None or document.ldap is not None:
            changes["directory"] = self._directory(document, current.directory)
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

    def _directory(self, document: ProvisioningDocument, current: DirectorySources) -> Any:
        carddav = ldap = None
        if document.carddav is not None:
            carddav = CardDavConfig(url=document.carddav.url, user=document.carddav.user)
            if document.carddav.password:
                self._secrets.set(SECRET_KEYS[ContactSource.CARDDAV], document.carddav.password)
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
                self._secrets.set(SECRET_KEYS[ContactSource.LDAP], p.password)
        return DirectorySources(carddav=carddav, ldap=ldap, sync_minutes=current.sync_minutes)

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
