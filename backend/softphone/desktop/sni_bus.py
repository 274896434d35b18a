"""What the session bus's StatusNotifierWatcher (the tray's registry) knows of this process."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

WATCHER = "org.kde.StatusNotifierWatcher"
_WATCHER_PATH = "/StatusNotifierWatcher"
_TIMEOUT_S = 0.5  # GUI thread: a bus that does not answer must not freeze the window


class SniBus:
    """Blocking questions on the session bus (jeepney, already shipped for the keyring), asked
    from the GUI thread every few seconds at most; any failure reads as "don't know"."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._broken = False

    def watcher(self) -> str | None:
        """The watcher's unique bus name, None if there is none (or no bus)."""
        from jeepney import message_bus

        reply = self._ask(message_bus.GetNameOwner(WATCHER))
        return str(reply[0]) if reply else None

    def lists_this_process(self) -> bool | None:
        """Whether the watcher lists an item owned by this process; None if it could not be
        asked. Qt names its item's connection itself, so items are matched by process."""
        from jeepney import DBusAddress, Properties, message_bus

        watcher = DBusAddress(_WATCHER_PATH, bus_name=WATCHER, interface=WATCHER)
        reply = self._ask(Properties(watcher).get("RegisteredStatusNotifierItems"))
        if reply is None:
            return None
        _signature, entries = reply[0]
        for entry in entries:
            owner = self._ask(message_bus.GetConnectionUnixProcessID(str(entry).split("/")[0]))
            if owner and int(owner[0]) == os.getpid():
                return True
        return False

    def _ask(self, message: Any) -> tuple[Any, ...] | None:
        from jeepney import DBusErrorResponse
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        if self._broken:
            return None
        try:
            if self._connection is None:
                self._connection = open_dbus_connection(bus="SESSION")
            reply = self._connection.send_and_get_reply(message, timeout=_TIMEOUT_S)
            return tuple(unwrap_msg(reply))
        except DBusErrorResponse:
            return None  # no such name, no such property: an answer
        except Exception as exc:  # no session bus, a timeout: stop asking
            log.info("session bus not usable for the tray check (%s)", exc)
            self.close()
            self._broken = True
            return None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
