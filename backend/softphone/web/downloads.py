"""One-time download links for files the UI asked for (the log archive in browser mode)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

TTL_S = 120.0  # long enough for a click, short enough that a stale link is worthless


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    mimetype: str
    data: bytes = field(repr=False)
    expires: float = 0.0


class Downloads:
    """Files kept in memory behind an unguessable, single-use ticket.

    The ticket is handed out only as the answer to a command on the authenticated socket, so
    the link is as private as the per-launch token, without putting that token in a URL the
    browser keeps in its history and downloads list.
    """

    def __init__(self, ttl: float = TTL_S) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._items: dict[str, Download] = {}

    def offer(self, filename: str, data: bytes, mimetype: str) -> str:
        """Keep the file; returns the path of its link (`/download/<ticket>`)."""
        ticket = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v.expires > now}
            self._items[ticket] = Download(filename, mimetype, data, now + self._ttl)
        return f"/download/{ticket}"

    def take(self, ticket: str) -> Download | None:
        """The file once; None when unknown, already taken or expired."""
        with self._lock:
            item = self._items.pop(ticket, None)
        if item is None or item.expires <= time.monotonic():
            return None
        return item
