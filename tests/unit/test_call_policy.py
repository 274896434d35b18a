"""Phone policy: one call talks at a time, impossible actions are refused with a key."""

from __future__ import annotations

from typing import Any, cast

import pytest

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.account import AccountConfig, Registration, RegistrationState
from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import EngineCallReported, SettingsChanged
from softphone.domain.policy import Action, Forwarding, decide
from softphone.domain.settings import Settings
from softphone.engine.supervisor import EngineSupervisor
from softphone.phone.account import AccountManager
from softphone.phone.calls import CallRegistry
from softphone.phone.service import Phone


class FakeEngine:
    """Stands in for the supervisor: records every command instead of running pjsua2."""

    def __init__(self) -> None:
        self.sent: list[cmd.EngineCommand] = []

    def request(self, make: type[cmd.EngineCommand], timeout: float = 5.0, **fields: Any) -> None:
        self.sent.append(make(**fields))

    def send(self, command: cmd.EngineCommand) -> None:
        self.sent.append(command)


class FakeAccounts:
    account = AccountConfig(server="pbx.test", user="1001")
    registration = Registration(RegistrationState.REGISTERED)


@pytest.fixture
def setup() -> tuple[Phone, FakeEngine, EventBus]:
    bus = EventBus()
    engine = FakeEngine()
    registry = CallRegistry(bus)
    phone = Phone(
        cast(EngineSupervisor, engine), cast(AccountManager, FakeAccounts()), registry, bus
    )
    return phone, engine, bus


def report(bus: EventBus, call_id: str, state: CallState, direction: str = "outgoing") -> None:
    bus.publish(
        EngineCallReported(call_id, CallDirection(direction), state, "1002", "", "sip:1002@pbx")
    )


def names(engine: FakeEngine) -> list[tuple[str, str]]:
    return [(type(c).__name__, getattr(c, "call_id", "")) for c in engine.sent]


def test_dialing_holds_the_connected_call_first(setup: tuple[Phone, FakeEngine, EventBus]) -> None:
    phone, engine, bus = setup
    report(bus, "a", CallState.CONNECTED)
    report(bus, "b", CallState.HELD)
    phone.dial("1003")
    assert names(engine)[0] == ("HoldCall", "a")
    assert [n for n, _ in names(engine)] == ["HoldCall", "MakeCall"]


def test_answering_holds_the_connected_call_first(
    setup: tuple[Phone, FakeEngine, EventBus],
) -> None:
    phone, engine, bus = setup
    report(bus, "a", CallState.CONNECTED)
    report(bus, "r", CallState.RINGING_IN, "incoming")
    phone.answer("r")
    assert names(engine) == [("HoldCall", "a"), ("AnswerCall", "r")]


def test_resuming_a_held_call_holds_the_talking_one(
    setup: tuple[Phone, FakeEngine, EventBus],
) -> None:
    phone, engine, bus = setup
    report(bus, "a", CallState.HELD)
    report(bus, "b", CallState.CONNECTED)
    phone.resume("a")
    assert names(engine) == [("HoldCall", "b"), ("ResumeCall", "a")]


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("hold", CallState.HELD),
        ("hold", CallState.RINGING_IN),
        ("resume", CallState.CONNECTED),
        ("mute", CallState.DIALING),
        ("transfer", CallState.RINGING_OUT),
    ],
)
def test_impossible_actions_are_invalid_state(
    setup: tuple[Phone, FakeEngine, EventBus], action: str, state: CallState
) -> None:
    phone, engine, bus = setup
    report(bus, "a", state)
    run = {
        "hold": lambda: phone.hold("a"),
        "resume": lambda: phone.resume("a"),
        "mute": lambda: phone.set_mute("a", True),
        "transfer": lambda: phone.transfer("a", "1003"),
    }[action]
    with pytest.raises(SoftphoneError) as err:
        run()
    assert err.value.key is ErrorKey.INVALID_STATE
    assert engine.sent == []


