"""How the PBX answered a dialled feature code: accepted, refused or not confirmed.

PBXs answer feature codes in a few ways (see docs/feature-codes.md, "How the PBX's answer is read"):
- Asterisk/FreePBX and most hosted PBXs answer the code (200 OK), play a confirmation
  ("call forwarding activated") and hang up themselves: that is "accepted".
- An unknown or forbidden code gets a final error: 404 (no such extension), 403 (feature not
  allowed for this user), 480/503 (feature disabled, Congestion()), 486 (Busy()), 488: "refused".
- A 183 with an announcement followed by an error is also "refused" (the user heard why).
- Anything else (the user or the app hung up first, no answer in time, the engine restarted)
  proves nothing: "unconfirmed". The app then keeps the state it had: never claims more than
  the PBX confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.calls import CallSnapshot, CallState, EndReason
from softphone.domain.errors import ErrorKey
from softphone.domain.events import Event

# After answering, a PBX that accepted a code hangs up once its announcement ends (FreePBX's
# *72 reads the target back digit by digit: ~10 s). Longer than this: the app hangs up and
# the code counts as unconfirmed (an interactive menu is not a feature code we can judge).
ANNOUNCEMENT_LIMIT_S = 30.0
# No final answer at all (ringing forever, a lost INVITE) within this: hang up, unconfirmed.
ANSWER_LIMIT_S = 60.0


class FeatureCodePurpose(StrEnum):
    """Why the code was dialled; the wire value names it in the user's message."""

    FORWARDING_ON = "forwarding_on"
    FORWARDING_OFF = "forwarding_off"
    PICKUP = "pickup"


class FeatureCodeOutcome(StrEnum):
    DIALLING = "dialling"  # the code call is under way (its call card is labelled)
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNCONFIRMED = "unconfirmed"
    NOT_DIALLED = "not_dialled"  # could not even be dialled (not registered, call limit)


@dataclass(frozen=True, slots=True)
class FeatureCodeReported(Event):
    """A feature code was dialled, or the PBX's answer to it is known.

    `rule` is the forwarding rule (unconditional|busy|no_answer) or "" for pickup;
    `error` is the stable key of a failed outcome, `sip_code` the PBX's final response.
    """

    call_id: str
    code: str
    purpose: FeatureCodePurpose
    rule: str
    outcome: FeatureCodeOutcome
    sip_code: int | None = None
    error: ErrorKey | None = None


def judge(call: CallSnapshot, purpose: FeatureCodePurpose) -> FeatureCodeOutcome | None:
    """The outcome shown by the call so far, or None while it is still open.

    A pickup code is accepted as soon as it connects: it is the user's call from then on.
    A forwarding code is accepted only when the PBX itself ends the answered call.
    """
    answered = call.connected_at is not None
    if purpose is FeatureCodePurpose.PICKUP and answered:
        return FeatureCodeOutcome.ACCEPTED
    if call.state is not CallState.ENDED:
        return None
    if not answered:
        # 487 after our own CANCEL, 408 when nothing answered: no word from the PBX.
        local = call.end_reason in (EndReason.HANGUP_LOCAL, EndReason.CANCELLED)
        code = call.sip_code
        if not local and code is not None and code >= 300 and code not in (408, 487):
            return FeatureCodeOutcome.REFUSED
        return FeatureCodeOutcome.UNCONFIRMED
    if call.end_reason is EndReason.HANGUP_REMOTE:
        return FeatureCodeOutcome.ACCEPTED
    return FeatureCodeOutcome.UNCONFIRMED


def error_for(outcome: FeatureCodeOutcome) -> ErrorKey | None:
    return {
        FeatureCodeOutcome.REFUSED: ErrorKey.FEATURE_CODE_REFUSED,
        FeatureCodeOutcome.UNCONFIRMED: ErrorKey.FEATURE_CODE_UNCONFIRMED,
    }.get(outcome)
