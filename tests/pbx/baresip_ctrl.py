"""Client for baresip's ctrl_tcp module: netstring-framed JSON commands and events."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pbx.ports import HOST

Event = dict[str, Any]
EventMatch = str | Callable[[Event], bool]


class CtrlError(RuntimeError):
    """A ctrl_tcp command answered ok=false or not at all."""


class BaresipCtrl:
    """TCP connection to ctrl_tcp; a reader thread collects events and responses.

    Events look like {"event": true, "class": "call", "type": "CALL_ESTABLISHED",
    "accountaor": ..., "param": ..., "peeruri": ..., "id": ...}.
    """

    def __init__(self, port: int, connect_timeout: float = 5.0) -> None:
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection((HOST, port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.events: list[Event] = []
        self._responses: dict[str, Event] = {}
        self._cond = threading.Condition()
        self._token = 0
        self._closed = False
        self._reader = threading.Thread(
            target=self._read_loop, name=f"baresip-ctrl-{port}", daemon=True
        )
        self._reader.start()

    # -- framing -------------------------------------------------------------------------
    def _read_loop(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    colon = buf.find(b":")
                    if colon < 0:
                        break
                    length = int(buf[:colon])
                    if len(buf) < colon + 1 + length + 1:
                        break
                    payload = buf[colon + 1 : colon + 1 + length]
                    buf = buf[colon + 2 + length :]  # skip the trailing ","
                    self._dispatch(json.loads(payload))
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def _dispatch(self, msg: Event) -> None:
        with self._cond:
            if msg.get("event"):
                self.events.append(msg)
            elif msg.get("response"):
                self._responses[str(msg.get("token", ""))] = msg
            self._cond.notify_all()

    # -- API -------------------------------------------------------------------------------
    def command(self, command: str, params: str = "", timeout: float = 5.0) -> str:
        """Run a menu command (e.g. "dial", "accept"); return its text output."""
        with self._cond:
            self._token += 1
            token = str(self._token)
        payload = json.dumps({"command": command, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(payload)).encode() + b":" + payload + b",")
        deadline = time.monotonic() + timeout
        with self._cond:
            while token not in self._responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise CtrlError(f"no response to {command} {params}")
                self._cond.wait(remaining)
            resp = self._responses.pop(token)
        if not resp.get("ok", False):
            raise CtrlError(f"{command} {params} failed: {resp.get('data')}")
        return str(resp.get("data", ""))

    def wait_for_event(self, match: EventMatch, timeout: float = 10.0, start: int = 0) -> Event:
        """First event at index >= start whose type equals match (or predicate is true)."""
        pred: Callable[[Event], bool] = (
            (lambda e: e.get("type") == match) if isinstance(match, str) else match
        )
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self.events[start:]:
                    if pred(ev):
                        return ev
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [e.get("type") for e in self.events]
                    raise TimeoutError(f"no event matching {match!r}; seen {seen}")
                self._cond.wait(remaining)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._reader.join(timeout=2.0)
