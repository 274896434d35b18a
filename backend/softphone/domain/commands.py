"""Imperative commands sent to the engine; each may carry a request id for its reply."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.domain.account import AccountConfig


class EngineCommand:
    """Marker base class; `request_id` 0 means no reply is wanted."""

    request_id: int


@dataclass(frozen=True, slots=True)
class ConfigureAccount(EngineCommand):
    account: AccountConfig
    password: str
    request_id: int = 0

    def __repr__(self) -> str:  # never let the password reach a log line
        return (
            f"ConfigureAccount(account={self.account!r}, password=<hidden>, "
            f"request_id={self.request_id})"
        )


@dataclass(frozen=True, slots=True)
class RemoveAccount(EngineCommand):
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class MakeCall(EngineCommand):
    call_id: str
    uri: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class AnswerCall(EngineCommand):
    call_id: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class RejectCall(EngineCommand):
    call_id: str
    code: int = 603
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class HangupCall(EngineCommand):
    call_id: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class SendDtmf(EngineCommand):
    call_id: str
    digits: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class Shutdown(EngineCommand):
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class HoldCall(EngineCommand):
    call_id: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class ResumeCall(EngineCommand):
    call_id: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class SetMute(EngineCommand):
    """Stop (or restart) sending the microphone to the call."""

    call_id: str
    muted: bool
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class SetIncomingPolicy(EngineCommand):
    """How the engine answers a new INVITE while a call exists (replayed after a restart)."""

    call_waiting: bool = True
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class TransferCall(EngineCommand):
    """Blind transfer: REFER the call's peer to `uri`."""

    call_id: str
    uri: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class TransferAttended(EngineCommand):
    """Attended transfer: connect the peer of `call_id` to the peer of `to_call_id`."""

    call_id: str
    to_call_id: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class StartConference(EngineCommand):
    """Mix every listed call with every other and with the microphone."""

    call_ids: tuple[str, ...]
    request_id: int = 0
