"""The local server refuses missing tokens, foreign Origins and foreign Hosts; pages carry CSP."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import CallRemoved
from softphone.web.server import WebServer


class FakeCommands:
    """Stands in for CommandTable at the adapter boundary."""

    def run(self, name: Any, args: Any) -> dict[str, Any]:
        if name == "echo":
            return {"args": args}
        if name == "boom":
            raise RuntimeError("unexpected")
        raise SoftphoneError(ErrorKey.INVALID_COMMAND)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebServer]:
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    bus = EventBus()
    web = WebServer(
        token="s3cret-token",
        frontend_dir=tmp_path,
        commands=FakeCommands(),  # type: ignore[arg-type]
        snapshot=lambda: {"type": "snapshot", "schema": 1},
        bus=bus,
    )
    web.start()
    web.bus_for_test = bus  # type: ignore[attr-defined]
    yield web
    web.stop()


def _connect(web: WebServer, **kwargs: Any) -> socketio.SimpleClient:
    client = socketio.SimpleClient()
    client.connect(f"http://127.0.0.1:{web.port}", transports=["websocket"], **kwargs)
    return client


def test_right_token_gets_the_snapshot_first(server: WebServer) -> None:
    client = _connect(server, auth={"token": "s3cret-token"})
    try:
        assert client.receive(timeout=5) == ["event", {"type": "snapshot", "schema": 1}]
    finally:
        client.disconnect()


@pytest.mark.parametrize("auth", [None, {}, {"token": "wrong"}, {"token": 123}, "s3cret-token"])
def test_missing_or_wrong_token_is_refused(server: WebServer, auth: Any) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(server, auth=auth)


def test_foreign_origin_is_refused(server: WebServer) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(server, auth={"token": "s3cret-token"}, headers={"Origin": "http://evil.example"})


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "127.0.0.1", "127.0.0.1:1", "localhost.evil"]
)
def test_foreign_host_header_is_refused_everywhere(server: WebServer, host: str) -> None:
    for path in ("/", "/socket.io/?EIO=4&transport=polling", "/healthz"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", path, headers={"Host": host})
        assert conn.getresponse().status == 421
        conn.close()


def test_pages_carry_a_strict_csp(server: WebServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/")
    response = conn.getresponse()
    csp = response.getheader("Content-Security-Policy") or ""
    assert response.status == 200
    assert (
        "script-src 'self'" in csp
        and "default-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
    )
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_commands_ack_with_result_or_error_key(server: WebServer) -> None:
    client = socketio.Client()
    client.connect(
        f"http://127.0.0.1:{server.port}", auth={"token": "s3cret-token"}, transports=["websocket"]
    )
    try:
        assert client.call("command", {"name": "echo", "args": {"a": 1}}) == {
            "ok": True,
            "result": {"args": {"a": 1}},
        }
        assert client.call("command", {"name": "nope"}) == {
            "ok": False,
            "error": "invalid_command",
            "field": None,
        }
        assert client.call("command", {"name": "boom"}) == {
            "ok": False,
            "error": "internal_error",
            "field": None,
        }
        assert client.call("command", "not a dict")["ok"] is False
    finally:
        client.disconnect()


def test_bus_events_are_pushed_to_clients(server: WebServer) -> None:
    client = _connect(server, auth={"token": "s3cret-token"})
    try:
        client.receive(timeout=5)  # snapshot
        server.bus_for_test.publish(CallRemoved("c1"))  # type: ignore[attr-defined]
        assert client.receive(timeout=5) == ["event", {"type": "call_removed", "call_id": "c1"}]
    finally:
        client.disconnect()


def test_server_listens_on_loopback_only(server: WebServer) -> None:
    assert server._listener.getsockname()[0] == "127.0.0.1"
