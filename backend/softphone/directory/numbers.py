"""Phone numbers in the forms search needs: E.164, international, national and NSN digits."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

_NOT_DIGIT = re.compile(r"[^0-9]")
_NUMBERISH = re.compile(r"^\+?[0-9\s\-().\u00a0/]+$")


@dataclass(frozen=True, slots=True)
class NumberKeys:
    """Digit strings one stored number is found by (prefix match on each)."""

    e164: str  # "+41441234567", or "" when phonenumbers cannot place it (an extension)
    intl: str  # "41441234567": what "+41 44..." and "0041 44..." reduce to
    national: str  # "0441234567": what people dial inside the country
    nsn: str  # "441234567": the national number without trunk prefix


def is_numberish(text: str) -> bool:
    """True when what was typed can only be a number (digits, +, separators)."""
    stripped = text.strip()
    return bool(stripped) and bool(_NUMBERISH.match(stripped)) and any(c.isdigit() for c in text)


def keys(raw: str, country: str) -> NumberKeys:
    """Search keys of a stored number; an unplaceable one is found by its plain digits."""
    digits = _NOT_DIGIT.sub("", raw)
    if len(digits) < 5 and not raw.strip().startswith("+"):  # an extension: keep as typed
        return NumberKeys("", digits, digits, digits)
    try:
        parsed = phonenumbers.parse(raw, country.upper() or None)
    except phonenumbers.NumberParseException:
        return NumberKeys("", digits, digits, digits)
    if not phonenumbers.is_possible_number(parsed):
        return NumberKeys("", digits, digits, digits)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    nsn = phonenumbers.national_significant_number(parsed)
    national = _NOT_DIGIT.sub(
        "", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    return NumberKeys(e164, e164[1:], national, nsn)


def query_prefixes(text: str, country: str) -> list[tuple[str, str]]:
    """(column, digit prefix) pairs a partly typed number may match.

    "+41 44 1", "0041 44 1" -> international digits; "044 1" -> national form; "44 1" ->
    national significant number (and any plain digits, which extensions are stored as).
    """
    stripped = text.strip()
    digits = _NOT_DIGIT.sub("", stripped)
    if not digits:
        return []
    if stripped.startswith("+"):
        return [("intl", digits)]
    if digits.startswith("00"):
        return [("intl", digits[2:])] if len(digits) > 2 else []
    pairs = [("national", digits), ("nsn", digits), ("intl", digits)]
    # A complete number in national form is also a complete international one: match it
    # exactly through E.164 so "0441234567" finds "+41 44 123 45 67" stored abroad-style.
    full = keys(stripped, country)
    if full.e164:
        pairs.append(("intl", full.intl))
    return pairs
