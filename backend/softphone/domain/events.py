"""Facts the app publishes on its bus: frozen dataclasses with past-tense names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from softphone.domain.account import AccountConfig, Registration
from softphone.domain.calls import CallDirection, CallSnapshot, CallState, EndReason
from softphone.domain.errors import ErrorKey

if TYPE_CHECKING:  # a type only: the settings' own types (directory, network) import Event
    from softphone.domain.settings import Settings


class Event:
    """Marker base class of everything published on the bus."""


# --- reported by the engine (what the SIP stack says) -------------------------------------


@dataclass(frozen=True, slots=True)
class EngineStarted(Event):
    pid: int
    sip_port: int


@dataclass(frozen=True, slots=True)
class EngineFailed(Event):
    """The engine process died or stopped answering; the supervisor restarts it."""

    reason: str


@dataclass(frozen=True, slots=True)
class RegistrationReported(Event):
    registration: Registration
    # The ConfigureAccount.generation of the account reported on (0: none configured).
    generation: int = 0


@dataclass(frozen=True, slots=True)
class AuthRealmLearned(Event):
    """The registrar of `server` challenged `user` in `realm`: credentials are bound to it."""

    server: str
    user: str
    realm: str


@dataclass(frozen=True, slots=True)
class EngineCallReported(Event):
    """The stack's view of one call after a change (state, identity, media)."""

    call_id: str
    direction: CallDirection
    state: CallState
    number: str
    display_name: str
    remote_uri: str
    sip_code: int | None = None
    end_reason: EndReason | None = None
    muted: bool = False
    conference: bool = False
    transferred_by: str = ""  # the party whose REFER (or INVITE with Replaces) made this call
    retry_after_s: int | None = None  # ended: the refusal's Retry-After (seconds)
    reason_text: str = ""  # ended: the refusal's Reason text (cleaned, bounded)


@dataclass(frozen=True, slots=True)
class AudioStatusReported(Event):
    """Call audio on the devices: whether streams run, on what, and the glitch counters
    (underruns: the speaker wanted samples we did not have; overruns: microphone samples
    dropped). `error` names a device that failed to open (the system default was used).
    `underrun_burst`: the speaker underran for over a tenth of the last report's span."""

    running: bool
    input: str | None = None
    output: str | None = None
    echo_cancellation: bool = False
    underruns: int = 0
    overruns: int = 0
    frames: int = 0
    error: str | None = None
    underrun_burst: bool = False


@dataclass(frozen=True, slots=True)
class CommandCompleted(Event):
    """Reply to an engine command that carried a request id."""

    request_id: int
    error: ErrorKey | None = None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineStateReported(Event):
    """A monitored colleague's line (BLF): dialog-info and presence combined.

    `state` is a softphone.domain.dialoginfo.LineState value; `pickup` whether a ringing
    call can be picked up (its dialog identifiers are known to the engine, or a pickup
    code is configured); `replaces` whether by INVITE/Replaces (the dialog is named).
    """

    extension: str
    state: str
    dnd: bool = False
    pickup: bool = False
    replaces: bool = False


# --- published by the app layers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountChanged(Event):
    account: AccountConfig | None


@dataclass(frozen=True, slots=True)
class SignInStarted(Event):
    """The engine is told to sign in with `account` (a new one, or the previous one restored):
    what the PBX said about the account before (its mailbox) no longer holds."""

    account: AccountConfig


@dataclass(frozen=True, slots=True)
class RegistrationChanged(Event):
    registration: Registration


@dataclass(frozen=True, slots=True)
class CallChanged(Event):
    """A call was created or changed; `old_state` is set when the state itself changed."""

    call: CallSnapshot
    old_state: CallState | None


@dataclass(frozen=True, slots=True)
class CallRemoved(Event):
    call_id: str


@dataclass(frozen=True, slots=True)
class SettingsChanged(Event):
    settings: Settings


@dataclass(frozen=True, slots=True)
class ProvisioningStatusChanged(Event):
    """A provisioning re-fetch ended: `error` None when the document is current, else why
    the last good copy (fetched at `fetched_at`, Unix time) is still in force."""

    fetched_at: float
    error: ErrorKey | None


@dataclass(frozen=True, slots=True)
class SnapshotInvalidated(Event):
    """Everything may have changed (engine restart): observers should resend full state."""
