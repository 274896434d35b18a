"""Window mode: the window, the tray and the settings they remember, wired to a running app."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from softphone import i18n
from softphone.desktop.splash import splash_html
from softphone.desktop.window import AppWindow
from softphone.domain.errors import SoftphoneError
from softphone.domain.window import WindowGeometry

if TYPE_CHECKING:
    from softphone.app import SoftphoneApp
    from softphone.desktop.tray import QtTray, TrayHostWatch
    from softphone.paths import AppPaths
    from softphone.settings.store import SettingsStore

log = logging.getLogger(__name__)

# Started hidden (at login) with no tray host yet: the panel usually comes up within seconds;
# past this the window is shown, as nothing else could bring it back.
TRAY_WAIT_MS = 15_000


class DesktopRunner:
    """Builds the window (and, with a tray host, the tray) and runs them on the main thread.

    It needs only the settings and paths: the window opens on a splash page before the app is
    even imported (`softphone.app` and its construction take ~1 s), the app is built and
    started on another thread, and `attach()` then loads the UI and builds the tray.
    """

    def __init__(
        self,
        settings: SettingsStore,
        paths: AppPaths,
        *,
        minimized: bool = False,
        tray: bool = True,
    ) -> None:
        self.settings = settings
        self.app: SoftphoneApp | None = None
        self._want_tray = tray
        self.tray: QtTray | None = None
        self._host_watch: TrayHostWatch | None = None
        # attach() (start thread) and the GUI thread's tray set-up may come in either order;
        # whichever is second builds the tray, on the GUI thread.
        self._lock = threading.Lock()
        self._gui_call: Callable[[Callable[[], None]], None] | None = None
        prefs = settings.settings
        self.window = AppWindow(
            None,
            splash=splash_html(i18n.language_for(prefs.language)),
            title="Softphone",
            storage_path=paths.data_dir / "webview",
            geometry=prefs.window,
            on_geometry=self._save_geometry,
            # Hidden only when a tray can bring it back; decided once the tray exists.
            start_hidden=minimized,
            hide_on_close=self._hide_on_close,
            on_gui_ready=self._on_gui_ready,
        )

    def run(self) -> None:
        """Blocks until the user quits (window closed without tray, or Quit in the tray)."""
        try:
            self.window.run()
        finally:
            app = self.app
            if app is not None:
                app.shell.ask_save_path = None
            if self._host_watch is not None:
                self._host_watch.stop()
            if self.tray is not None:
                self.tray.hide()

    def attach(self, app: SoftphoneApp) -> None:
        """The app has started: replace the splash page with the UI, build the tray. Any
        thread (the window loads the URL once it is shown)."""
        app.shell.window = True
        app.shell.ask_save_path = self.window.ask_save_path
        with self._lock:
            self.app = app
            gui_call = self._gui_call
        if gui_call is not None:  # the GUI is up already: the tray is built there
            gui_call(self._make_tray_if_hosted)
        self.window.load(app.url)

    def _on_gui_ready(self) -> None:
        """GUI thread, before the window exists: watch for a tray host; the tray itself needs
        the app, so it is built now if the app came first, else by attach()."""
        if not self._want_tray:
            self.window.set_start_hidden(False)
            return
        from qtpy.QtCore import QTimer

        from softphone.desktop.tray import TrayHostWatch

        self._host_watch = TrayHostWatch(
            self._make_tray_if_hosted, icon_shown=lambda: self.tray is not None
        )
        if not self._host_watch.available:
            log.info("no system tray yet: closing the window quits the app until one appears")
            if self.window.starts_hidden:
                QTimer.singleShot(TRAY_WAIT_MS, self._show_if_no_tray)
        with self._lock:
            self._gui_call = _gui_thread_caller()
            app_first = self.app is not None
        if app_first:
            self._make_tray_if_hosted()

    def _make_tray_if_hosted(self) -> None:
        """GUI thread: (re)create the tray icon, if there is a tray host and the app runs."""
        if self._host_watch is None or not self._host_watch.available or self.app is None:
            return
        self._make_tray()

    def _make_tray(self) -> None:
        """GUI thread: (re)create the tray icon for the current tray host."""
        from softphone.desktop.tray import QtTray
        from softphone.desktop.tray_model import TrayModel

        app = self.app
        if app is None:
            return
        if self.tray is not None:
            self.tray.dispose()
        model = TrayModel(
            app.bus,
            registration=lambda: app.accounts.registration,
            calls=app.calls.snapshots,
            settings=lambda: app.settings.settings,
            missed=app.history.unseen_missed_count,
            voicemail=lambda: app.voicemail.summary.new or int(app.voicemail.summary.waiting),
        )
        self.tray = QtTray(
            model,
            show=self.window.show_and_focus,
            toggle_window=self.window.toggle,
            set_dnd=self._set_dnd,
            quit_app=self.window.close,
        )
        app.shell.tray = True

    def _show_if_no_tray(self) -> None:
        if self.tray is None:
            log.info("no system tray after %d s: showing the window", TRAY_WAIT_MS // 1000)
            self.window.show_and_focus()

    def _hide_on_close(self) -> bool:
        return self.tray is not None and self.settings.settings.close_to_tray

    def _set_dnd(self, on: bool) -> None:
        # The same command as the UI's switch, off the GUI thread (it saves and notifies).
        app = self.app
        if app is None:
            return

        def run() -> None:
            try:
                app.commands.run("settings.update", {"dnd": on})
            except SoftphoneError as exc:
                log.warning("do-not-disturb from the tray failed: %s", exc.key.value)

        threading.Thread(target=run, name="tray-dnd", daemon=True).start()

    def _save_geometry(self, geometry: WindowGeometry) -> None:
        self.settings.update(window=geometry)


def _gui_thread_caller() -> Callable[[Callable[[], None]], None]:
    """On the GUI thread: a function that runs callables there, from any thread (a queued
    Qt signal: the tray's widgets must be made on the GUI thread)."""
    from qtpy import QtCore

    class _Relay(QtCore.QObject):
        call: Any = QtCore.Signal(object)  # type: ignore[attr-defined]

    relay = _Relay()
    relay.call.connect(lambda fn: fn())
    keep: list[Any] = [relay]  # the relay lives as long as the caller

    def call(fn: Callable[[], None]) -> None:
        keep[0].call.emit(fn)

    return call
