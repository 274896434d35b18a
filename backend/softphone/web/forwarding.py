"""Wire arguments of call forwarding: validated here, stored as settings."""

from __future__ import annotations

from typing import Any

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.policy import NO_ANSWER_MAX_S, NO_ANSWER_MIN_S

_BOOLS = ("unconditional", "busy", "no_answer")
_TARGETS = ("unconditional_to", "busy_to", "no_answer_to")


def forwarding_changes(value: Any) -> dict[str, Any]:
    """The fields of a `forwarding` argument (a partial object), checked one by one."""
    if not isinstance(value, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "forwarding")
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key in _BOOLS and isinstance(item, bool):
            changes[key] = item
        elif key in _TARGETS and isinstance(item, str) and len(item) <= 128:
            changes[key] = item.strip()
        elif (
            key == "no_answer_s"
            and type(item) is int
            and NO_ANSWER_MIN_S <= item <= NO_ANSWER_MAX_S
        ):
            changes[key] = item
        else:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, f"forwarding.{key}")
    return changes
