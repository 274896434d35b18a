"""Engine command dispatch: one typed handler per command type, registered once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CommandCompleted
from softphone.engine import mapping

log = logging.getLogger(__name__)

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

    def run(self, command: cmd.EngineCommand) -> CommandCompleted | None:
        """Run the command's handler; its outcome (a result, or an error key and never the
        exception) when the sender waits for one (a request id)."""
        handler = self.handler(command)
        error: ErrorKey | None = None
        result: dict[str, object] = {}
        try:
            if handler is None:
                raise SoftphoneError(ErrorKey.INVALID_COMMAND)
            result = handler(command) or {}
        except SoftphoneError as exc:
            error = exc.key
        except pj.Error as exc:
            log.warning("%s failed: %s", type(command).__name__, exc.info())
            error = (
                ErrorKey.TOO_MANY_CALLS
                if exc.status == mapping.PJ_ETOOMANY
                else ErrorKey.INTERNAL_ERROR
            )
        except Exception:
            log.exception("%s failed", type(command).__name__)
            error = ErrorKey.INTERNAL_ERROR
        if not command.request_id:
            return None
        return CommandCompleted(command.request_id, error, result)