def test_a_fifth_call_is_too_many(setup: tuple[Phone, FakeEngine, EventBus]) -> None:
    phone, engine, bus = setup
    for call_id in "abcd":
        report(bus, call_id, CallState.HELD)
    with pytest.raises(SoftphoneError) as err:
        phone.dial("1003")
    assert err.value.key is ErrorKey.TOO_MANY_CALLS
    assert engine.sent == []


def test_conference_needs_two_talking_calls(setup: tuple[Phone, FakeEngine, EventBus]) -> None:
    phone, engine, bus = setup
    report(bus, "a", CallState.CONNECTED)
    report(bus, "r", CallState.RINGING_IN, "incoming")
    with pytest.raises(SoftphoneError):
        phone.conference()
    report(bus, "b", CallState.HELD)
    phone.conference()
    sent = engine.sent[-1]
    assert isinstance(sent, cmd.StartConference) and set(sent.call_ids) == {"a", "b"}


def test_call_waiting_changes_reach_the_engine_once(
    setup: tuple[Phone, FakeEngine, EventBus],
) -> None:
    phone, engine, bus = setup
    phone.apply_incoming_policy(True)
    bus.publish(SettingsChanged(Settings(theme="dark")))  # type: ignore[arg-type]
    bus.publish(SettingsChanged(Settings(call_waiting=False)))
    assert [c for c in engine.sent if isinstance(c, cmd.SetIncomingPolicy)] == [
        cmd.SetIncomingPolicy(call_waiting=True),
        cmd.SetIncomingPolicy(call_waiting=False),
    ]


def test_dnd_and_forwarding_targets_reach_the_engine_as_sip_uris(
    setup: tuple[Phone, FakeEngine, EventBus],
) -> None:
    _phone, engine, bus = setup
    rules = Forwarding(busy=True, busy_to="1004", no_answer=True, no_answer_to="not a number")
    bus.publish(SettingsChanged(Settings(dnd=True, forwarding=rules)))
    sent = [c for c in engine.sent if isinstance(c, cmd.SetIncomingPolicy)][-1]
    assert sent.dnd is True
    assert sent.forwarding.busy_to == "sip:1004@pbx.test"
    assert sent.forwarding.no_answer_to == ""  # undialable: forwards nowhere


_TO_9 = Forwarding(busy=True, busy_to="sip:9@h")
_ALWAYS_9 = Forwarding(unconditional=True, unconditional_to="sip:9@h")


@pytest.mark.parametrize(
    ("situation", "action", "reason"),
    [
        ({}, Action.RING, None),
        ({"dnd": True}, Action.REFUSE, EndReason.REFUSED_DND),
        ({"busy": True, "call_waiting": False}, Action.REFUSE, EndReason.BUSY_REFUSED),
        ({"busy": True, "forwarding": _TO_9}, Action.FORWARD, EndReason.FORWARDED),
        ({"forwarding": _TO_9}, Action.RING, None),
        ({"busy": True, "dnd": True, "forwarding": _TO_9}, Action.REFUSE, EndReason.REFUSED_DND),
        ({"dnd": True, "forwarding": _ALWAYS_9}, Action.FORWARD, EndReason.FORWARDED),
        ({"forwarding": Forwarding(unconditional=True)}, Action.RING, None),
    ],
)
def test_incoming_policy_decides_dnd_forwarding_and_call_waiting(
    situation: dict[str, Any], action: Action, reason: EndReason | None
) -> None:
    args: dict[str, Any] = {"busy": False, "call_waiting": True, "dnd": False}
    args["forwarding"] = Forwarding()
    decision = decide(**{**args, **situation}, dnd_code=486)
    assert (decision.action, decision.reason) == (action, reason)
    if action is Action.REFUSE:
        assert decision.code == 486
    if action is Action.FORWARD:
        assert (decision.code, decision.target) == (302, "sip:9@h")


def test_no_answer_forwarding_rings_first_with_its_target() -> None:
    rules = Forwarding(no_answer=True, no_answer_to="sip:9@h", no_answer_s=5)
    decision = decide(busy=False, call_waiting=True, dnd=False, dnd_code=486, forwarding=rules)
    assert decision.action is Action.RING and decision.ring_then_forward == "sip:9@h"
    with pytest.raises(ValueError):
        Forwarding(no_answer_s=2)
