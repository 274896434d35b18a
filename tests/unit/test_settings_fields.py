"""One source: the Settings fields decide the file, the wire object, settings.update's keys
and what a provisioning document may lock; files and wire keep their format."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.provisioning import LOCKABLE
from softphone.domain.settings import (
    EDITABLE_SETTINGS,
    LOCKABLE_SETTINGS,
    WIRE_SETTINGS,
    Settings,
)
from softphone.settings.schema import from_json, to_json
from softphone.settings.store import SettingsStore
from softphone.web import wire
from softphone.web.commands import CommandTable
from softphone.web.locks import locked_setting

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "settings"
# Every setting away from its default, as the version before the typed domain Settings wrote
# it (settings.json) and sent it (the wire's Settings object).
WRITTEN = json.loads((FIXTURES / "settings-v1.json").read_text())
SENT = json.loads((FIXTURES / "settings-v1-wire.json").read_text())


def test_a_file_written_before_loads_and_saves_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text((FIXTURES / "settings-v1.json").read_text())
    store = SettingsStore(path)
    assert store.recovered_from is None
    for setting in fields(Settings):  # the file exercises every setting
        assert getattr(store.settings, setting.name) != getattr(Settings(), setting.name)
    store.save(store.settings)
    saved = json.loads(path.read_text())
    assert {key: saved[key] for key in WRITTEN} == WRITTEN  # settings added later: extra keys
    assert set(saved) == {f.name for f in fields(Settings)} | {"version"}


def test_the_file_holds_every_field_and_reads_back_the_same() -> None:
    settings = from_json(WRITTEN)
    assert set(WRITTEN) - {"version"} == {f.name for f in fields(Settings)}
    assert from_json(json.loads(json.dumps(to_json(settings)))) == settings
    assert from_json({}) == Settings()  # a file from before every setting: the defaults


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_a_setting_of_the_wrong_type_in_the_file_is_not_trusted(name: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    wrong = {"not": "a setting"} if isinstance(WRITTEN[name], str) else "x"
    path.write_text(json.dumps({**WRITTEN, name: wrong}))
    store = SettingsStore(path)
    assert store.recovered_from is not None and store.settings == Settings()


def test_the_wire_sends_exactly_the_wire_settings_in_their_format() -> None:
    sent = wire.settings(from_json(WRITTEN))
    assert sent == SENT
    assert tuple(sent) == WIRE_SETTINGS
    assert {"account", "audio_names", "audio_before_headset", "window"}.isdisjoint(sent)
    # protocol.ts declares the same fields: tests/unit/test_protocol_docs.py


def _documented_update_keys(text: str) -> set[str]:
    return set(re.findall(r"\b([a-z_]+)\?", text))


def test_settings_update_is_documented_with_exactly_the_editable_settings() -> None:
    assert wire.__doc__ is not None
    doc = wire.__doc__[wire.__doc__.index("    settings.update ") :]
    assert _documented_update_keys(doc[: doc.index("}")]) == set(EDITABLE_SETTINGS)
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    row = re.search(r"^\| `settings.update` \| `\{(.*?)\}`", protocol, re.MULTILINE)
    assert row is not None
    assert _documented_update_keys(row.group(1)) == set(EDITABLE_SETTINGS)


def _update(args: dict[str, object], tmp_path: Path) -> SettingsStore:
    store = SettingsStore(tmp_path / "settings.json")
    CommandTable(MagicMock(), MagicMock(), store, EventBus()).run("settings.update", args)
    return store


def test_settings_update_changes_every_editable_setting(tmp_path: Path) -> None:
    """Each editable setting, sent as the frontend sends it, arrives as the file has it."""
    wanted = from_json(WRITTEN)
    store = _update({name: SENT[name] for name in EDITABLE_SETTINGS}, tmp_path)
    for name in EDITABLE_SETTINGS:
        assert getattr(store.settings, name) == getattr(wanted, name), name


@pytest.mark.parametrize("name", sorted({f.name for f in fields(Settings)} - {*EDITABLE_SETTINGS}))
def test_settings_update_refuses_what_other_commands_change(name: str, tmp_path: Path) -> None:
    with pytest.raises(SoftphoneError) as err:
        _update({name: WRITTEN[name]}, tmp_path)
    assert err.value.key is ErrorKey.INVALID_ARGUMENT and err.value.field is None


def test_what_may_be_locked_comes_from_the_settings() -> None:
    row = (ROOT / "docs" / "provisioning.md").read_text().split("| `locked` |", 1)[1]
    documented = set(re.findall(r"`([a-z_]+)`", row[: row.index(". ")]))
    assert documented == LOCKABLE == {*LOCKABLE_SETTINGS, "voicemail"}
    for name in set(EDITABLE_SETTINGS) & set(LOCKABLE_SETTINGS):
        assert locked_setting("settings.update", {name: {}}, lambda n=name: (n,)) == name
    for name in set(EDITABLE_SETTINGS) - set(LOCKABLE_SETTINGS):
        assert locked_setting("settings.update", {name: True}, lambda n=name: (n,)) is None
