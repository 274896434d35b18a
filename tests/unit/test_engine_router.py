"""The engine's command router: one typed handler per command type, every command handled."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pjsua2 as pj  # noqa: TID251 (the error pjsua2 raises, as a handler meets it)
import pytest

from softphone.domain import commands as cmd
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CommandCompleted
from softphone.engine import mapping
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


def _pj_error(status: int) -> pj.Error:
    error = pj.Error()
    error.status = status
    error.title = "pjsua_call_make_call"
    error.reason = "refused"
    return error


def _router_raising(exc: Exception) -> CommandRouter:
    def hold(_command: cmd.HoldCall) -> None:
        raise exc

    router = CommandRouter()
    router.register(cmd.HoldCall, hold)
    return router


def test_a_command_with_a_request_id_completes_with_its_handlers_result() -> None:
    router = CommandRouter()
    router.register(cmd.HoldCall, lambda c: {"held": c.call_id})
    router.register(cmd.ResumeCall, lambda _c: None)
    assert router.run(cmd.HoldCall("c1", request_id=7)) == CommandCompleted(7, None, {"held": "c1"})
    assert router.run(cmd.ResumeCall("c1", request_id=8)) == CommandCompleted(8, None, {})


def test_without_a_request_id_the_handler_runs_and_nothing_completes() -> None:
    seen: list[str] = []

    def hold(command: cmd.HoldCall) -> None:
        seen.append(command.call_id)

    router = CommandRouter()
    router.register(cmd.HoldCall, hold)
    assert router.run(cmd.HoldCall("c1")) is None
    assert seen == ["c1"]


def test_a_command_without_a_handler_completes_as_invalid() -> None:
    completed = CommandRouter().run(cmd.HoldCall("c1", request_id=3))
    assert completed == CommandCompleted(3, ErrorKey.INVALID_COMMAND, {})


def test_a_handlers_error_key_is_the_answer_never_its_exception() -> None:
    router = _router_raising(SoftphoneError(ErrorKey.CALL_NOT_FOUND))
    assert router.run(cmd.HoldCall("c1", request_id=1)) == CommandCompleted(
        1, ErrorKey.CALL_NOT_FOUND, {}
    )
    assert _router_raising(SoftphoneError(ErrorKey.CALL_NOT_FOUND)).run(cmd.HoldCall("c1")) is None


def test_pjsua_refusing_one_call_too_many_is_too_many_calls_other_failures_internal() -> None:
    too_many = _router_raising(_pj_error(mapping.PJ_ETOOMANY))
    assert too_many.run(cmd.HoldCall("c1", request_id=1)) == CommandCompleted(
        1, ErrorKey.TOO_MANY_CALLS, {}
    )
    other = _router_raising(_pj_error(70004))  # PJ_EINVAL
    assert other.run(cmd.HoldCall("c1", request_id=2)) == CommandCompleted(
        2, ErrorKey.INTERNAL_ERROR, {}
    )
    bug = _router_raising(KeyError("c1"))
    assert bug.run(cmd.HoldCall("c1", request_id=3)) == CommandCompleted(
        3, ErrorKey.INTERNAL_ERROR, {}
    )


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
