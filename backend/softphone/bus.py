"""In-process event bus: publishers never see a subscriber's exception."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from softphone.domain.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]


class EventBus:
    """Synchronous fan-out by event type; safe to publish from any thread.

    Handlers run on the publisher's thread, in subscription order. A handler that must not
    block the publisher (the engine reader, say) hands the work to its own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: list[tuple[type[Event], Callable[[Event], None]]] = []

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` for every published instance of `event_type`; returns unsubscribe."""
        entry = (event_type, handler)
        with self._lock:
            self._handlers.append(entry)  # type: ignore[arg-type]

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            handlers = [h for t, h in self._handlers if isinstance(event, t)]
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("subscriber %r failed on %s", handler, type(event).__name__)
