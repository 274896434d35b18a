"""One protocol: wire.py's docstring, docs/protocol.md, the encoders, the command table and
frontend/src/api/protocol.ts name the same events, snapshot fields and commands."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest

from softphone.domain.account import Registration, RegistrationState
from softphone.domain.settings import Settings
from softphone.web import wire
from softphone.web.audio_commands import audio_commands
from softphone.web.commands import CommandTable
from softphone.web.desktop_commands import desktop_commands
from softphone.web.directory_commands import directory_commands
from softphone.web.directory_test import directory_test_commands
from softphone.web.headset_audio_commands import headset_audio_commands
from softphone.web.history_commands import history_commands
from softphone.web.link_commands import link_commands
from softphone.web.network_commands import network_commands
from softphone.web.provisioning_commands import provisioning_commands
from softphone.web.tls_commands import tls_commands

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "backend" / "softphone" / "app.py"
DOC = ROOT / "docs" / "protocol.md"
TS_PROTOCOL = ROOT / "frontend" / "src" / "api" / "protocol.ts"
TS_AUDIO = ROOT / "frontend" / "src" / "api" / "audio.ts"
TS_NETWORK = ROOT / "frontend" / "src" / "api" / "network.ts"

# Every function app.py merges into the command table; a new one must be listed here too
# (test_app_registers_only_known_command_modules fails otherwise).
COMMAND_MODULES: set[Callable[..., dict[str, Any]]] = {
    audio_commands,
    desktop_commands,
    directory_commands,
    directory_test_commands,
    headset_audio_commands,
    history_commands,
    link_commands,
    network_commands,
    provisioning_commands,
    tls_commands,
}


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def _dict_keys(tree: ast.AST) -> set[str]:
    return {
        k.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for k in node.keys
        if isinstance(k, ast.Constant) and isinstance(k.value, str)
    }


def _app_handler_subscripts() -> set[str]:
    """Commands app.py sets one by one: ``self.commands.handlers["name"] = ...``."""
    names = set()
    for node in ast.walk(ast.parse(APP.read_text())):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Attribute)
                    and target.value.attr == "handlers"
                    and isinstance(target.slice, ast.Constant)
                ):
                    names.add(str(target.slice.value))
    return names


def registered_commands() -> set[str]:
    """The command names the app registers (handlers built with mocks: none runs)."""
    names = set(CommandTable(MagicMock(), MagicMock(), MagicMock(), MagicMock()).handlers)
    for make in COMMAND_MODULES:
        params = inspect.signature(make).parameters
        args = [MagicMock() for p in params.values() if p.default is inspect.Parameter.empty]
        kwargs = {
            p.name: MagicMock()
            for p in params.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        }
        positional = args[: len(args) - len(kwargs)]
        names |= set(make(*positional, **kwargs))
    return names | _app_handler_subscripts()


def encoded_event_types() -> set[str]:
    """Every ``"type"`` that to_wire and snapshot can send."""
    types = set()
    for function in (wire.to_wire, wire.snapshot):
        for node in ast.walk(ast.parse(inspect.getsource(function))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "type"
                        and isinstance(value, ast.Constant)
                    ):
                        types.add(str(value.value))
    return types


def encoded_snapshot() -> dict[str, Any]:
    return wire.snapshot(None, Registration(RegistrationState.UNCONFIGURED), [], Settings())


def snapshot_fields() -> set[str]:
    return set(encoded_snapshot()) - {"type"}


def encoder_keys(function: Callable[..., Any]) -> set[str]:
    """The keys of the dict an encoder of web/wire.py returns, read from its source."""
    return {
        key.value
        for node in ast.walk(ast.parse(inspect.getsource(function)))
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict)
        for key in node.value.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def settings_part(name: str | None = None) -> Callable[[], set[str]]:
    """The fields of the encoded default Settings, or of one of its objects."""

    def fields() -> set[str]:
        encoded = encoded_snapshot()["settings"]
        return set(encoded if name is None else encoded[name])

    return fields


# --- the docstring of web/wire.py ---------------------------------------------------------


def _docstring() -> str:
    assert wire.__doc__ is not None
    return wire.__doc__


def docstring_events() -> set[str]:
    section = _section(_docstring(), "Server -> client", "Client -> server")
    return set(re.findall(r"^    ([a-z_]+)(?:  |$)", section, re.MULTILINE))


def docstring_snapshot_fields() -> set[str]:
    section = _section(_docstring(), "    snapshot ", "    account_changed")
    fields = section.split("(", 1)[0].removeprefix("    snapshot")
    return {f.strip().removesuffix("[]") for f in fields.split(",")}


def docstring_commands() -> set[str]:
    section = _docstring()[_docstring().index("Client -> server") :]
    return set(re.findall(r"^    ([a-z_]+\.[a-z_]+) ", section, re.MULTILINE))


# --- docs/protocol.md ---------------------------------------------------------------------


def doc_events() -> set[str]:
    section = _section(DOC.read_text(), "## Server -> client", "Objects:")
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))


def doc_snapshot_fields() -> set[str]:
    row = re.search(r"^\| `snapshot` \| (.*?) \|", DOC.read_text(), re.MULTILINE)
    assert row is not None
    return set(re.findall(r"`([a-z_]+)(?:\[\])?:", row.group(1)))


def doc_commands() -> set[str]:
    section = _section(DOC.read_text(), "## Client -> server", "## Error keys")
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", section, re.MULTILINE))


# --- frontend/src/api/protocol.ts (read as text) ------------------------------------------


def _ts() -> str:
    return TS_PROTOCOL.read_text() + TS_AUDIO.read_text()


def ts_union_events() -> set[str]:
    """The ``type: "..."`` members of ServerEvent (and the event types it includes)."""
    return set(re.findall(r'\btype: "([a-z_]+)"', _ts()))


def ts_event_type_set() -> set[str]:
    body = _section(TS_PROTOCOL.read_text(), "const SERVER_EVENT_TYPES", "]);")
    audio = _section(TS_AUDIO.read_text(), "export const AUDIO_EVENT_TYPES", "]")
    names = set(re.findall(r'"([a-z_]+)"', body)) | set(re.findall(r'"([a-z_]+)"', audio))
    assert "...AUDIO_EVENT_TYPES" in body
    return names


def ts_snapshot_fields() -> set[str]:
    body = _section(TS_PROTOCOL.read_text(), "export interface SnapshotEvent {", "\n}")
    return set(re.findall(r"^  ([a-z_]+)\??:", body, re.MULTILINE)) - {"type"}


def ts_fields(interface: str) -> dict[str, bool]:
    """An interface's fields in protocol.ts, audio.ts or network.ts -> required (no ``?``)."""
    text = _ts() + TS_NETWORK.read_text()
    body = _section(text, f"export interface {interface} {{", "\n}")
    found = re.findall(r"^  ([a-z_0-9]+)(\?)?:", body, re.MULTILINE)
    return {name: not optional for name, optional in found}


