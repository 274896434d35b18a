"""The SIP password in the OS keyring; kept in memory only when there is no keyring."""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backends import fail

from softphone.domain.account import AccountConfig
from softphone.domain.directory import ContactSource

log = logging.getLogger(__name__)

SERVICE = "softphone"

# The keyring keys: the SIP password of an account, the password of each synced directory.
DIRECTORY_SECRET_KEYS = {
    ContactSource.CARDDAV: "directory.carddav",
    ContactSource.LDAP: "directory.ldap",
}


def account_secret_key(account: AccountConfig) -> str:
    return f"{account.auth_user or account.user}@{account.server}"


class SecretStore:
    """Passwords by account key. Never logs, returns or stores them anywhere but the keyring."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service
        self._memory: dict[str, str] = {}

    @property
    def persistent(self) -> bool:
        """False when no system keyring exists: the password then lives until exit only."""
        return not isinstance(keyring.get_keyring(), fail.Keyring)

    def get(self, key: str) -> str | None:
        if key in self._memory:
            return self._memory[key]
        if not self.persistent:
            return None
        try:
            return keyring.get_password(self._service, key)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed: %s", type(exc).__name__)
            return None

    def set(self, key: str, password: str, *, remember: bool = True) -> bool:
        """Store the password; True when it went to the keyring, False when memory only."""
        if remember and self.persistent:
            try:
                keyring.set_password(self._service, key, password)
                self._memory.pop(key, None)
                return True
            except keyring.errors.KeyringError as exc:
                log.warning(
                    "keyring write failed: %s; keeping the password in memory", type(exc).__name__
                )
        self._memory[key] = password
        return False

    def delete(self, key: str) -> None:
        self._memory.pop(key, None)
        if not self.persistent:
            return
        try:
            keyring.delete_password(self._service, key)
        except keyring.errors.KeyringError:
            pass  # nothing stored: nothing to delete
