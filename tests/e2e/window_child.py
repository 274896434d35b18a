"""E2E child: opens AppWindow on a URL, or on a page it serves, and reports JSON lines on stdout.

Run as a script by window_harness. It closes the window when its stdin reaches end of file,
so the harness can take a screenshot first and still end it gracefully; a "focus" line on
stdin calls show_and_focus(). With --splash LANG the window opens on the start-up splash
page and a "load" line on stdin loads the URL, as the app does once it has started.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from softphone.desktop.splash import splash_html
from softphone.desktop.window import AppWindow

SMOKE_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>smoke</title>
<style>body{font:32px sans-serif;background:#1d6f42;color:#fff;margin:40px}</style></head>
<body><h1>Softphone window smoke test</h1><p id="s">loading</p>
<script>
window.addEventListener('load', () => {
  document.getElementById('s').textContent = 'loaded, token in fragment: ' +
    (location.hash.startsWith('#token=') ? 'yes' : 'no');
  fetch('/loaded?ok=1');
});
</script></body></html>
"""

_STARTED = time.monotonic()
_emit_lock = threading.Lock()


def emit(event: str, **fields: Any) -> None:
    """One JSON line per event; the harness reads them."""
    line = json.dumps({"event": event, "t": round(time.monotonic() - _STARTED, 3), **fields})
    with _emit_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class _SmokeHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path)
        if path.path == "/loaded":
            emit("page_loaded", query=path.query)
            self._reply(204, b"", "text/plain")
        elif path.path == "/":
            self._reply(200, SMOKE_PAGE, "text/html; charset=utf-8")
        else:
            self._reply(404, b"", "text/plain")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # stdout carries only our JSON lines


def serve_smoke_page() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SmokeHandler)
    threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/#token=smoke"


def follow_stdin(window: AppWindow, url: str) -> None:
    # A "focus" line asks for what a second launch does; end of file closes the window.
    for line in sys.stdin:
        if line.strip() == "focus":
            window.show_and_focus()
            emit("focused")
        elif line.strip() == "load":
            window.load(url)
            emit("load_requested")
    emit("closing")
    window.close()


def report_window_loaded(window: AppWindow) -> None:
    # evaluate_ready() is pywebview's own "page loaded" flag; polled, as it is in the app.
    while not window.wait_closed(0.05):
        if window.evaluate_ready():
            emit("window_loaded")
            return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="page to open; default: serve the smoke page")
    parser.add_argument("--storage", type=Path, help="persistent web storage directory")
    parser.add_argument("--splash", metavar="LANG", help="open on the splash page first")
    args = parser.parse_args()
    server = None
    url = args.url
    if url is None:
        server, url = serve_smoke_page()
    if args.splash:
        window = AppWindow(
            None,
            splash=splash_html(args.splash),
            title="Softphone smoke",
            storage_path=args.storage,
        )
    else:
        window = AppWindow(url, title="Softphone smoke", storage_path=args.storage)
    threading.Thread(target=follow_stdin, args=(window, url), daemon=True).start()
    threading.Thread(target=report_window_loaded, args=(window,), daemon=True).start()
    emit("opening", url=url)
    window.run()
    emit("closed")
    if server is not None:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
