"""The BLF list: which colleagues the engine watches, and the last line state of each."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.colleagues import MonitoredUser
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import EngineStarted, LineStateReported
from softphone.domain.numbers import dial_uri
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager


class Colleagues:
    """Sends `SetMonitored` when the list or the account's domain changes; keeps the states."""

    def __init__(
        self, engine: EngineSupervisor, accounts: AccountManager, bus: EventBus | None
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._lock = threading.Lock()
        self._users: tuple[MonitoredUser, ...] = ()
        self._sent: cmd.SetMonitored | None = None
        self._states: dict[str, LineStateReported] = {}
        if bus is not None:
            bus.subscribe(LineStateReported, self._on_state)
            bus.subscribe(EngineStarted, lambda _e: self._forget_states())

    def apply(self, users: Iterable[MonitoredUser], *, pickup_code: bool = False) -> None:
        """`pickup_code`: a directed-pickup code is configured (offered for ringing lines
        whose dialog the PBX does not name)."""
        self._users = tuple(users)
        account = self._accounts.account
        pairs: list[tuple[str, str]] = []
        if account is not None:
            for user in self._users:
                try:
                    pairs.append((user.extension, dial_uri(user.extension, account.domain)))
                except SoftphoneError:
                    continue  # not dialable: cannot be watched either
        command = cmd.SetMonitored(tuple(pairs), pickup_code=pickup_code)
        if command != self._sent:
            self._sent = command
            self._engine.send(command)

    def states(self) -> list[LineStateReported]:
        with self._lock:
            return list(self._states.values())

    def replaces_known(self, extension: str) -> bool:
        """The engine named the colleague's ringing dialog: pickup by INVITE/Replaces."""
        with self._lock:
            state = self._states.get(extension)
            return state is not None and state.replaces

    def _on_state(self, event: LineStateReported) -> None:
        with self._lock:
            self._states[event.extension] = event

    def _forget_states(self) -> None:
        with self._lock:
            self._states.clear()
