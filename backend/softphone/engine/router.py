"""Engine command dispatch: one typed handler per command type, registered once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from softphone.domain import commands as cmd

Result = dict[str, object] | None
C = TypeVar("C", bound=cmd.EngineCommand)


class CommandRouter:
    """Maps a command's exact type to its handler; `register` checks the pair's types."""

    def __init__(self) -> None:
        # Any: each handler takes its own command type, which register() ties to the key.
        self._handlers: dict[type[cmd.EngineCommand], Callable[[Any], Result]] = {}

    def register(self, command_type: type[C], handler: Callable[[C], Result]) -> None:
        if command_type in self._handlers:  # two owners of one command: a wiring mistake
            raise ValueError(f"{command_type.__name__} already has a handler")
        self._handlers[command_type] = handler

    def handler(self, command: cmd.EngineCommand) -> Callable[[Any], Result] | None:
        """The handler of exactly this command's type (no subclass lookup), or None."""
        return self._handlers.get(type(command))
