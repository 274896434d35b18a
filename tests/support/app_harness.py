"""The real softphone app in this process, driven through its wire protocol like the UI."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import socketio

from softphone.app import SoftphoneApp
from softphone.engine.config import EngineConfig, MediaTestConfig
from softphone.headset.device import HidTransport
from softphone.options import AppOptions
from softphone.paths import AppPaths
from support.engine_watch import ENGINE_WATCH

Event = dict[str, Any]


def registration_event(state: str, error: str | None = None) -> Callable[[Event], bool]:
    """Matches a registration_changed event to `state` (and `error`, when given)."""

    def match(event: Event) -> bool:
        reg = event.get("registration")
        return (
            event.get("type") == "registration_changed"
            and isinstance(reg, dict)
            and reg["state"] == state
            and (error is None or reg["error"] == error)
        )

    return match


class UiClient:
    """A Socket.IO client like the frontend: sends commands, records every pushed event."""

    def __init__(self, app: SoftphoneApp) -> None:
        self._connect(app.web.port, app.web.token)

    @classmethod
    def at(cls, port: int, token: str) -> UiClient:
        """A client of an app running in another process (known by its port and token)."""
        client = cls.__new__(cls)
        client._connect(port, token)
        return client

    def _connect(self, port: int, token: str) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event)
        self.sio.connect(
            f"http://127.0.0.1:{port}", auth={"token": token}, transports=["websocket"]
        )

    def _on_event(self, data: Event) -> None:
        with self._cond:
            self.events.append(data)
            self._cond.notify_all()

    def command(self, name: str, timeout: float = 20.0, **args: Any) -> dict[str, Any]:
        reply: dict[str, Any] = self.sio.call(
            "command", {"name": name, "args": args}, timeout=timeout
        )
        return reply

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def wait_for(
        self, match: Callable[[Event], bool], timeout: float = 10.0, start: int = 0
    ) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[start:]:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"no matching event; saw {[e.get('type') for e in self.events[start:]]}"
                    )
                self._cond.wait(left)

    def wait_call(
        self, call_id: str, state: str, start: int = 0, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The call `call_id` as pushed when it reached `state`."""
        event = self.wait_for(
            lambda e: (
                e.get("type") == "call_changed"
                and e["call"]["id"] == call_id
                and e["call"]["state"] == state
            ),
            timeout,
            start,
        )
        call: dict[str, Any] = event["call"]
        return call

    def dial_connected(self, number: str, timeout: float = 15.0) -> str:
        """Dial `number` and wait until that call is connected; its id."""
        mark = self.mark()
        reply = self.command("call.dial", number=number)
        assert reply["ok"], reply
        call_id: str = reply["result"]["call_id"]
        self.wait_call(call_id, "connected", mark, timeout)
        return call_id

    def wait_call_state(self, state: str, timeout: float = 10.0, start: int = 0) -> Event:
        event = self.wait_for(
            lambda e: e.get("type") == "call_changed" and e["call"]["state"] == state,
            timeout,
            start,
        )
        call: Event = event["call"]
        return call

    def close(self) -> None:
        self.sio.disconnect()


@contextmanager
def running_app(
    data_dir: Path,
    *,
    play_wav: Path | None = None,
    record_dir: Path | None = None,
    log_level: int = 3,
    hid_transport: HidTransport | None = None,
    echo_cancellation: bool = False,
) -> Iterator[SoftphoneApp]:
    """A started SoftphoneApp bound to 127.0.0.1; stopped (engine process included) after.

    Echo cancellation is off unless asked for (the app's default is on): WebRTC AEC3 takes
    ~5 s to learn that a path carries no echo, and until then it attenuates a microphone tone
    while the far end's tone plays (1000 Hz under 700 Hz: -35 dB, measured offline with
    engine/echo.py); the tests that route tones through real devices check routing. The
    canceller is tested with an echo path of its own (test_echo_cancellation.py, and the
    installed app's call in tests/package)."""
    options = AppOptions(
        paths=AppPaths.for_data_dir(data_dir),
        engine=EngineConfig(
            bind_address="127.0.0.1",
            log_level=log_level,
            log_file=data_dir / "engine.log",
            media_test=MediaTestConfig(play_wav=play_wav, record_dir=record_dir),
            # Real sound devices only where a test runs its own PulseAudio (audiolab's
            # `pulse` fixture sets PULSE_SERVER); elsewhere the null device keeps calls silent.
            sound="PULSE_SERVER" in os.environ,
        ),
        hid_transport=hid_transport,
    )
    app = SoftphoneApp(options)
    app.settings.update(echo_cancellation=echo_cancellation)
    app.start()
    ENGINE_WATCH.watch(app)
    try:
        yield app
    finally:
        app.stop()
        failures = ENGINE_WATCH.unwatch(app)
        # Checked after the test's own exceptions: a crash while stopping counts too.
        assert not failures, f"the engine process died during the test: {failures}"
        assert app.engine.exitcode == 0, (
            f"the engine did not stop cleanly (exit code {app.engine.exitcode})"
        )


def sign_in(ui: UiClient, pbx_port: int, user: str, password: str, **extra: Any) -> dict[str, Any]:
    return ui.command(
        "account.setup",
        server=f"127.0.0.1:{pbx_port}",
        user=user,
        password=password,
        transport="udp",
        **extra,
    )


def wait_lines(
    ui: UiClient, extensions: list[str], state: str, *, start: int, timeout: float
) -> None:
    """Wait until every colleague line has had a line_state event with `state` since `start`;
    `timeout` applies to each next line."""
    pending = set(extensions)
    while pending:
        event = ui.wait_for(
            lambda e: (
                e.get("type") == "line_state"
                and e["line"]["extension"] in pending
                and e["line"]["state"] == state
            ),
            timeout=timeout,
            start=start,
        )
        pending.discard(event["line"]["extension"])
