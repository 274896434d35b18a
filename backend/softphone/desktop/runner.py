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
    from softphone.desktop.tray import QtTray

log = logging.getLogger(__name__)


class DesktopRunner:
    """Builds the window (and, with a tray host, the tray) and runs them on the main thread.

    It needs only the app's settings: the window opens on a splash page while the app starts
    (`SoftphoneApp.start()` on another thread), and `show_app()` then loads the UI.
    """

    def __init__(self, app: SoftphoneApp, *, minimized: bool = False, tray: bool = True) -> None:
        self.app = app
        self._want_tray = tray
        self.tray: QtTray | None = None
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
            if self.tray is not None:
                self.tray.hide()

    def show_app(self) -> None:
        """The app has started: replace the splash page with the UI. Any thread."""
        self.window.load(self.app.url)

    def _build_tray(self) -> None:
        from softphone.desktop.tray import QtTray, tray_available

        if not self._want_tray or not tray_available():
            log.info("no system tray: closing the window quits the app")
            self.window.set_start_hidden(False)
            return
        from softphone.desktop.tray_model import TrayModel

        app = self.app
        model = TrayModel(
            app.bus,
            registration=lambda: app.accounts.registration,
            calls=app.calls.snapshots,
            settings=lambda: app.settings.settings,
            missed=app.history.unseen_missed_count,
        )
        self.tray = QtTray(
            model,
            show=self.window.show_and_focus,
            toggle_window=self.window.toggle,
            set_dnd=self._set_dnd,
            quit_app=self.window.close,
        )
        app.shell.tray = True

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
