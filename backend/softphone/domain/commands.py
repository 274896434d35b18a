"""Imperative commands sent to the engine; each may carry a request id for its reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from softphone.domain.account import AccountConfig
from softphone.domain.network import NetworkSettings
from softphone.domain.policy import Forwarding


class EngineCommand:
    """Marker base class; `request_id` 0 means no reply is wanted."""

    request_id: int


@dataclass(frozen=True, slots=True)
class ConfigureAccount(EngineCommand):
    account: AccountConfig
    password: str
    request_id: int = 0
    network: NetworkSettings = field(default_factory=NetworkSettings)
    turn_password: str = ""
    # "urn:uuid:..." of this installation and account (RFC 5626 +sip.instance); "" for none.
    # Replayed with the command after an engine restart, so the registrar replaces the dead
    # engine's binding instead of adding one.
    instance_id: str = ""
    # Which sign-in of the app this is: every registration report of this account carries
    # it, so a late report of an account the app already replaced cannot decide a new one.
    generation: int = 0

    def __repr__(self) -> str:  # never let the password reach a log line
        return (
            f"ConfigureAccount(account={self.account!r}, password=<hidden>, "
            f"request_id={self.request_id})"
        )


@dataclass(frozen=True, slots=True)
class RemoveAccount(EngineCommand):
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class ReportModules(EngineCommand):
    """Debug: reply with the names of the modules the engine process has imported (its
    footprint is checked against an allow-list by a test and by `make bench`)."""

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
class EndRingingCalls(EngineCommand):
    """The PBX is unreachable: incoming calls still ringing can no longer be cancelled by it,
    so the engine ends them itself (as missed, with `code` sent in case it gets through)."""

    code: int = 408
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
    dnd: bool = False  # refuse every new call with `dnd_code`, and publish "busy" presence
    dnd_code: int = 486
    forwarding: Forwarding = field(default_factory=Forwarding)
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


@dataclass(frozen=True, slots=True)
class SetMonitored(EngineCommand):
    """The colleagues whose line state (BLF) to watch: (extension, SIP URI) pairs;
    `pickup_code`: a directed-pickup code is configured, so a ringing line whose dialog
    is not named (minimal dialog-info) can still be picked up."""

    users: tuple[tuple[str, str], ...] = ()
    pickup_code: bool = False
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class PickupCall(EngineCommand):
    """Directed pickup of the call ringing for a monitored `extension` (INVITE + Replaces)."""

    call_id: str
    extension: str
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class Reregister(EngineCommand):
    """REGISTER now (a retry, or the PBX answers again). `outage`: the PBX may have lost our
    subscriptions too, so BLF subscribes again once the registrar accepts us."""

    outage: bool = False
    request_id: int = 0


@dataclass(frozen=True, slots=True)
class SetAudioRoute(EngineCommand):
    """The devices of call audio (ids from audio/devices.py; None: the system default), echo
    cancellation and automatic gain control. The engine opens them while a call needs audio,
    and switches live."""

    input: str | None = None
    output: str | None = None
    echo_cancellation: bool = True
    auto_gain: bool = False
    request_id: int = 0
