"""A minimal org.freedesktop.Notifications server that timestamps each Notify call it gets.

Used by bench_incoming.py: the time a notification server *receives* the Notify method call
(CLOCK_REALTIME, ns), printed as `notify <ns> <id> <summary>|<body>` on stdout. A real
server (dunst) can only run a script after it has drawn the notification, and dbus-monitor
is a third process whose timestamps are when it, not the server, got its copy.
Runs on the session bus named by DBUS_SESSION_BUS_ADDRESS; prints `ready` once it owns the
name.
"""

# No `from __future__ import annotations`: dbus_fast reads the D-Bus signatures from them.
import asyncio
import sys
import time

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class Notifications(ServiceInterface):
    def __init__(self) -> None:
        super().__init__(NAME)
        self._next = 0

    @method()
    def Notify(  # noqa: N802, PLR0917  (D-Bus names and signature)
        self,
        app_name: "s",  # noqa: F821
        replaces_id: "u",  # noqa: F821
        app_icon: "s",  # noqa: F821
        summary: "s",  # noqa: F821
        body: "s",  # noqa: F821
        actions: "as",  # noqa: F722
        hints: "a{sv}",  # noqa: F722
        expire_timeout: "i",  # noqa: F821
    ) -> "u":  # noqa: F821
        received = time.time_ns()  # first thing: the moment the server handles the call
        self._next += 1
        text = f"{summary}|{body}".replace("\n", " ")
        sys.stdout.write(f"notify {received} {self._next} {text}\n")
        sys.stdout.flush()
        return self._next

    @method()
    def CloseNotification(self, notification_id: "u") -> None:  # noqa: N802, F821
        self.NotificationClosed(notification_id, 3)

    @method()
    def GetCapabilities(self) -> "as":  # noqa: N802, F722
        return ["body", "actions"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: N802, F821
        return ["bench-notify", "softphone", "1", "1.2"]

    @signal()
    def NotificationClosed(self, notification_id: int, reason: int) -> "uu":  # noqa: N802, F821
        return [notification_id, reason]

    @signal()
    def ActionInvoked(self, notification_id: int, action: str) -> "us":  # noqa: N802, F821
        return [notification_id, action]


async def main() -> None:
    bus = await MessageBus().connect()
    bus.export(PATH, Notifications())
    await bus.request_name(NAME)
    print("ready", flush=True)
    await bus.wait_for_disconnect()


if __name__ == "__main__":
    asyncio.run(main())
