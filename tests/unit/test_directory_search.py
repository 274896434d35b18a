"""Directory search: accents and case, word prefixes, number formats, display order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.directory.store import DirectoryStore
from softphone.domain.directory import Contact, ContactNumber, ContactSource, DisplayOrder

P = ContactSource.PERSONAL


def person(uid: str, given: str, family: str, *numbers: tuple[str, str], **kw: object) -> Contact:
    nums = tuple(ContactNumber(label, number) for label, number in numbers)
    return Contact(P, uid, given=given, family=family, numbers=nums, **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DirectoryStore]:
    s = DirectoryStore(tmp_path / "directory.sqlite3", home_country="CH")
    s.upsert(
        [
            person("1", "Hélène", "Dupré", ("mobile", "+41 79 555 12 34"), ("office", "1001")),
            person("2", "John", "Muller", ("office", "044 123 45 67")),
            person("3", "Johanna", "Zürcher", ("home", "+33 1 23 45 67 89")),
            person("4", "Anna", "Adams", ("office", "1002"), internal=True, extension="1002"),
            person("5", "Müller", "", ("other", "0441110000")),
        ]
    )
    yield s
    s.close()


def names(contacts: list[Contact]) -> list[str]:
    return [c.name() for c in contacts]


def test_uses_wal_and_fts5(store: DirectoryStore) -> None:
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("query", ["helene", "HELENE", "hélène", "dupre", "Hel"])
def test_accents_and_case_are_ignored(store: DirectoryStore, query: str) -> None:
    assert names(store.search(query)) == ["Hélène Dupré"]


def test_word_prefixes_all_required(store: DirectoryStore) -> None:
    assert names(store.search("jo mu")) == ["John Muller"]
    assert names(store.search("jo")) == ["Johanna Zürcher", "John Muller"]
    assert names(store.search("mu jo")) == ["John Muller"]
    assert store.search("jo xyz") == []


@pytest.mark.parametrize(
    "query", ["+41 44 123 45 67", "0441234567", "044 123 45 67", "0041441234567", "044 12", "44123"]
)
def test_number_formats_find_the_same_number(store: DirectoryStore, query: str) -> None:
    assert names(store.search(query)) == ["John Muller"]


def test_extension_and_foreign_numbers(store: DirectoryStore) -> None:
    assert names(store.search("1001")) == ["Hélène Dupré"]
    assert names(store.search("+33 1 23")) == ["Johanna Zürcher"]
    assert names(store.search("0033123456789")) == ["Johanna Zürcher"]


def test_display_order_changes_sorting(store: DirectoryStore) -> None:
    store.upsert([person("6", "Zoé", "Albers"), person("7", "Adam", "Zimmer")])
    first = names(store.search("a", order=DisplayOrder.FIRST_LAST))
    assert first == ["Adam Zimmer", "Anna Adams", "Zoé Albers"]
    last = store.search("a", order=DisplayOrder.LAST_FIRST)
    assert [c.name(DisplayOrder.LAST_FIRST) for c in last] == [
        "Adams, Anna",
        "Albers, Zoé",
        "Zimmer, Adam",
    ]
    everyone = [c.name(DisplayOrder.LAST_FIRST) for c in store.all(P, DisplayOrder.LAST_FIRST)]
    assert everyone[:3] == ["Adams, Anna", "Albers, Zoé", "Dupré, Hélène"]


def test_lookup_number_in_any_format(store: DirectoryStore) -> None:
    assert store.lookup_number("+41441234567") == "John Muller"
    assert store.lookup_number("0041 44 123 45 67") == "John Muller"
    assert store.lookup_number("1002") == "Anna Adams"
    assert store.lookup_number("0797777777") is None
    assert store.lookup_number("+41795551234", DisplayOrder.LAST_FIRST) == "Dupré, Hélène"


def test_update_rename_and_delete_reindex(store: DirectoryStore) -> None:
    store.upsert([person("2", "Jonas", "Meier", ("office", "044 123 45 67"))])
    assert names(store.search("muller")) == ["Müller"]
    assert names(store.search("jon me")) == ["Jonas Meier"]
    store.delete(P, ["2"])
    assert store.search("jonas") == [] and store.lookup_number("0441234567") is None


def test_internal_entries_feed_blf(store: DirectoryStore) -> None:
    assert [(c.name(), c.extension) for c in store.internal()] == [("Anna Adams", "1002")]


def test_quotes_and_operators_in_query_are_plain_text(store: DirectoryStore) -> None:
    assert store.search('"') == []
    assert store.search("NOT OR AND") == []
    assert names(store.search('jo" OR "x')) == []


def test_broad_queries_walk_the_name_order(
    store: DirectoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BROAD matches the plan changes (name index, EXISTS); the answers must not."""
    narrow = {q: names(store.search(q)) for q in ("j", "0", "+41", "044 1")}
    monkeypatch.setattr("softphone.directory.search.BROAD", 1)
    broad = {q: names(store.search(q)) for q in ("j", "0", "+41", "044 1")}
    assert broad == narrow
    assert broad["j"] == ["Johanna Zürcher", "John Muller"]