def ts_commands() -> set[str]:
    names = set()
    for path, interface in ((TS_PROTOCOL, "CommandMap"), (TS_AUDIO, "AudioCommandMap")):
        body = _section(path.read_text(), f"export interface {interface} ", "\n}")
        names |= set(re.findall(r'^  "([a-z_]+\.[a-z_]+)":', body, re.MULTILINE))
    return names


# --- the checks ---------------------------------------------------------------------------


def test_the_parsers_find_something() -> None:
    """A parser broken by a format change would make every comparison pass on empty sets."""
    for found in (
        encoded_event_types(),
        docstring_events(),
        doc_events(),
        ts_union_events(),
        ts_event_type_set(),
    ):
        assert {"snapshot", "call_changed", "mic_level"} <= found
    for found in (registered_commands(), docstring_commands(), doc_commands(), ts_commands()):
        assert {"call.dial", "call.hold", "audio.devices"} <= found
    assert {"id", "state", "actions"} <= encoder_keys(wire.call)
    assert {"id", "state", "actions"} <= set(ts_fields("Call"))


@pytest.mark.parametrize(
    "documented",
    [docstring_events, doc_events, ts_union_events, ts_event_type_set],
    ids=["wire.py docstring", "docs/protocol.md", "protocol.ts ServerEvent", "SERVER_EVENT_TYPES"],
)
def test_every_event_type_sent_is_documented_and_nothing_else(documented: object) -> None:
    assert callable(documented)
    assert documented() == encoded_event_types()


@pytest.mark.parametrize(
    "documented",
    [docstring_snapshot_fields, doc_snapshot_fields, ts_snapshot_fields],
    ids=["wire.py docstring", "docs/protocol.md", "protocol.ts SnapshotEvent"],
)
def test_every_snapshot_field_is_documented_and_nothing_else(documented: object) -> None:
    assert callable(documented)
    assert documented() == snapshot_fields()


