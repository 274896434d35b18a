"""The account's digest credentials, bound to the PBX's realm (never the "*" wildcard).

pjsip answers a 401/407 with the first credential whose realm equals the challenge's realm,
or with a "*" credential for any realm (sip_auth_client.c, auth_find_cred); a challenge
with no matching credential is skipped and the request fails with that status. A "*"
credential hands the digest of the user's password to any host a call reaches, so the
credential carries one realm: the one the user set in the account, else the one the
registrar named in its first 401 to our REGISTER (sent without credentials the very
first time), remembered by the app (AuthRealmLearned) so later sign-ins bind it at once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain.account import AccountConfig
from softphone.domain.dialing import valid_realm
from softphone.domain.events import AuthRealmLearned, Event

log = logging.getLogger(__name__)


class ChallengeOutcome(enum.Enum):
    RETRY = "retry"  # the registrar named its realm: bound, signing in again
    FOREIGN_REALM = "foreign_realm"  # not the realm the user set: refused
    FAILED = "failed"  # our realm, answered, still refused: a wrong password


class AccountAuth:
    """Which realm the account's credentials answer; lives on the engine thread."""

    def __init__(
        self,
        account: AccountConfig | None,
        password: str,
        emit: Callable[[Event], None] | None = None,
    ) -> None:
        self._account = account
        self._password = password
        self._emit = emit
        self._acfg: pj.AccountConfig | None = None
        self.realm = ""
        self._pending = False  # a new realm to apply on the next loop turn

    def bind(self, acfg: pj.AccountConfig, realm: str) -> None:
        """Put the credential for `realm` into `acfg` (none while no realm is known)."""
        self._acfg = acfg
        self.realm = realm
        creds = pj.AuthCredInfoVector()
        if realm and self._account is not None:
            user = self._account.auth_user or self._account.user
            creds.append(pj.AuthCredInfo("digest", realm, user, 0, self._password))
        acfg.sipConfig.authCreds = creds

    def on_registrar_challenge(self, realms: list[str]) -> ChallengeOutcome:
        """The registrar answered our REGISTER with 401/407 naming `realms`."""
        account = self._account
        if account is None:
            return ChallengeOutcome.FAILED
        if account.realm:
            if account.realm.lower() in (r.lower() for r in realms):
                return ChallengeOutcome.FAILED
            log.warning("registrar challenged in realm(s) %r, not the configured one", realms)
            return ChallengeOutcome.FOREIGN_REALM
        realm = next((r for r in realms if valid_realm(r)), "")
        if not realm or realm.lower() == self.realm.lower():
            return ChallengeOutcome.FAILED
        log.info("registrar's realm is %r: credentials bound to it", realm)
        self.realm = realm
        self._pending = True
        if self._emit is not None:
            self._emit(AuthRealmLearned(account.server, account.user, realm))
        return ChallengeOutcome.RETRY

    def after_events(self, pj_account: pj.Account | None) -> None:
        """Apply a newly learnt realm and register again (not from inside the REGISTER's
        callback: the registration client is replaced)."""
        if not self._pending or pj_account is None or self._acfg is None:
            return
        self._pending = False
        self.bind(self._acfg, self.realm)
        # Modifying credentials would first unregister a binding we do not have (and report
        # it); we register ourselves instead.
        self._acfg.regConfig.disableRegOnModify = True
        try:
            pj_account.modify(self._acfg)
            pj_account.setRegistration(True)
        except pj.Error as exc:
            log.warning("registering with realm %r failed: %s", self.realm, exc.info())

    def is_ours(self, realm: str) -> bool:
        return bool(self.realm) and realm.lower() == self.realm.lower()
