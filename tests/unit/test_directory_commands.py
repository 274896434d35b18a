"""Directory wire commands (contacts CRUD, import report, search) and caller-name resolution."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.bus import EventBus
from softphone.directory.importexport import MAX_IMPORT_BYTES
from softphone.directory.service import Directory
from softphone.directory.store import DirectoryStore
from softphone.domain.calls import CallDirection, CallState
from softphone.domain.directory import DirectoryChanged
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CallChanged, EngineCallReported
from softphone.phone.calls import CallRegistry
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from softphone.web.directory_commands import directory_commands
from softphone.web.wire import Wire

Handlers = dict[str, object]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Directory, SettingsStore, EventBus, Handlers]]:
    bus = EventBus()
    prefs = SettingsStore(tmp_path / "settings.json")
    directory = Directory(
        DirectoryStore(tmp_path / "dir.sqlite3", "CH"),
        bus,
        sources=lambda: prefs.settings.directory,
        order=lambda: prefs.settings.directory_order,
        password=lambda _k: None,
    )
    handlers = directory_commands(directory, prefs, SecretStore(), bus.publish)
    yield directory, prefs, bus, handlers  # type: ignore[misc]
    directory.store.close()


def run(handlers: Handlers, name: str, args: Wire) -> Wire:
    return handlers[name](args) or {}  # type: ignore[operator,no-any-return]


def test_personal_contact_crud_and_search(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers],
) -> None:
    _, prefs, bus, h = setup
    changes: list[DirectoryChanged] = []
    bus.subscribe(DirectoryChanged, changes.append)
    made = run(
        h,
        "contacts.create",
        {
            "given": "Hélène",
            "family": "Dupré",
            "numbers": [
                {"label": "mobile", "number": "079 555 12 34"},
                {"label": "office", "number": "1001"},
            ],
        },
    )["contact"]
    assert made["name"] == "Hélène Dupré" and made["source"] == "personal"
    assert [n["e164"] for n in made["numbers"]] == ["+41795551234", ""]
    found = run(h, "directory.search", {"query": "helene"})["contacts"]
    assert [c["id"] for c in found] == [made["id"]]
    run(
        h,
        "contacts.update",
        {"id": made["id"], "given": "Hélène", "family": "Zeller", "numbers": []},
    )
    prefs.save(prefs.settings.with_changes(directory_order="last_first"))
    assert run(h, "directory.search", {"query": "zel"})["contacts"][0]["name"] == "Zeller, Hélène"
    run(h, "contacts.delete", {"id": made["id"]})
    assert run(h, "directory.search", {"query": "zel"})["contacts"] == []
    assert len(changes) == 3
    with pytest.raises(SoftphoneError) as err:
        run(h, "contacts.delete", {"id": made["id"]})
    assert err.value.key is ErrorKey.CONTACT_NOT_FOUND


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"numbers": []}, "name"),
        ({"given": "A", "numbers": [{"label": "pager", "number": "1"}]}, "label"),
        ({"given": "A", "numbers": [{"label": "mobile", "number": "call me"}]}, "number"),
        ({"given": "A", "evil": 1}, None),
    ],
)
def test_bad_contacts_are_refused_with_a_field(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers], args: Wire, field: str | None
) -> None:
    with pytest.raises(SoftphoneError) as err:
        run(setup[3], "contacts.create", args)
    assert err.value.field == field


def test_import_reports_rejected_lines_and_export_returns_them(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers],
) -> None:
    h = setup[3]
    report = run(
        h,
        "contacts.import",
        {"format": "csv", "data": "given,family,mobile\nA,B,0791234567\n,,1\nC,D,??\n"},
    )
    assert report == {
        "imported": 1,
        "rejected": [{"line": 3, "reason": "no_name"}, {"line": 4, "reason": "invalid_number"}],
        "rejected_count": 2,
    }
    out = run(h, "contacts.export", {"format": "vcard"})
    assert out["filename"] == "contacts.vcf" and "TEL;TYPE=CELL:0791234567" in out["data"]


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("vcard", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zo\ud800\r\nEND:VCARD\r\n"),
        ("csv", "given,mobile\nZo\udfff,1001\n"),
    ],
)
def test_import_of_a_lone_surrogate_is_bad_encoding_and_stores_nothing(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers], fmt: str, data: str
) -> None:
    # What JSON "\ud800" from the frontend decodes to; was internal_error from SQLite.
    with pytest.raises(SoftphoneError) as err:
        run(setup[3], "contacts.import", {"format": fmt, "data": data})
    assert (err.value.key, err.value.field) == (ErrorKey.BAD_ENCODING, "data")
    assert run(setup[3], "directory.search", {"query": "zo"})["contacts"] == []


def test_a_contact_form_with_a_lone_surrogate_is_an_invalid_field(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers],
) -> None:
    with pytest.raises(SoftphoneError) as err:
        run(setup[3], "contacts.create", {"given": "Zo\ud800", "numbers": []})
    assert (err.value.key, err.value.field) == (ErrorKey.INVALID_ARGUMENT, "given")


def test_import_over_the_limit_is_too_large(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers],
) -> None:
    big = "given\n" + "é" * (MAX_IMPORT_BYTES // 2)  # fewer characters than bytes
    with pytest.raises(SoftphoneError) as err:
        run(setup[3], "contacts.import", {"format": "csv", "data": big})
    assert err.value.key is ErrorKey.TOO_LARGE


def test_calls_show_the_directory_name_of_a_known_number(
    setup: tuple[Directory, SettingsStore, EventBus, Handlers],
) -> None:
    directory, _, bus, h = setup
    run(
        h,
        "contacts.create",
        {
            "given": "John",
            "family": "Muller",
            "numbers": [{"label": "office", "number": "044 123 45 67"}],
        },
    )
    registry = CallRegistry(bus, resolve_name=directory.name_for)
    seen: list[CallChanged] = []
    bus.subscribe(CallChanged, seen.append)
    for call_id, number, sip_name in (
        ("c1", "+41441234567", "ACME GW"),
        ("c2", "0799999999", "Stranger"),
    ):
        bus.publish(
            EngineCallReported(
                call_id,
                CallDirection.INCOMING,
                CallState.RINGING_IN,
                number,
                sip_name,
                f"sip:{number}@pbx",
            )
        )
    assert registry.get("c1").display_name == "John Muller"  # type: ignore[union-attr]
    assert registry.get("c2").display_name == "Stranger"  # type: ignore[union-attr]
    assert seen[0].call.display_name == "John Muller"
