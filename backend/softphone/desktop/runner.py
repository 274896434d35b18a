"""Window mode: the window, the tray and the settings they remember, wired to a running app."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from softphone import i18n
from softphone.desktop.splash import splash_html
from softphone.desktop.window import AppWindow
from softphone.domain.errors import SoftphoneError
from softphone.domain.window import WindowGeometry

if TYPE_CHECKING:
    from softphone.app import SoftphoneApp
    from softphone.desktop.tray import QtTray, TrayHostWatch

log = logging.getLogger(__name__)

# Started hidden (at login) with no tray host yet: the panel usually comes up within seconds;
# past this the window is shown, as nothing else could bring it back.
TRAY_WAIT_MS = 15_000


class DesktopRunner:
    """Builds the window (and, with a tray host, the tray) and runs them on the main thread.

    It needs only the app's settings: the window opens on a splash page while the app starts
    (`SoftphoneApp.start()` on another thread), and `show_app()` then loads the UI.
    """

    def __init__(self, app: SoftphoneApp, *, minimized: bool = False, tray: bool = True) -> None:
        self.app = app
        self._want_tray = tray
        self.tray: QtTray | None = None
        self._host_watch: TrayHostWatch | None = None
        settings = app.settings.settings
        self.window = AppWindow(
            None,
            splash=splash_html(i18n.language_for(settings.language)),
            title="Softphone",
            storage_path=app.options.paths.data_dir / "webview",
            geometry=settings.window,
            on_geometry=self._save_geometry,
            # Hidden only when a tray can bring it back; decided once the tray exists.
            start_hidden=minimized,
            hide_on_close=self._hide_on_close,
            on_gui_ready=self._build_tray,
        )

    def run(self) -> None:
        """Blocks until the user quits (window closed without tray, or Quit in the tray)."""
        self.app.shell.window = True
        self.app.shell.ask_save_path = self.window.ask_save_path
        try:
            self.window.run()
        finally:
            self.app.shell.ask_save_path = None
            if self._host_watch is not None:
                self._host_watch.stop()
            if self.tray is not None:
                self.tray.hide()

    def show_app(self) -> None:
        """The app has started: replace the splash page with the UI. Any thread."""
        self.window.load(self.app.url)

    def _build_tray(self) -> None:
        """GUI thread, before the window exists: the tray now, or once a tray host appears."""
        if not self._want_tray:
            self.window.set_start_hidden(False)
            return
        from qtpy.QtCore import QTimer

        from softphone.desktop.tray import TrayHostWatch

        self._host_watch = TrayHostWatch(self._make_tray)
        if self._host_watch.available:
            self._make_tray()
            return
        log.info("no system tray yet: closing the window quits the app until one appears")
        if self.window.starts_hidden:
            QTimer.singleShot(TRAY_WAIT_MS, self._show_if_no_tray)

    def _make_tray(self) -> None:
        """GUI thread: (re)create the tray icon for the current tray host."""
        from softphone.desktop.tray import QtTray
        from softphone.desktop.tray_model import TrayModel

        if self.tray is not None:
            self.tray.dispose()
        app = self.app
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
        return self.tray is not None and self.app.settings.settings.close_to_tray

    def _set_dnd(self, on: bool) -> None:
        # The same command as the UI's switch, off the GUI thread (it saves and notifies).
        def run() -> None:
            try:
                self.app.commands.run("settings.update", {"dnd": on})
            except SoftphoneError as exc:
                log.warning("do-not-disturb from the tray failed: %s", exc.key.value)

        threading.Thread(target=run, name="tray-dnd", daemon=True).start()

    def _save_geometry(self, geometry: WindowGeometry) -> None:
        self.app.settings.update(window=geometry)
