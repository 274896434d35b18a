"""PBX feature codes: forwarding set on the PBX by dialled codes, and a pickup prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.numbers import normalize_number
from softphone.domain.policy import Forwarding

PLACEHOLDER = "{number}"
_TEMPLATE = re.compile(r"^[0-9*#]*(\{number\})?[0-9*#]*$")
_PREFIX = re.compile(r"^[0-9*#]{0,8}$")
_VOICEMAIL = re.compile(r"^(\+?[0-9*#]{1,32})?$")
MAX_TEMPLATE = 32


class ForwardingMode(StrEnum):
    """Who forwards: the app itself (302 while it runs) or the PBX (set by feature codes)."""

    APP = "app"
    PBX = "pbx"


@dataclass(frozen=True, slots=True)
class FeatureCodes:
    """Templates dialled to switch the PBX's forwarding on and off; `{number}` is the target.

    Defaults are the common FreePBX/Asterisk codes; GSM-style PBXs use `*21*{number}#`/`#21#`.
    `pickup_prefix` empty: directed pickup is an INVITE with Replaces built from dialog-info;
    set (e.g. `**`): pickup dials prefix + extension for PBXs that need it.
    """

    forwarding_mode: ForwardingMode = ForwardingMode.APP
    unconditional_on: str = "*72{number}"
    unconditional_off: str = "*73"
    busy_on: str = "*90{number}"
    busy_off: str = "*91"
    no_answer_on: str = "*52{number}"
    no_answer_off: str = "*53"
    pickup_prefix: str = ""
    # Dialled by the voicemail button; empty: the number the PBX names in Message-Account.
    voicemail: str = ""

    def __post_init__(self) -> None:
        for name in TEMPLATE_FIELDS:
            value = getattr(self, name)
            if (
                not isinstance(value, str)
                or len(value) > MAX_TEMPLATE
                or not _TEMPLATE.match(value)
            ):
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, f"feature_codes.{name}")
            if name.endswith("_on") and PLACEHOLDER not in value:
                # A forwarding without its target cannot be right: refuse rather than guess.
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, f"feature_codes.{name}")
        if not isinstance(self.pickup_prefix, str) or not _PREFIX.match(self.pickup_prefix):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "feature_codes.pickup_prefix")
        if not isinstance(self.voicemail, str) or not _VOICEMAIL.match(self.voicemail):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "feature_codes.voicemail")


TEMPLATE_FIELDS = tuple(
    f"{rule}_{state}" for rule in ("unconditional", "busy", "no_answer") for state in ("on", "off")
)


def feature_codes_from_json(data: Any, base: FeatureCodes | None = None) -> FeatureCodes:
    """A (partial) object from the wire or settings.json over `base`; SoftphoneError if bad."""
    if not isinstance(data, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "feature_codes")
    known = {f.name for f in fields(FeatureCodes)}
    current = base or FeatureCodes()
    values = {name: getattr(current, name) for name in known}
    for key, value in data.items():
        if key not in known or not isinstance(value, str):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, f"feature_codes.{key}")
        values[key] = value.strip()
    try:
        values["forwarding_mode"] = ForwardingMode(values["forwarding_mode"])
    except ValueError as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "feature_codes.forwarding_mode") from exc
    return FeatureCodes(**values)


def expand(template: str, number: str) -> str:
    """The code to dial: the template with the target number (separators removed)."""
    return template.replace(PLACEHOLDER, normalize_number(number))


def codes_for_change(old: Forwarding, new: Forwarding, codes: FeatureCodes) -> list[str]:
    """Codes to dial so the PBX follows the change from `old` to `new`, in rule order.

    A rule switched on, or on with a new target, dials its "on" code; a rule switched off
    dials its "off" code; an unchanged rule dials nothing.
    """
    out: list[str] = []
    for rule in ("unconditional", "busy", "no_answer"):
        before = getattr(old, f"{rule}_target")
        after = getattr(new, f"{rule}_target")
        if before == after:
            continue
        if after:
            out.append(expand(getattr(codes, f"{rule}_on"), after))
        else:
            out.append(getattr(codes, f"{rule}_off"))
    return out
