"""Sign-in flow: validate by really registering, then keep the account and its secret."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import replace

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.account import AccountConfig, Registration, RegistrationState, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import (
    AccountChanged,
    AuthRealmLearned,
    EngineFailed,
    RegistrationChanged,
    RegistrationReported,
    SignInStarted,
)
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.registration_watch import Probe, RegistrationWatch, probe_registrar
from softphone.settings.secrets import SecretStore, account_secret_key
from softphone.settings.store import SettingsStore

log = logging.getLogger(__name__)

REGISTER_TIMEOUT = 10.0


class AccountManager:
    """Owns the configured account and the registration state shown to the user."""

    def __init__(
        self,
        bus: EventBus,
        engine: EngineSupervisor,
        settings: SettingsStore,
        secrets: SecretStore,
        probe: Probe = probe_registrar,
        *,
        prepare_tls: Callable[[AccountConfig], None] | None = None,
        instance_id: Callable[[AccountConfig], str] | None = None,
    ) -> None:
        self._bus = bus
        self._engine = engine
        self._settings = settings
        self._secrets = secrets
        self._cond = threading.Condition()
        self._registration = Registration(RegistrationState.UNCONFIGURED)
        self._generation = 0  # bumps on every (re)configuration, so waiters ignore stale reports
        self._setup_lock = threading.Lock()
        # Writes the CA bundle for this account's server before the engine connects to it.
        self._prepare_tls = prepare_tls
        # The account's stable SIP instance (+sip.instance): see settings/instance_id.py.
        self._instance_id = instance_id
        # Keeps the accepted account registered (PBX restart, network loss); app.py starts it.
        self.watch = RegistrationWatch(engine.send, self._set_registration, probe)
        bus.subscribe(RegistrationReported, self._on_reported)
        bus.subscribe(AuthRealmLearned, self._on_realm_learned)
        self._realms: dict[tuple[str, str], str] = {}  # (server, user) -> registrar's realm
        bus.subscribe(EngineFailed, self._on_engine_failed)

    @property
    def account(self) -> AccountConfig | None:
        return self._settings.settings.account

    @property
    def registration(self) -> Registration:
        with self._cond:
            return self._registration

    # --- start-up ---------------------------------------------------------------------------

    def resume(self, password_override: str | None = None) -> None:
        """Register the saved account at start-up, if there is one with a known password."""
        account = self.account
        if account is None:
            return
        password = (
            password_override
            if password_override is not None
            else self._secrets.get(account_secret_key(account))
        )
        if password is None:
            log.warning("no password known for the saved account: waiting for the user to sign in")
            self._set_registration(Registration(RegistrationState.FAILED, ErrorKey.AUTH_FAILED))
            return
        if password_override is not None:
            self._secrets.set(account_secret_key(account), password_override, remember=False)
        self._configure(account, password)
        self.watch.watch(account)  # saved earlier, so accepted: retried if the PBX is away

    def retry(self) -> None:
        """The user's Retry after a failed registration: register the saved account now.

        Raises SoftphoneError(no_account) without one. The outcome arrives as registration
        events, as at start-up (a wrong password fails again as auth_failed).
        """
        if self.account is None:
            raise SoftphoneError(ErrorKey.NO_ACCOUNT)
        with self._setup_lock:  # not while a sign-in is configuring another account
            self.resume()

    # --- the sign-in flow -------------------------------------------------------------------

    def setup(self, account: AccountConfig, password: str, *, remember: bool = True) -> None:
        """Register with `account`; keep it only if the registrar accepts it.

        Raises SoftphoneError(auth_failed | server_unreachable | timeout | invalid_argument).
        On failure the previous account (if any) is restored.
        """
        if not password or len(password) > 256:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "password")
        with self._setup_lock:
            _resolve(account)
            previous = self.account
            if previous is not None and _same_login(previous, account):
                account = replace(account, learned_realm=previous.learned_realm)
            self.watch.watch(None)  # a failing new account is an error to show, not to retry
            generation = self._configure(account, password)
            registration = self._wait_for_outcome(generation, REGISTER_TIMEOUT)
            if registration.state is RegistrationState.REGISTERED:
                key = account_secret_key(account)
                if previous is not None and account_secret_key(previous) != key:
                    self._secrets.delete(account_secret_key(previous))
                self._secrets.set(key, password, remember=remember)
                with self._cond:
                    learned = self._realms.get((account.server, account.user))
                if learned:
                    account = replace(account, learned_realm=learned)
                self._settings.save(self._settings.settings.with_changes(account=account))
                self._bus.publish(AccountChanged(account))
                self.watch.watch(account)
                return
            error = registration.error or ErrorKey.TIMEOUT
            self._restore(previous)
            raise SoftphoneError(error)

    def sign_out(self) -> None:
        account = self.account
        self._engine.send(cmd.RemoveAccount())
        self.watch.watch(None)
        with self._cond:
            self._generation += 1
        if account is not None:
            self._secrets.delete(account_secret_key(account))
        self._settings.save(self._settings.settings.with_changes(account=None))
        self._set_registration(Registration(RegistrationState.UNCONFIGURED))
        self._bus.publish(AccountChanged(None))

    def _restore(self, previous: AccountConfig | None) -> None:
        password = self._secrets.get(account_secret_key(previous)) if previous else None
        if previous is not None and password is not None:
            self._configure(previous, password)
            self.watch.watch(previous)
        else:
            self._engine.send(cmd.RemoveAccount())
            self._set_registration(Registration(RegistrationState.UNCONFIGURED))

    def _configure(self, account: AccountConfig, password: str) -> int:
        with self._cond:
            self._generation += 1
            generation = self._generation
            self._registration = Registration(RegistrationState.REGISTERING)
        self._bus.publish(RegistrationChanged(Registration(RegistrationState.REGISTERING)))
        self._bus.publish(SignInStarted(account))
        if self._prepare_tls is not None:
            self._prepare_tls(account)
        network = self._settings.settings.network
        turn_password = (
            (self._secrets.get(network.turn_secret_key) or "") if network.turn_server else ""
        )
        instance_id = self._instance_id(account) if self._instance_id is not None else ""
        self._engine.send(
            cmd.ConfigureAccount(
                account,
                password,
                network=network,
                turn_password=turn_password,
                instance_id=instance_id,
                generation=generation,
            )
        )
        return generation

    def _wait_for_outcome(self, generation: int, timeout: float) -> Registration:
        with self._cond:
            self._cond.wait_for(
                lambda: (
                    self._generation != generation
                    or self._registration.state
                    in (RegistrationState.REGISTERED, RegistrationState.FAILED)
                ),
                timeout,
            )
            if self._registration.state is RegistrationState.REGISTERING:
                return Registration(RegistrationState.FAILED, ErrorKey.SERVER_UNREACHABLE)
            return self._registration

    # --- what the engine says ---------------------------------------------------------------

    def _on_reported(self, event: RegistrationReported) -> None:
        with self._cond:
            # A report on an account replaced since (a restored one failing late, seen) must
            # not decide the sign-in waiting now, nor show its state as ours.
            stale = event.generation != self._generation
        if stale:
            log.info("registration report of a replaced account ignored")
            return
        self._set_registration(self.watch.interpret(event.registration))

    def _on_realm_learned(self, event: AuthRealmLearned) -> None:
        """Remember the registrar's realm: the next sign-in binds credentials to it at once."""
        with self._cond:
            self._realms[(event.server, event.user)] = event.realm
        account = self.account
        if (
            account is not None
            and (account.server, account.user) == (event.server, event.user)
            and account.learned_realm != event.realm
        ):
            # update(): no lost update with a setting the UI saves at the same moment.
            self._settings.update(account=replace(account, learned_realm=event.realm))

    def _on_engine_failed(self, event: EngineFailed) -> None:
        if self.account is not None:
            self._set_registration(Registration(RegistrationState.REGISTERING))

    def _set_registration(self, registration: Registration) -> None:
        with self._cond:
            if registration == self._registration:
                return
            self._registration = registration
            self._cond.notify_all()
        log.info(
            "registration %s%s",
            registration.state.value,
            f" ({registration.error.value})" if registration.error else "",
        )
        self._bus.publish(RegistrationChanged(registration))


def _same_login(a: AccountConfig, b: AccountConfig) -> bool:
    """Same registrar and user: the realm learnt for one holds for the other."""

    def login(x: AccountConfig) -> tuple[str, str, str, Transport]:
        return (x.server, x.user, x.auth_user, x.transport)

    return login(a) == login(b)


def _resolve(account: AccountConfig) -> None:
    """Fail fast on an unknown host here, not by blocking the engine thread in a DNS lookup."""
    host = account.host.strip("[]")
    kind = socket.SOCK_DGRAM if account.transport is Transport.UDP else socket.SOCK_STREAM
    try:
        socket.getaddrinfo(host, None, type=kind)
    except (OSError, UnicodeError) as exc:
        log.info("cannot resolve %s: %s", host, exc)
        raise SoftphoneError(ErrorKey.SERVER_UNREACHABLE) from exc
