"""Flask + Socket.IO server on 127.0.0.1: serves the frontend, runs commands, pushes events."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory
from flask_socketio import Namespace, SocketIO
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, SnapshotInvalidated
from softphone.web import wire
from softphone.web.commands import CommandTable
from softphone.web.downloads import Downloads
from softphone.web.security import (
    HostGuard,
    allowed_hosts,
    allowed_origins,
    security_headers,
    token_matches,
)
from softphone.web.uploads import IMPORT_PATH, import_upload

log = logging.getLogger(__name__)

SnapshotFn = Callable[[], wire.Wire]
MAX_MESSAGE_BYTES = 64 * 1024  # one Socket.IO message (docs/protocol.md)


class _NoDelayHandler(WSGIRequestHandler):
    """Nagle's algorithm held small event frames back ~40 ms (p99) in a prototype."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s %s", self.command, self.path.split("?", 1)[0], code)

    def log_error(self, format: str, *args: object) -> None:
        # A websocket closed by the client leaves bytes werkzeug reads as a bad request.
        log.debug("http: " + format, *args)


class PhoneNamespace(Namespace):  # type: ignore[misc]
    """The single Socket.IO namespace: token check on connect, one `command` event."""

    def __init__(self, token: str, commands: CommandTable, snapshot: SnapshotFn) -> None:
        super().__init__("/")
        self._token = token
        self._commands = commands
        self._snapshot = snapshot

    def on_connect(self, auth: Any = None) -> bool:
        presented = auth.get("token") if isinstance(auth, dict) else None
        if not token_matches(self._token, presented):
            log.warning("refused a Socket.IO connection without the right token")
            raise ConnectionRefusedError("unauthorized")
        self.emit("event", self._snapshot(), room=request.sid)  # type: ignore[attr-defined]
        log.info("UI connected")
        return True

    def on_command(self, data: Any = None) -> wire.Wire:
        name = data.get("name") if isinstance(data, dict) else None
        args = data.get("args") if isinstance(data, dict) else None
        try:
            return wire.ok(self._commands.run(name, args))
        except SoftphoneError as exc:
            log.info(
                "command %s refused: %s", name if isinstance(name, str) else "?", exc.key.value
            )
            return wire.error(exc)
        except Exception:
            log.exception("command %s failed", name if isinstance(name, str) else "?")
            return wire.error_key(ErrorKey.INTERNAL_ERROR)


class WebServer:
    """Binds 127.0.0.1 on a free port (or `port`), then serves in a thread until `stop`."""

    def __init__(
        self,
        *,
        token: str,
        frontend_dir: Path,
        commands: CommandTable,
        snapshot: SnapshotFn,
        bus: EventBus,
        port: int = 0,
        downloads: Downloads | None = None,
    ) -> None:
        self.token = token
        self.downloads = downloads or Downloads()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        self.port: int = listener.getsockname()[1]
        self._frontend_dir = frontend_dir
        self._commands = commands
        self.flask = self._make_flask()
        self.socketio = SocketIO(
            self.flask,
            async_mode="threading",
            cors_allowed_origins=allowed_origins(self.port),
            logger=False,
            engineio_logger=False,
            # A bigger message closes the connection before any handler runs, and this much
            # is buffered before the token is checked: files come over POST (web/uploads.py).
            max_http_buffer_size=MAX_MESSAGE_BYTES,
        )
        self.socketio.on_namespace(PhoneNamespace(token, commands, snapshot))
        self._snapshot = snapshot
        self._wsgi = HostGuard(self.flask.wsgi_app, allowed_hosts(self.port))
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._unsubscribe = bus.subscribe(Event, self._publish)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/#token={self.token}"

    def _make_flask(self) -> Flask:
        app = Flask("softphone", static_folder=None)
        headers = security_headers(self.port)
        frontend = self._frontend_dir

        @app.after_request
        def add_headers(response: Response) -> Response:
            response.headers.update(headers)
            return response

        @app.get("/")
        def index() -> Response:
            response = send_from_directory(frontend, "index.html", max_age=0)
            response.headers["Cache-Control"] = "no-store"
            return response

        @app.get("/<path:path>")
        def static_file(path: str) -> Response:
            return send_from_directory(frontend, path, max_age=3600)

        @app.get("/download/<ticket>")
        def download(ticket: str) -> Response:
            item = self.downloads.take(ticket)
            if item is None:
                return Response("gone\n", status=404, mimetype="text/plain")
            response = Response(item.data, mimetype=item.mimetype)
            response.headers["Content-Disposition"] = f'attachment; filename="{item.filename}"'
            response.headers["Cache-Control"] = "no-store"
            return response

        @app.post(IMPORT_PATH)
        def import_file() -> Response:
            return import_upload(
                request,
                token=self.token,
                origins=allowed_origins(self.port),
                run=self._commands.run,
            )

        @app.get("/healthz")
        def healthz() -> Response:
            return Response("ok\n", mimetype="text/plain")

        return app

    def _publish(self, event: Event) -> None:
        payload = wire.to_wire(event)
        if payload is not None:
            self.socketio.emit("event", payload, namespace="/")
        elif isinstance(event, SnapshotInvalidated):
            self.socketio.emit("event", self._snapshot(), namespace="/")

    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1",
            self.port,
            self._wsgi,
            threaded=True,
            request_handler=_NoDelayHandler,
            fd=self._listener.fileno(),
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="web-server", daemon=True
        )
        self._thread.start()
        log.info("serving the UI on http://127.0.0.1:%d/", self.port)

    def stop(self) -> None:
        self._unsubscribe()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._listener.close()
