"""The voicemail indicator belongs to the account signing in: a summary the PBX sends while the
sign-in is being accepted stays; another sign-in or a sign-out clears it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import keyring
import pytest

from softphone.bus import EventBus
from softphone.domain.account import AccountConfig, Registration, RegistrationState
from softphone.domain.events import AccountChanged, RegistrationReported, SignInStarted
from softphone.domain.voicemail import VoicemailChanged, VoicemailReported, VoicemailSummary
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager
from softphone.phone.registration_watch import ProbeResult
from softphone.phone.voicemail import Voicemail
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from support.memory_keyring import MemoryKeyring

ALICE = AccountConfig(server="127.0.0.1:5060", user="1001")
BOB = AccountConfig(server="127.0.0.1:5060", user="1002")
TWO_NEW = VoicemailSummary(waiting=True, new=2, account="1009")


def _indicator() -> tuple[Voicemail, EventBus, list[VoicemailSummary]]:
    bus = EventBus()
    shown: list[VoicemailSummary] = []
    bus.subscribe(VoicemailChanged, lambda e: shown.append(e.summary))
    return Voicemail(bus, lambda _n: "call-1", lambda: ""), bus, shown


def test_a_summary_sent_while_the_sign_in_is_accepted_stays() -> None:
    voicemail, bus, _shown = _indicator()
    bus.publish(SignInStarted(ALICE))
    bus.publish(VoicemailReported(TWO_NEW))  # the PBX's NOTIFY, before the app took the account
    bus.publish(AccountChanged(ALICE))
    assert voicemail.summary == TWO_NEW


def test_another_sign_in_or_a_sign_out_clears_it() -> None:
    voicemail, bus, shown = _indicator()
    bus.publish(SignInStarted(ALICE))
    bus.publish(VoicemailReported(TWO_NEW))
    bus.publish(SignInStarted(BOB))
    assert voicemail.summary == VoicemailSummary()
    bus.publish(VoicemailReported(TWO_NEW))
    bus.publish(AccountChanged(None))
    assert voicemail.summary == VoicemailSummary()
    assert shown == [TWO_NEW, VoicemailSummary(), TWO_NEW, VoicemailSummary()]


class _Engine:
    def __init__(self, bus: EventBus, seen: list[str]) -> None:
        self.bus, self.seen = bus, seen

    def send(self, command: object) -> None:
        self.seen.append(type(command).__name__)
        generation = getattr(command, "generation", 0)
        registered = Registration(RegistrationState.REGISTERED, None, 200)
        self.bus.publish(RegistrationReported(registered, generation))


@pytest.fixture
def memory_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(before)


@pytest.mark.usefixtures("memory_keyring")
def test_the_sign_in_is_announced_before_the_engine_is_told(tmp_path: Path) -> None:
    bus, seen = EventBus(), []
    bus.subscribe(SignInStarted, lambda e: seen.append(f"SignInStarted {e.account.user}"))
    accounts = AccountManager(
        bus,
        cast(EngineSupervisor, _Engine(bus, seen)),
        SettingsStore(tmp_path / "settings.json"),
        SecretStore("softphone-test"),
        probe=lambda _account: ProbeResult.ANSWERED,
    )
    accounts.setup(ALICE, "pw")
    assert seen[:2] == ["SignInStarted 1001", "ConfigureAccount"]
