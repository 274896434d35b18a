"""RFC 4235 dialog-info bodies (BLF): parsed as untrusted input into a colleague's line state."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum

from softphone.domain.identity import number_from_uri

MAX_BODY_BYTES = 64 * 1024
MAX_DIALOGS = 64
_NS = "{urn:ietf:params:xml:ns:dialog-info}"
_SAFE_TEXT = re.compile(r"[^\x20-\x7e]")
_MAX_TEXT = 256
_SIP_USER = re.compile(r"^[A-Za-z0-9*#+._-]{1,64}$")


class DialogInfoError(ValueError):
    """The body is not a usable dialog-info document (it is ignored, with a log line)."""


class PickupMethod(StrEnum):
    """How a colleague's ringing call is taken."""

    REPLACES = "replaces"  # INVITE to the caller with Replaces (the dialog is named)
    FEATURE_CODE = "feature_code"  # dial the PBX's directed-pickup code + the extension
    NONE = "none"


class LineState(StrEnum):
    """What a BLF dot shows."""

    UNKNOWN = "unknown"  # not subscribed (yet), or the PBX refused: grey
    FREE = "free"  # green
    RINGING = "ringing"  # yellow: a call waits for them (directed pickup possible)
    BUSY = "busy"  # red: on the phone (or dialling out), or do-not-disturb


@dataclass(frozen=True, slots=True)
class Dialog:
    id: str
    state: str  # trying|proceeding|early|confirmed|terminated
    direction: str  # initiator|recipient|"" (unknown)
    call_id: str = ""
    local_tag: str = ""  # the monitored user's tag
    remote_tag: str = ""  # the other party's tag
    remote_identity: str = ""  # the other party (the caller, for a ringing call)
    remote_target: str = ""


@dataclass(frozen=True, slots=True)
class DialogInfo:
    entity: str
    version: int
    full: bool  # state="full": replaces what we knew; "partial": updates it
    dialogs: tuple[Dialog, ...]


def _text(value: str | None) -> str:
    """Bounded, printable-ASCII-only text: it reaches logs, the wire and SIP headers."""
    return _SAFE_TEXT.sub("", (value or "").strip())[:_MAX_TEXT]


def parse_dialog_info(body: bytes | str) -> DialogInfo:
    """Parse one NOTIFY body; raises DialogInfoError on anything unusable."""
    raw = body.encode() if isinstance(body, str) else body
    if not raw.strip():
        raise DialogInfoError("empty body")
    if len(raw) > MAX_BODY_BYTES:
        raise DialogInfoError("body too large")
    # No DTD, no entities: the classic XML bombs need them, dialog-info never does.
    if b"<!" in raw:
        raise DialogInfoError("DOCTYPE or entity declaration")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise DialogInfoError(f"not XML: {exc}") from None
    if root.tag != f"{_NS}dialog-info":
        raise DialogInfoError("not a dialog-info document")
    try:
        version = int(root.get("version", "0"))
    except ValueError:
        raise DialogInfoError("bad version") from None
    dialogs = root.findall(f"{_NS}dialog")
    if len(dialogs) > MAX_DIALOGS:
        raise DialogInfoError("too many dialogs")
    return DialogInfo(
        entity=_text(root.get("entity")),
        version=version,
        full=root.get("state", "full") == "full",
        dialogs=tuple(_dialog(d) for d in dialogs),
    )


def _dialog(node: ET.Element) -> Dialog:
    remote = node.find(f"{_NS}remote")
    identity = target = ""
    if remote is not None:
        identity = _text(remote.findtext(f"{_NS}identity"))
        target_node = remote.find(f"{_NS}target")
        if target_node is not None:
            target = _text(target_node.get("uri"))
    return Dialog(
        id=_text(node.get("id")),
        state=_text(node.findtext(f"{_NS}state")).lower(),
        direction=_text(node.get("direction")).lower(),
        call_id=_text(node.get("call-id")),
        local_tag=_text(node.get("local-tag")),
        remote_tag=_text(node.get("remote-tag")),
        remote_identity=identity,
        remote_target=target,
    )


def merge(known: dict[str, Dialog], info: DialogInfo) -> dict[str, Dialog]:
    """The dialogs alive after `info`: a full document replaces, a partial one updates."""
    dialogs = {} if info.full else dict(known)
    for dialog in info.dialogs:
        if dialog.state == "terminated":
            dialogs.pop(dialog.id, None)
        else:
            dialogs[dialog.id] = dialog
    return dialogs


def line_state(dialogs: dict[str, Dialog], dnd: bool) -> LineState:
    """Ringing wins (a call can still be picked up), then busy (a call or DND), else free."""
    if ringing_dialog(dialogs) is not None:
        return LineState.RINGING
    if dialogs or dnd:
        return LineState.BUSY
    return LineState.FREE


def ringing_dialog(dialogs: dict[str, Dialog]) -> Dialog | None:
    """The oldest-listed call ringing for the user (recipient, not answered yet)."""
    for dialog in dialogs.values():
        if dialog.state in ("early", "proceeding", "trying") and dialog.direction != "initiator":
            return dialog
    return None


def has_identity(dialog: Dialog) -> bool:
    """The dialog names itself well enough for Replaces: call-id, both tags, and a caller
    reachable through the PBX. Kamailio's pua_dialoginfo does; Asterisk sends none of it."""
    caller = number_from_uri(dialog.remote_identity)
    return bool(
        dialog.call_id and dialog.local_tag and dialog.remote_tag and _SIP_USER.match(caller)
    )


def pickup_method(dialogs: dict[str, Dialog], code_configured: bool) -> PickupMethod:
    """What a colleague's pickup button does: Replaces when the ringing dialog is named,
    else the PBX's pickup code when one is configured, else nothing can be offered."""
    dialog = ringing_dialog(dialogs)
    if dialog is None:
        return PickupMethod.NONE
    if has_identity(dialog):
        return PickupMethod.REPLACES
    return PickupMethod.FEATURE_CODE if code_configured else PickupMethod.NONE


def choose_pickup(replaces_known: bool, pickup_prefix: str) -> PickupMethod:
    """At the click: Replaces when the engine named the ringing dialog, else the code when
    one is configured (the PBX decides whether anything rings), else Replaces, which the
    engine refuses (invalid_state) when there is nothing to replace."""
    if replaces_known or not pickup_prefix:
        return PickupMethod.REPLACES
    return PickupMethod.FEATURE_CODE