@pytest.mark.parametrize(
    "documented",
    [docstring_commands, doc_commands, ts_commands],
    ids=["wire.py docstring", "docs/protocol.md", "protocol.ts CommandMap"],
)
def test_every_registered_command_is_documented_and_nothing_else(documented: object) -> None:
    assert callable(documented)
    assert documented() == registered_commands()


def test_app_registers_only_known_command_modules() -> None:
    """registered_commands() sees what app.py merges: each ``*_commands(...)`` it calls."""
    called = {
        node.func.id
        for node in ast.walk(ast.parse(APP.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.endswith("_commands")
    }
    assert called == {make.__name__ for make in COMMAND_MODULES}


# protocol.ts interface -> the fields the backend always sends in it.
SENT_OBJECTS: dict[str, Callable[[], set[str]]] = {
    "SnapshotEvent": lambda: set(encoded_snapshot()),
    "Account": lambda: encoder_keys(wire.account),
    "Registration": lambda: encoder_keys(wire.registration),
    "Call": lambda: encoder_keys(wire.call),
    "Settings": settings_part(),
    "Forwarding": settings_part("forwarding"),
    "FeatureCodes": settings_part("feature_codes"),
    "DirectorySources": settings_part("directory"),
    "NetworkSettings": settings_part("network"),
    "Contact": lambda: encoder_keys(wire.contact),
    "SourceStatus": lambda: encoder_keys(wire.source_status),
    "Headset": lambda: encoder_keys(wire.headset),
    "LineState": lambda: encoder_keys(wire.line_state),
    "HistoryEntry": lambda: encoder_keys(wire.history_entry),
    "Voicemail": lambda: encoder_keys(wire.voicemail),
    "AudioDevice": lambda: encoder_keys(wire.audio_device),
    "AudioFallback": lambda: encoder_keys(wire.audio_fallback),
    "AudioStatus": lambda: encoder_keys(wire.audio_status),
}


@pytest.mark.parametrize("interface", sorted(SENT_OBJECTS))
def test_protocol_ts_declares_every_field_sent_as_required_and_nothing_else(interface: str) -> None:
    """Backend and frontend ship together: a field the backend always sends is required in
    protocol.ts, so no view guesses a default for one that is "absent"."""
    fields = ts_fields(interface)
    assert set(fields) == SENT_OBJECTS[interface]()
    assert [name for name, required in fields.items() if not required] == []


def _versions_named() -> dict[str, list[str]]:
    """Every place that states the protocol version, with the numbers it states."""
    ts = TS_PROTOCOL.read_text()
    doc = DOC.read_text()
    snapshot_row = re.search(r"^\| `snapshot` \| `schema: (\d+)`", doc, re.MULTILINE)
    ts_constant = r"^export const SCHEMA_VERSION = (\d+);$"
    mock = (ROOT / "frontend" / "dev" / "mock-server.mjs").read_text()
    return {
        "wire.py docstring title": re.findall(r"\(schema (\d+)\)", _docstring().splitlines()[0]),
        "wire.py docstring Version": re.findall(
            r"SCHEMA_VERSION \(an int, (\d+) now\)", _docstring()
        ),
        "protocol.md title": re.findall(r"\(schema (\d+)\)", doc.splitlines()[0]),
        "protocol.md Version": re.findall(r"`SCHEMA_VERSION` in `wire.py`, (\d+) now", doc),
        "protocol.md snapshot row": [snapshot_row.group(1)] if snapshot_row else [],
        "protocol.ts title": re.findall(r"\(schema (\d+)\)", ts.splitlines()[0]),
        "protocol.ts SCHEMA_VERSION": re.findall(ts_constant, ts, re.MULTILINE),
        "the dev mock server's snapshot": re.findall(r"^  schema: (\d+),$", mock, re.MULTILINE),
    }


def test_the_protocol_version_is_the_same_on_both_sides_and_in_the_docs() -> None:
    """The frontend refuses a backend of another version: the one it was built for must be
    the one the backend sends, and every text that names it says the same number."""
    assert isinstance(wire.SCHEMA_VERSION, int)
    assert encoded_snapshot()["schema"] == wire.SCHEMA_VERSION
    named = {where: [int(n) for n in found] for where, found in _versions_named().items()}
    assert named == {where: [wire.SCHEMA_VERSION] for where in named}
