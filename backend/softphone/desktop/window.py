"""The native app window: a pywebview (Qt WebEngine) window showing the local frontend."""

from __future__ import annotations

import enum
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import platformdirs

from softphone.domain.window import Rect, WindowGeometry, clamp_to_screens

log = logging.getLogger(__name__)

DEFAULT_MIN_SIZE = (400, 560)
GEOMETRY_DEBOUNCE_S = 0.5  # a drag sends dozens of moves: save once it settles


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


# Qt WebEngine set up for one small local page. Effects measured by `bench/bench_footprint.py
# --window` (whole window tree, idle 20 s, registered, real Qt window on Xvfb; PSS, each
# against the run before it: bench/results.md). None of this touches the page's isolation:
# the renderer keeps its sandbox (for any user but root), the CSP and the token stay.
# Measured and not used: --js-flags=--lite-mode (renderer -3.8 MiB, but V8 without its
# optimizing compilers), --enable-low-end-device-mode (no change), --renderer-process-limit=1
# and --process-per-site (one renderer already; the test below holds it), --no-zygote (needs
# --no-sandbox).
WEBENGINE_FLAGS = (
    # Chromium keeps a second zygote for helper processes that run unsandboxed anyway (the
    # renderer forks from the other, sandboxed one); our page starts none of those helpers.
    # -17.5 MiB (518.1 -> 500.6), one process fewer.
    "--no-unsandboxed-zygote",
    # No GL in Chromium's in-process GPU thread either: it composites in software, like Qt
    # below. -6 MiB (358.7 -> 352.6, two runs each) on top of WEBENGINE_ENV.
    "--disable-gpu",
)
# Qt's side: no OpenGL for the window at all. Qt Quick's OpenGL scene graph and the GLX
# integration loaded Mesa (libLLVM and swrast here, a GPU driver on a laptop: ~40 MiB of the
# app process) and GL buffers (~50 MiB anonymous). QT_QUICK_BACKEND=software -75 MiB (518.1 ->
# 442.9); then QT_XCB_GL_INTEGRATION=none -45 MiB (449.8 -> 404.5). The page still animates
# at the display's 60 frames/s (bench_footprint.window_frame_rate: 60.3; with GL through
# llvmpipe on Xvfb the same page got 27-42). The cost: on a machine with a GPU, the CPU
# paints (a small page of text and icons); not tried on Wayland, where only
# QT_QUICK_BACKEND applies. A value the user set is kept.
WEBENGINE_ENV = {"QT_QUICK_BACKEND": "software", "QT_XCB_GL_INTEGRATION": "none"}


