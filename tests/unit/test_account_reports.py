"""The sign-in flow trusts only registration reports of the account it configured last."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import keyring
import pytest
from keyring.backend import KeyringBackend

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.account import AccountConfig, Registration, RegistrationState
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import RegistrationReported
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager
from softphone.phone.registration_watch import ProbeResult
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from support.memory_keyring import MemoryKeyring

GOOD = AccountConfig(server="127.0.0.1:5061", user="1001")
OTHER = AccountConfig(server="127.0.0.1:5061", user="1002")
FAILED_TLS = Registration(RegistrationState.FAILED, ErrorKey.TLS_UNTRUSTED, 503)
REGISTERED = Registration(RegistrationState.REGISTERED, None, 200)


class ScriptedEngine:
    """Answers each ConfigureAccount with the next scripted registration (or none)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.answers: list[Registration | None] = []
        self.configured: list[cmd.ConfigureAccount] = []

    def send(self, command: cmd.EngineCommand) -> None:
        if not isinstance(command, cmd.ConfigureAccount):
            return
        self.configured.append(command)
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            self.bus.publish(RegistrationReported(answer, command.generation))


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[None]:
    before: KeyringBackend = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def manager(tmp_path: Path) -> tuple[AccountManager, ScriptedEngine, EventBus]:
    bus = EventBus()
    engine = ScriptedEngine(bus)
    accounts = AccountManager(
        bus,
        cast(EngineSupervisor, engine),
        SettingsStore(tmp_path / "settings.json"),
        SecretStore("softphone-test"),
        probe=lambda _account: ProbeResult.ANSWERED,
    )
    return accounts, engine, bus


def test_each_configuration_carries_a_new_generation(
    manager: tuple[AccountManager, ScriptedEngine, EventBus],
) -> None:
    accounts, engine, _bus = manager
    engine.answers = [REGISTERED, FAILED_TLS, None]  # OTHER fails; GOOD is restored
    accounts.setup(GOOD, "pw1")
    with pytest.raises(SoftphoneError) as refused:
        accounts.setup(OTHER, "pw2")
    assert refused.value.key is ErrorKey.TLS_UNTRUSTED
    generations = [c.generation for c in engine.configured]
    assert [c.account.user for c in engine.configured] == ["1001", "1002", "1001"]
    assert len(set(generations)) == 3 and generations == sorted(generations)


def test_a_late_report_of_a_replaced_account_changes_nothing(
    manager: tuple[AccountManager, ScriptedEngine, EventBus],
) -> None:
    accounts, engine, bus = manager
    engine.answers = [REGISTERED, FAILED_TLS, None, REGISTERED]
    accounts.setup(GOOD, "pw1")
    with pytest.raises(SoftphoneError):
        accounts.setup(OTHER, "pw2")  # refused; GOOD restored (its report still to come)
    restored = engine.configured[-1].generation
    accounts.setup(OTHER, "pw2")  # accepted this time
    assert accounts.registration.state is RegistrationState.REGISTERED
    # The restored account's failure arrives now (the engine had sent it before it took the
    # new account): it must neither show nor decide anything.
    bus.publish(RegistrationReported(FAILED_TLS, restored))
    assert accounts.registration.state is RegistrationState.REGISTERED
    # A report of the current account still counts.
    bus.publish(RegistrationReported(FAILED_TLS, engine.configured[-1].generation))
    assert accounts.registration == FAILED_TLS
