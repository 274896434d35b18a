"""PIDF presence bodies (RFC 3863, RPID RFC 4480) read as untrusted input: is the user in DND?"""

from __future__ import annotations

import xml.etree.ElementTree as ET

MAX_BODY_BYTES = 64 * 1024
_MAX_ELEMENTS = 2000
_PIDF = "urn:ietf:params:xml:ns:pidf"
_RPID = "urn:ietf:params:xml:ns:pidf:rpid"
# What phones put in a note for do-not-disturb (pjsua: "dnd"; others spell it out).
_DND_NOTES = ("dnd", "do not disturb", "do-not-disturb")


class PresenceError(ValueError):
    """The body is not a usable PIDF document (it is ignored, with a log line)."""


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag.rpartition("}")
    return namespace.lstrip("{"), name


def parse_pidf_dnd(body: bytes | str) -> bool:
    """True when any tuple or person says do-not-disturb: an RPID `busy` activity, or a note
    naming DND (how the app publishes it, and how pjsua-based phones show it). An empty
    body is a presentity with nothing published: not in DND."""
    raw = body.encode() if isinstance(body, str) else body
    if not raw.strip():
        return False
    if len(raw) > MAX_BODY_BYTES:
        raise PresenceError("body too large")
    # No DTD, no entities: the classic XML bombs need them, PIDF never does.
    if b"<!" in raw:
        raise PresenceError("DOCTYPE or entity declaration")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise PresenceError(f"not XML: {exc}") from None
    if root.tag != f"{{{_PIDF}}}presence":
        raise PresenceError("not a PIDF document")
    elements = list(root.iter())
    if len(elements) > _MAX_ELEMENTS:
        raise PresenceError("too many elements")
    for element in elements:
        namespace, name = _local(element.tag)
        if name == "activities" and namespace == _RPID:
            if any(_local(child.tag) == (_RPID, "busy") for child in element):
                return True
        elif name == "note":
            text = (element.text or "").strip()[:256].lower()
            if any(word in text for word in _DND_NOTES):
                return True
    return False
