"""The native app window: a pywebview (Qt WebEngine) window showing the local frontend."""

from __future__ import annotations

import enum
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MIN_SIZE = (400, 560)


class _Shown(enum.Enum):
    NORMAL = "normal"
    MINIMIZED = "minimized"
    MAXIMIZED = "maximized"


def has_display(environ: Mapping[str, str] | None = None) -> bool:
    """True when a native window can be shown (else the CLI serves the UI to a browser)."""
    env = os.environ if environ is None else environ
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(
        env.get("DISPLAY")
        or env.get("WAYLAND_DISPLAY")
        or env.get("QT_QPA_PLATFORM") == "offscreen"
    )


def _allow_webengine_as_root() -> None:
    # As root Chromium refuses to run sandboxed and takes the whole process down (exit 1).
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None or geteuid() != 0:
        return
    # Flags the user set are kept; then Qt's own switch still turns the sandbox off.
    if "QTWEBENGINE_CHROMIUM_FLAGS" not in os.environ:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox"
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def _qt_browser_of(window: Any) -> Any:
    instances = getattr(getattr(window.gui, "BrowserView", None), "instances", {})
    return instances.get(window.uid)


def _release_stuck_js_calls(browser: Any) -> None:
    """Wake pywebview threads still waiting for a JavaScript result once the GUI loop is gone.

    pywebview injects its JS bridge from a non-daemon thread after every page load and waits
    for the GUI thread to answer. Closing the window in that moment left the thread waiting
    for ever, and the interpreter then hangs at exit (seen in ~1 of 30 closes under load).
    pywebview's GTK and WinForms backends release these waits on close; the Qt one does not,
    so this does it from outside, through its private `_js_results`.
    """
    pending = getattr(browser, "_js_results", None)
    if not isinstance(pending, dict):
        return
    # A caller that found the window just before it closed may register its wait a moment later.
    for _ in range(5):
        for entry in list(pending.values()):
            entry["semaphore"].release()
        time.sleep(0.02)


class AppWindow:
    """One pywebview window on `url`; `run()` blocks the main thread until it is closed.

    `show_and_focus()`, `close()` and `evaluate_ready()` may be called from any thread:
    pywebview's Qt backend forwards window methods to the GUI thread through Qt signals.
    """

    def __init__(
        self,
        url: str,
        *,
        title: str,
        width: int = 1280,
        height: int = 800,
        min_size: tuple[int, int] = DEFAULT_MIN_SIZE,
        storage_path: Path | None = None,
        on_closed: Callable[[], None] | None = None,
        debug: bool = False,
    ) -> None:
        self._url = url
        self._title = title
        self._size = (width, height)
        self._min_size = min_size
        self._storage_path = storage_path
        self._on_closed = on_closed
        self._debug = debug
        self._window: Any = None
        self._browser: Any = None  # pywebview's Qt widget, for the exit workaround only
        self._created = threading.Event()
        self._closed = threading.Event()
        # Guards the two flags below: a close() racing the first show must destroy exactly once.
        self._lock = threading.Lock()
        self._close_requested = False
        self._shown = False
        self._shown_as = _Shown.NORMAL

    def run(self) -> None:
        """Open the window and block until it is closed. Must be called on the main thread."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("AppWindow.run() must be called on the main thread")
        _allow_webengine_as_root()
        import webview  # imported late: it reads the environment set above on import

        self._window = self._create(webview)
        self._created.set()
        try:
            webview.start(gui="qt", debug=self._debug, **self._storage_options())
        finally:
            _release_stuck_js_calls(self._browser)
            self._closed.set()
            if self._on_closed is not None:
                self._on_closed()

    def _create(self, webview: Any) -> Any:
        window = webview.create_window(
            self._title,
            url=self._url,
            width=self._size[0],
            height=self._size[1],
            min_size=self._min_size,
            # pywebview otherwise injects CSS that forbids selecting text; the frontend's own
            # CSS decides (numbers and addresses should be copyable).
            text_select=True,
        )
        window.events.shown += self._on_shown
        window.events.minimized += self._on_minimized
        window.events.maximized += self._on_maximized
        window.events.restored += self._on_restored
        return window

    def _storage_options(self) -> dict[str, Any]:
        # sessionStorage survives reloads either way. Private mode writes nothing to disk;
        # a persistent profile in our data dir also keeps localStorage between launches (per
        # origin, so only while the port stays the same). pywebview's own HTTP server stays
        # off: it is only started for file paths, never for an http:// URL.
        if self._storage_path is None:
            return {"private_mode": True}
        self._storage_path.mkdir(parents=True, exist_ok=True)
        return {"private_mode": False, "storage_path": str(self._storage_path)}

    def _on_shown(self) -> None:
        self._browser = _qt_browser_of(self._window)
        with self._lock:
            self._shown = True
            close_now = self._close_requested
        # A close() that arrived before the window was shown is carried out now.
        if close_now:
            self._window.destroy()

    def _on_minimized(self) -> None:
        self._shown_as = _Shown.MINIMIZED

    def _on_maximized(self) -> None:
        self._shown_as = _Shown.MAXIMIZED

    def _on_restored(self) -> None:
        self._shown_as = _Shown.NORMAL

    def show_and_focus(self) -> None:
        """Bring the window to the front (a second launch handed over). Any thread."""
        window = self._live_window()
        if window is None:
            return
        window.show()
        if self._shown_as is _Shown.MINIMIZED:
            # Qt's restore also raises and activates the window.
            window.restore()
            return
        # pywebview has no plain "raise"; restore() would un-maximize, so raise by toggling
        # stay-on-top, which re-maps the window above the others.
        window.on_top = True
        window.on_top = False

    def close(self) -> None:
        """Close the window, which makes `run()` return. Any thread; idempotent."""
        with self._lock:
            self._close_requested = True
            shown = self._shown
        window = self._live_window()
        if window is not None and shown:
            window.destroy()

    def evaluate_ready(self) -> bool:
        """True once the page has finished loading. Cheap and non-blocking."""
        window = self._live_window()
        return bool(window is not None and window.events.loaded.is_set())

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until `run()` has finished; True if it did within timeout."""
        return self._closed.wait(timeout)

    def _live_window(self) -> Any:
        if not self._created.is_set() or self._closed.is_set():
            return None
        return self._window


def run_window(
    url: str,
    *,
    title: str,
    width: int = 1280,
    height: int = 800,
    min_size: tuple[int, int] = DEFAULT_MIN_SIZE,
    storage_path: Path | None = None,
    on_closed: Callable[[], None] | None = None,
    debug: bool = False,
) -> None:
    """Show `url` in a native window and block (main thread) until the user closes it."""
    AppWindow(
        url,
        title=title,
        width=width,
        height=height,
        min_size=min_size,
        storage_path=storage_path,
        on_closed=on_closed,
        debug=debug,
    ).run()
