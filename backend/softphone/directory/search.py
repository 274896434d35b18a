"""Search query plans: which SQL answers what was typed, fast for narrow and broad queries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from softphone.directory.numbers import is_numberish, query_prefixes

# More matches than this and ordering them all by name costs more than walking the name
# index until enough are found (a single letter or "0" matches most of 50,000 contacts).
BROAD = 1000

_WORD = re.compile(r"\w+", re.UNICODE)
Plan = tuple[str, list[object]]
CountUpTo = Callable[[str, list[object], int], int]


def fold(text: str) -> str:
    """Lower case without accents: the sort key of a name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def fts_query(text: str) -> str:
    """Every typed word as a quoted prefix term, all required ("jo mu" -> "jo"* "mu"*)."""
    return " ".join(f'"{word}"*' for word in _WORD.findall(text))


def plan(
    query: str, columns: str, *, column: str, limit: int, country: str, count: CountUpTo
) -> Plan | None:
    """(sql, params) selecting `columns` of the best `limit` matches in `column` order."""
    tail = f" ORDER BY {column}, id LIMIT ?"
    if not query.strip():  # nothing typed: the start of the whole list, A to Z
        return f"SELECT {columns} FROM contacts" + tail, [limit]
    if is_numberish(query):
        return _numbers(query, columns, tail=tail, limit=limit, country=country, count=count)
    match = fts_query(query)
    if not match:
        return None
    words = _WORD.findall(query)
    fts = "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?"
    if len(words) == 1 and count(fts, [match], BROAD + 1) > BROAD:
        # One short word: first or last name starting with it, read in name order.
        prefix = fold(words[0])
        where = "(sort_first >= ? AND sort_first < ?) OR (sort_last >= ? AND sort_last < ?)"
        params: list[object] = [prefix, prefix + "\uffff", prefix, prefix + "\uffff", limit]
        return f"SELECT {columns} FROM contacts WHERE {where}" + tail, params
    return f"SELECT {columns} FROM contacts WHERE id IN ({fts})" + tail, [match, limit]


def _numbers(
    query: str, columns: str, *, tail: str, limit: int, country: str, count: CountUpTo
) -> Plan | None:
    pairs = query_prefixes(query, country)
    if not pairs:
        return None
    # Range comparisons rather than LIKE: they use the indexes, LIKE on TEXT does not.
    # ":" sorts right after "9", so [p, p + ":") is every digit string starting with p.
    branches = [
        (f"SELECT contact_id FROM numbers WHERE {col} >= ? AND {col} < ?", [p, p + ":"])
        for col, p in pairs
    ]
    digits = pairs[0][1]
    branches.append(
        (
            "SELECT id FROM contacts WHERE extension != '' AND extension >= ? AND extension < ?",
            [digits, digits + ":"],
        )
    )
    if any(count(sql, list(params), BROAD + 1) > BROAD for sql, params in branches):
        ranges = " OR ".join(f"({col} >= ? AND {col} < ?)" for col, _ in pairs)
        exists = f"SELECT 1 FROM numbers n WHERE n.contact_id = contacts.id AND ({ranges})"
        params: list[object] = [x for _, p in pairs for x in (p, p + ":")]
        return f"SELECT {columns} FROM contacts WHERE EXISTS ({exists})" + tail, [*params, limit]
    union = " UNION ".join(sql for sql, _ in branches)
    params = [x for _, p in branches for x in p]
    return f"SELECT {columns} FROM contacts WHERE id IN ({union})" + tail, [*params, limit]
