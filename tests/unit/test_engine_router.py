"""The engine's command router: one typed handler per command type, every command handled."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from softphone.domain import commands as cmd
from softphone.engine.router import CommandRouter

ENGINE = Path(__file__).resolve().parents[2] / "backend" / "softphone" / "engine"


def test_a_command_goes_to_the_handler_of_its_type() -> None:
    router = CommandRouter()
    seen: list[cmd.EngineCommand] = []

    def hold(command: cmd.HoldCall) -> dict[str, object]:
        seen.append(command)
        return {"held": command.call_id}

    router.register(cmd.HoldCall, hold)
    command = cmd.HoldCall(call_id="c1")
    handler = router.handler(command)
    assert handler is not None
    assert handler(command) == {"held": "c1"}
    assert seen == [command]
    assert router.handler(cmd.ResumeCall(call_id="c1")) is None


def test_a_second_handler_for_one_command_is_refused() -> None:
    router = CommandRouter()
    router.register(cmd.HoldCall, lambda _c: None)
    with pytest.raises(ValueError, match="HoldCall"):
        router.register(cmd.HoldCall, lambda _c: None)


def _registered_in_engine() -> list[str]:
    """``router.register(cmd.X, ...)`` calls in the engine's modules (they need pjsua2)."""
    names = []
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "register"
                and node.args
                and isinstance(node.args[0], ast.Attribute)
                and isinstance(node.args[0].value, ast.Name)
                and node.args[0].value.id == "cmd"
            ):
                names.append(node.args[0].attr)
    return names


def test_every_engine_command_has_one_handler() -> None:
    commands = {
        name
        for name, value in inspect.getmembers(cmd, inspect.isclass)
        if issubclass(value, cmd.EngineCommand) and value is not cmd.EngineCommand
    }
    registered = _registered_in_engine()
    assert sorted(registered) == sorted(set(registered))
    assert set(registered) == commands
