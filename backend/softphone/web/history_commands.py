"""Wire commands of the call history: history.list, history.delete_all, history.mark_seen."""

from __future__ import annotations

from collections.abc import Callable

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.history import HistoryFilter
from softphone.history.recorder import HistoryRecorder
from softphone.history.store import MAX_PAGE, HistoryStore
from softphone.web import wire
from softphone.web.wire import Wire

DEFAULT_PAGE = 50


def history_commands(
    store: HistoryStore, recorder: HistoryRecorder
) -> dict[str, Callable[[Wire], Wire | None]]:
    """Handlers to merge into the CommandTable."""

    def list_entries(args: Wire) -> Wire:
        if set(args) - {"filter", "before", "limit"}:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
        try:
            kind = HistoryFilter(args.get("filter", "all"))
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "filter") from exc
        before = args.get("before")
        if before is not None and (not isinstance(before, str) or len(before) > 64):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "before")
        limit = args.get("limit", DEFAULT_PAGE)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "limit")
        page = store.list(kind, before, limit)
        return {
            "entries": [wire.history_entry(e) for e in page.entries],
            "next_cursor": page.next_cursor,
        }

    def delete_all(_args: Wire) -> None:
        recorder.delete_all()

    def mark_seen(_args: Wire) -> None:
        recorder.mark_seen()

    return {
        "history.list": list_entries,
        "history.delete_all": delete_all,
        "history.mark_seen": mark_seen,
    }
