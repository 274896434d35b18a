"""The SIP instance id (RFC 5626 `+sip.instance`): its only accepted form, and a new one."""

from __future__ import annotations

import uuid


def new_instance_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def valid_instance_id(value: object) -> bool:
    """`urn:uuid:` + a canonical lower-case UUID, nothing else (it goes into a SIP header)."""
    if not isinstance(value, str) or not value.startswith("urn:uuid:"):
        return False
    text = value.removeprefix("urn:uuid:")
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
