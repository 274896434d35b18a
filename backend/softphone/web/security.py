"""Guards of the local server: exact Host allow-list, per-launch token, CSP headers."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_matches(expected: str, presented: object) -> bool:
    return isinstance(presented, str) and hmac.compare_digest(expected.encode(), presented.encode())


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def allowed_origins(port: int) -> list[str]:
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


class HostGuard:
    """Outermost WSGI middleware: refuse any request whose Host is not our loopback host:port.

    This is what stops DNS rebinding (evil.example resolving to 127.0.0.1). It wraps the whole
    app because Flask's before_request never sees the Socket.IO endpoint.
    """

    def __init__(self, app: WSGIApp, hosts: frozenset[str]) -> None:
        self._app = app
        self._hosts = hosts

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("HTTP_HOST", "") not in self._hosts:
            start_response(
                "421 Misdirected Request", [("Content-Type", "text/plain"), ("Content-Length", "9")]
            )
            return [b"bad host\n"]
        return self._app(environ, start_response)


def security_headers(port: int) -> dict[str, str]:
    csp = "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' ws://127.0.0.1:{port} ws://localhost:{port}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
