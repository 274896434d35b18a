"""Settings: validation, atomic save, and a corrupt file moved aside instead of crashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.settings.schema import Settings, Theme
from softphone.settings.store import SettingsStore


def test_defaults_when_no_file(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings == Settings()
    assert store.recovered_from is None


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    account = AccountConfig(
        server="pbx.example.com:5070", user="1001", display_name="Ann", transport=Transport.TCP
    )
    SettingsStore(path).save(Settings(account=account, language="fr", theme=Theme.DARK))
    again = SettingsStore(path).settings
    assert again.account == account and again.language == "fr" and again.theme is Theme.DARK


def test_password_is_never_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    SettingsStore(path).save(Settings(account=AccountConfig(server="h", user="1001")))
    assert "password" not in path.read_text()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"account": {"server": 5, "user": "1"}}',
        '{"theme": "pink"}',
        '{"account": {"server": "bad host!", "user": "1001"}}',
        '{"language": "xx"}',
        "\x00\xff",
    ],
)
def test_corrupt_file_is_moved_aside_and_defaults_used(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content, errors="surrogateescape")
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert store.recovered_from is not None and store.recovered_from.exists()
    assert store.recovered_from.read_text(errors="surrogateescape") == content
    assert not path.exists()


def test_save_is_atomic_no_temp_files_left(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings(language="de"))
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]
    assert json.loads((tmp_path / "settings.json").read_text())["language"] == "de"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"server": "", "user": "1001"}, "server"),
        ({"server": "pbx:99999", "user": "1001"}, "server"),
        ({"server": "pbx", "user": "10 01"}, "user"),
        ({"server": "pbx", "user": "1001", "auth_user": "a b"}, "auth_user"),
        ({"server": "pbx", "user": "1001", "display_name": 'x"y'}, "display_name"),
    ],
)
def test_account_validation_names_the_field(fields: dict[str, str], bad: str) -> None:
    with pytest.raises(SoftphoneError) as info:
        AccountConfig(**fields)  # type: ignore[arg-type]
    assert info.value.key is ErrorKey.INVALID_ARGUMENT and info.value.field == bad


def test_unknown_theme_is_refused() -> None:
    with pytest.raises(SoftphoneError):
        Settings().with_changes(theme="neon")


def test_call_waiting_defaults_on_and_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    assert store.settings.call_waiting is True
    store.save(store.settings.with_changes(call_waiting=False))
    assert json.loads(path.read_text())["call_waiting"] is False
    assert SettingsStore(path).settings.call_waiting is False


def test_call_waiting_that_is_not_a_boolean_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "call_waiting": "no"}))
    assert SettingsStore(path).settings.call_waiting is True
