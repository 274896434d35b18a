"""The provisioning document's inline directory: InlineContact -> Contact, and the directory's
`provisioned` source holding exactly the document's entries, read-only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.bus import EventBus
from softphone.directory.service import Directory
from softphone.directory.store import DirectoryStore
from softphone.domain.directory import (
    Contact,
    ContactNumber,
    ContactSource,
    DirectoryChanged,
    DisplayOrder,
)
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.provisioning import InlineContact, inline_directory, parse_document
from softphone.settings.store import SettingsStore


def test_inline_contacts_become_read_only_provisioned_contacts() -> None:
    contacts = inline_directory(
        (
            InlineContact("Reception", ("+41 44 123 45 67",), "200"),
            InlineContact("Helpdesk", ("+41 44 123 45 99", "*55")),
            InlineContact("Night line", (), "209"),
            InlineContact("Helpdesk", ("+41 44 123 45 98",)),  # the same name twice
            InlineContact("Porter", ("210",), "210"),  # the extension among the numbers
        )
    )
    reception, helpdesk, night, helpdesk2, porter = contacts
    assert reception == Contact(
        source=ContactSource.PROVISIONED,
        uid="ext:200",
        display="Reception",
        numbers=(ContactNumber("office", "200"), ContactNumber("office", "+41 44 123 45 67")),
        internal=True,
        extension="200",
    )
    assert reception.name(DisplayOrder.LAST_FIRST) == "Reception"
    assert helpdesk.uid == "name:Helpdesk" and not helpdesk.internal and not helpdesk.extension
    assert [n.number for n in helpdesk.numbers] == ["+41 44 123 45 99", "*55"]
    assert night.numbers == (ContactNumber("office", "209"),) and night.internal
    assert helpdesk2.uid == "name:Helpdesk#2"
    assert [n.number for n in porter.numbers] == ["210"]
    assert inline_directory(()) == ()


def test_the_documents_entries_map_within_the_contact_limits() -> None:
    name = "N" * 200
    entry = {"name": name, "numbers": [f"+4144123456{i}" for i in range(10)], "extension": "9" * 32}
    document = parse_document(json.dumps({"version": 1, "directory": {"contacts": [entry]}}))
    (contact,) = inline_directory(document.contacts)
    assert contact.display == name and len(contact.numbers) == 11 and len(contact.uid) <= 200


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[tuple[Directory, list[object]]]:
    bus = EventBus()
    events: list[object] = []
    bus.subscribe(DirectoryChanged, events.append)
    prefs = SettingsStore(tmp_path / "settings.json")
    d = Directory(
        DirectoryStore(tmp_path / "dir.sqlite3", "CH"),
        bus,
        sources=lambda: prefs.settings.directory,
        order=lambda: prefs.settings.directory_order,
        password=lambda _k: None,
    )
    yield d, events
    d.store.close()


def test_the_provisioned_source_holds_exactly_the_last_document(
    directory: tuple[Directory, list[object]],
) -> None:
    d, events = directory
    d.set_provisioned(
        inline_directory(
            (
                InlineContact("Reception", ("+41 44 123 45 67",), "200"),
                InlineContact("Helpdesk", ("+41 44 123 45 99",)),
            )
        )
    )
    assert [c.name() for c in d.search("recep")] == ["Reception"]
    assert [c.name() for c in d.search("044 123 45 99")] == ["Helpdesk"]
    assert d.name_for("+41441234567") == "Reception"
    assert len(events) == 1
    status = {s.source: s for s in d.statuses()}[ContactSource.PROVISIONED]
    assert status.configured and status.count == 2 and status.synced_at is not None

    changed = (
        InlineContact("Front desk", ("+41 44 123 45 67",), "200"),  # renamed
        InlineContact("Canteen", ("+41 44 123 45 11",)),  # new; Helpdesk gone
    )
    d.set_provisioned(inline_directory(changed))
    assert d.search("helpdesk") == [] and d.search("recep") == []
    assert [c.name() for c in d.search("front")] == ["Front desk"]
    assert [c.name() for c in d.search("cant")] == ["Canteen"]
    assert len(events) == 2

    ids = [c.id for c in d.search("front")]
    d.set_provisioned(
        inline_directory(changed)
    )  # an unchanged document: nothing rewritten, no event
    assert [c.id for c in d.search("front")] == ids and len(events) == 2

    d.set_provisioned(())
    assert d.store.count(ContactSource.PROVISIONED) == 0
    assert not {s.source: s for s in d.statuses()}[ContactSource.PROVISIONED].configured


def test_provisioned_entries_are_read_only(directory: tuple[Directory, list[object]]) -> None:
    d, _ = directory
    d.set_provisioned(inline_directory((InlineContact("Reception", ("+41 44 123 45 67",)),)))
    (contact,) = d.search("reception")
    assert contact.id is not None
    for change in (
        lambda: d.update(contact.id or 0, Contact(ContactSource.PERSONAL, "x", display="Mine")),
        lambda: d.delete(contact.id or 0),
    ):
        with pytest.raises(SoftphoneError) as err:
            change()
        assert err.value.key is ErrorKey.CONTACT_NOT_FOUND
    personal = Contact(ContactSource.PERSONAL, "p", display="Mine", numbers=())
    with pytest.raises(SoftphoneError):
        d.set_provisioned((personal,))  # only `provisioned` contacts go into that source
