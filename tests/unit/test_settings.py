"""Settings: validation, atomic save, and a corrupt file moved aside instead of crashing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from softphone.domain.account import AccountConfig, Transport
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.settings import Settings, Theme
from softphone.domain.window import WindowGeometry
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


def test_audio_choices_round_trip_and_default(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert (Settings().ring_volume, Settings().echo_cancellation) == (80, True)
    assert Settings().auto_gain is False
    assert Settings().audio_input is None and Settings().audio_ringer is None
    chosen = Settings().with_changes(
        audio_input="alsa_input.usb-Jabra",
        audio_output="alsa_output.usb-Jabra",
        audio_ringer="alsa_output.pci",
        audio_names=(("alsa_input.usb-Jabra", "Jabra Evolve2 65"),),
        ring_volume=35,
        echo_cancellation=False,
        auto_gain=True,
    )
    SettingsStore(path).save(chosen)
    assert SettingsStore(path).settings == chosen


@pytest.mark.parametrize(
    "changes",
    [
        {"ring_volume": 101},
        {"ring_volume": -1},
        {"ring_volume": True},
        {"ring_volume": "50"},
        {"audio_input": ""},
        {"audio_output": 7},
        {"audio_ringer": "x" * 257},
        {"echo_cancellation": "yes"},
        {"auto_gain": 1},
    ],
)
def test_bad_audio_values_are_refused_with_the_field(changes: dict[str, object]) -> None:
    with pytest.raises(SoftphoneError) as err:
        Settings().with_changes(**changes)
    assert err.value.key is ErrorKey.INVALID_ARGUMENT
    assert err.value.field == next(iter(changes))


def test_a_bad_audio_value_on_disk_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"ring_volume": 900}))
    store = SettingsStore(path)
    assert store.settings.ring_volume == 80
    assert store.recovered_from is not None


def test_update_from_two_threads_loses_no_change(tmp_path: Path) -> None:
    """The window's geometry is saved while the UI changes settings: neither may undo the other."""
    store = SettingsStore(tmp_path / "settings.json")
    start = threading.Barrier(2)

    def move() -> None:
        start.wait()
        for i in range(200):
            store.update(window=WindowGeometry(i, i, 800, 600))

    def toggle() -> None:
        start.wait()
        for i in range(200):
            store.update(dnd=i % 2 == 0)

    threads = [threading.Thread(target=move), threading.Thread(target=toggle)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = SettingsStore(tmp_path / "settings.json").settings
    assert final.window == WindowGeometry(199, 199, 800, 600)
    assert final.dnd is False  # the last toggle (i = 199) turned it off
