"""How a new incoming call is treated: do-not-disturb, call waiting and call forwarding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.calls import EndReason

NO_ANSWER_MIN_S = 5
NO_ANSWER_MAX_S = 120


@dataclass(frozen=True, slots=True)
class Forwarding:
    """Forwarding rules; a rule is active only when on AND it has a target.

    In settings the targets are what the user typed (numbers); the engine gets SIP URIs
    (`Phone` maps them with `dial_uri`). Client-side: works only while the app runs.
    """

    unconditional: bool = False
    unconditional_to: str = ""
    busy: bool = False
    busy_to: str = ""
    no_answer: bool = False
    no_answer_to: str = ""
    no_answer_s: int = 20

    def __post_init__(self) -> None:
        if not NO_ANSWER_MIN_S <= self.no_answer_s <= NO_ANSWER_MAX_S:
            raise ValueError("no_answer_s out of range")

    @property
    def unconditional_target(self) -> str:
        return self.unconditional_to if self.unconditional else ""

    @property
    def busy_target(self) -> str:
        return self.busy_to if self.busy else ""

    @property
    def no_answer_target(self) -> str:
        return self.no_answer_to if self.no_answer else ""


class Action(StrEnum):
    RING = "ring"
    REFUSE = "refuse"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    code: int = 0  # final SIP response for REFUSE (486...) and FORWARD (302)
    target: str = ""  # FORWARD: the Contact of the 302
    reason: EndReason | None = None
    ring_then_forward: str = ""  # RING: forward here if not answered in time


def decide(
    *,
    busy: bool,
    call_waiting: bool,
    dnd: bool,
    dnd_code: int,
    forwarding: Forwarding,
) -> Decision:
    """Decide what to do with an INVITE; `busy` means another call already exists.

    Unconditional forwarding wins over DND (the user chose where calls go); DND wins over
    busy forwarding and call waiting (the user asked for no calls at all).
    """
    if forwarding.unconditional_target:
        return Decision(Action.FORWARD, 302, forwarding.unconditional_target, EndReason.FORWARDED)
    if dnd:
        return Decision(Action.REFUSE, dnd_code, reason=EndReason.REFUSED_DND)
    if busy and forwarding.busy_target:
        return Decision(Action.FORWARD, 302, forwarding.busy_target, EndReason.FORWARDED)
    if busy and not call_waiting:
        return Decision(Action.REFUSE, 486, reason=EndReason.BUSY_REFUSED)
    return Decision(Action.RING, ring_then_forward=forwarding.no_answer_target)