def _configure_webengine(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Before Qt WebEngine starts: our switches after the user's, our variables unless set.
    Returns the variables it set, for `_forget_webengine_env` once Qt has read them."""
    env = os.environ if environ is None else environ
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    flags += [flag for flag in WEBENGINE_FLAGS if flag not in flags]
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    ours = {name: value for name, value in WEBENGINE_ENV.items() if name not in env}
    env.update(ours)
    return ours


def _forget_webengine_env(ours: Mapping[str, str], environ: MutableMapping[str, str]) -> None:
    """Once the window is up (Qt read them when it built its first scene graph): programs
    started from the app, such as the browser a clicked link opens, must not inherit
    "no OpenGL"."""
    for name, value in ours.items():
        if environ.get(name) == value:
            del environ[name]


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


def _name_the_application() -> None:
    """The names desktops show: the tray item's Id, Wayland's app id (matched to the .desktop
    file for the dock icon). Otherwise Qt uses the executable's name ("python" in a venv)."""
    from qtpy.QtGui import QGuiApplication

    QGuiApplication.setApplicationName("softphone")
    QGuiApplication.setApplicationDisplayName("Softphone")
    QGuiApplication.setDesktopFileName("softphone")


class AppWindow:
    """One pywebview window on `url`; `run()` blocks the main thread until it is closed.

    With `url=None` the window opens at once on the `splash` page and shows the app when
    `load(url)` is called: the window (Qt WebEngine's start, ~1 s) comes up while the app
    starts its engine and server instead of after them.

    `show_and_focus()`, `close()` and `evaluate_ready()` may be called from any thread:
    pywebview's Qt backend forwards window methods to the GUI thread through Qt signals.
    """

    def __init__(
        self,
        url: str | None,
        *,
        title: str,
        width: int = 1280,
        height: int = 800,
        min_size: tuple[int, int] = DEFAULT_MIN_SIZE,
        storage_path: Path | None = None,
        on_closed: Callable[[], None] | None = None,
        debug: bool = False,
        geometry: WindowGeometry | None = None,
        on_geometry: Callable[[WindowGeometry], None] | None = None,
        start_hidden: bool = False,
        hide_on_close: Callable[[], bool] | None = None,
        on_gui_ready: Callable[[], None] | None = None,
        splash: str = "",
    ) -> None:
        self._url = url
        self._splash = splash
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
        self._geometry = geometry
        self._on_geometry = on_geometry
        self._start_hidden = start_hidden
        self._hidden = start_hidden
        # Asked when the user closes the window: True hides it (the tray keeps the app).
        self._hide_on_close = hide_on_close
        self._on_gui_ready = on_gui_ready  # GUI thread, before the loop: builds the tray
        self._quitting = False
        self._webview: Any = None
        self._webengine_env: dict[str, str] = {}  # set by run(), dropped once shown
        self._save_timer: threading.Timer | None = None
        self._last_saved: WindowGeometry | None = geometry

    def run(self) -> None:
        """Open the window and block until it is closed. Must be called on the main thread."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("AppWindow.run() must be called on the main thread")
        _allow_webengine_as_root()
        self._webengine_env = _configure_webengine()
        import webview  # imported late: it reads the environment set above on import

        # pywebview's Qt backend reads the profile's storage path once, when its module is
        # imported (below, for the screen list), and webview.start() sets it only later: set
        # it first, or the profile goes to ~/.pywebview whatever storage_path says.
        storage = self._storage_options()
        webview._state["private_mode"] = storage["private_mode"]
        webview._state["storage_path"] = storage.get("storage_path")
        import webview.platforms.qt as qt_gui

        self._webview = webview
        # Creates the QApplication on this (the GUI) thread; pywebview reuses it.
        get_screens: Any = qt_gui.get_screens
        screens = [Rect(s.x, s.y, s.width, s.height) for s in get_screens()]
        _name_the_application()
        if self._on_gui_ready is not None:
            self._on_gui_ready()
        self._create(webview, screens)
        self._created.set()
        try:
            webview.start(gui="qt", debug=self._debug, **storage)
        finally:
            self._cancel_save()
            _release_stuck_js_calls(self._browser)
            self._closed.set()
            if self._on_closed is not None:
                self._on_closed()

    def _create(self, webview: Any, screens: list[Rect]) -> None:
        placement: dict[str, Any] = {"width": self._size[0], "height": self._size[1]}
        if self._geometry is not None:
            fitted = clamp_to_screens(self._geometry, screens, self._min_size)
            placement = {
                "x": fitted.x,
                "y": fitted.y,
                "width": fitted.width,
                "height": fitted.height,
                "maximized": fitted.maximized and not self._start_hidden,
            }
        # Under the lock: load() either finds the window or leaves its URL for it, never both.
        with self._lock:
            page: dict[str, str] = (
                {"url": self._url} if self._url is not None else {"html": self._splash}
            )
            window = self._window = webview.create_window(
                self._title,
                **page,
                min_size=self._min_size,
                hidden=self._start_hidden,
                **placement,
                # pywebview otherwise injects CSS that forbids selecting text; the frontend's
                # own CSS decides (numbers and addresses should be copyable).
                text_select=True,
            )
        window.events.shown += self._on_shown
        window.events.minimized += self._on_minimized
        window.events.maximized += self._on_maximized
        window.events.restored += self._on_restored
        window.events.moved += self._schedule_save
        window.events.resized += self._schedule_save
        window.events.closing += self._on_closing

    def load(self, url: str) -> None:
        """Show `url` instead of the splash page. Any thread; waits until the window is shown."""
        with self._lock:
            self._url = url
            window = self._window  # None: _create() has not run yet and will use the URL
        if window is None or self._closed.is_set():
            return
        try:
            window.load_url(url)
        except Exception:  # the window closed or never came up: nothing to show it in
            log.warning("could not load the app into the window", exc_info=True)

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
        if not self._start_hidden:  # hidden: Qt may make its X window and scene graph later
            _forget_webengine_env(self._webengine_env, os.environ)
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
        self._schedule_save()

    def _on_restored(self) -> None:
        self._shown_as = _Shown.NORMAL
        self._schedule_save()

    def _on_closing(self) -> bool:
        """GUI thread. False cancels the close: the window hides and the tray keeps the app."""
        self._save_geometry()
        if self._quitting or self._hide_on_close is None or not self._hide_on_close():
            return True
        self._hidden = True
        self._window.hide()
        return False

    # --- size and position memory ---------------------------------------------------------

    def _schedule_save(self, *_args: Any) -> None:
        with self._lock:
            if self._save_timer is not None:
                self._save_timer.cancel()
            timer = threading.Timer(GEOMETRY_DEBOUNCE_S, self._save_geometry)
            timer.daemon = True
            self._save_timer = timer
        timer.start()

    def _cancel_save(self) -> None:
        with self._lock:
            if self._save_timer is not None:
                self._save_timer.cancel()
                self._save_timer = None

    def current_geometry(self) -> WindowGeometry | None:
        """Where the window is now; while maximized, the normal rectangle it restores to."""
        browser = self._browser
        if browser is None or self._on_geometry is None:
            return None
        try:
            maximized = bool(browser.isMaximized())
            minimized = bool(browser.isMinimized())
            pos, size = browser.pos(), browser.size()
            rect = (int(pos.x()), int(pos.y()), int(size.width()), int(size.height()))
        except RuntimeError:  # the Qt widget is already deleted
            return None
        previous = self._last_saved
        if (maximized or minimized) and previous is not None:
            rect = (previous.x, previous.y, previous.width, previous.height)
        if minimized:
            maximized = previous.maximized if previous is not None else False
        try:
            return WindowGeometry(*rect, maximized=maximized)
        except ValueError:
            return None

    def _save_geometry(self) -> None:
        geometry = self.current_geometry()
        if geometry is None or geometry == self._last_saved or self._on_geometry is None:
            return
        self._last_saved = geometry
        try:
            self._on_geometry(geometry)
        except Exception:
            log.exception("could not save the window geometry")

    def ask_save_path(self, filename: str) -> Path | None:
        """The native save dialog (any thread; blocks until answered); None when cancelled."""
        window = self._live_window()
        if window is None:
            return None
        downloads = Path(platformdirs.user_downloads_dir())
        chosen = window.create_file_dialog(
            self._webview.FileDialog.SAVE,
            directory=str(downloads if downloads.is_dir() else Path.home()),
            save_filename=filename,
            file_types=("Zip archive (*.zip)",),
        )
        if not chosen:
            return None
        return Path(chosen if isinstance(chosen, str) else chosen[0])

    @property
    def starts_hidden(self) -> bool:
        return self._start_hidden

    def set_start_hidden(self, hidden: bool) -> None:
        """Before `run()` creates the window (from `on_gui_ready`): start hidden or shown."""
        self._start_hidden = hidden
        self._hidden = hidden

    def hide(self) -> None:
        """Hide to the tray. Any thread."""
        window = self._live_window()
        if window is not None:
            self._hidden = True
            window.hide()

    def toggle(self) -> None:
        """The tray icon was clicked: hide a shown window, show a hidden one."""
        if self._hidden:
            self.show_and_focus()
        else:
            self.hide()

    def show_and_focus(self) -> None:
        """Bring the window to the front (a second launch handed over). Any thread."""
        window = self._live_window()
        if window is None:
            return
        self._hidden = False
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
            self._quitting = True  # a real close: not hidden to the tray
            self._close_requested = True
            shown = self._shown
        window = self._live_window()
        if window is not None and shown:
            window.destroy()

    def request_close(self) -> None:
        """What the title bar's close button does: may only hide to the tray. Any thread."""
        window = self._live_window()
        if window is not None:
            window.destroy()  # Qt's closeEvent runs, and with it the closing handler

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
