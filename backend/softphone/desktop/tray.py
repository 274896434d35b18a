"""The tray icon (Qt QSystemTrayIcon, the window's toolkit): status, missed calls, a menu."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from softphone.desktop.sni_bus import SniBus
from softphone.desktop.tray_model import TrayModel, TrayState, TrayStatus

log = logging.getLogger(__name__)

# Status dot colours: the same meaning as the app's registration and BLF colours.
_DOT = {
    TrayStatus.REGISTERED: "#1f9d55",
    TrayStatus.DND: "#d64545",
    TrayStatus.IN_CALL: "#2f6fdb",
    TrayStatus.OFFLINE: "#8a8f98",
}
_BRAND = "#1d6f42"
HOST_POLL_MS = 2000
_RETRIES = 3


def tray_available() -> bool:
    """A system tray host is running (needs the QApplication to exist)."""
    from qtpy.QtWidgets import QSystemTrayIcon

    return bool(QSystemTrayIcon.isSystemTrayAvailable())


class TrayHostWatch:
    """GUI thread: calls `on_change` when a tray host appears where there was none, or when a
    new StatusNotifierWatcher does not list the icon.

    Qt chooses the tray protocol when a QSystemTrayIcon is created (StatusNotifierItem if a
    watcher is on the session bus, else XEmbed) and the app makes no icon without a host, so
    a panel that starts after the app (at login) would never get one. A poll every 2 s (D-Bus
    calls and an X selection query) finds the moment to make it.

    A panel that restarts brings a new watcher, and Qt registers its icon with it as soon as
    the watcher's name appears, once, without retrying. Debian's status-notifier-watcher takes
    its name before it serves its methods (it asks the bus for name-change signals in between,
    read in its source), so that call can fail; the likely cause of the icon staying
    unregistered after a panel restart in 2 of 4 CI runs (not reproduced alone).
    So the poll after a new watcher appears checks that it lists the icon, and makes the icon
    again if not (up to _RETRIES times for that watcher).
    """

    def __init__(
        self,
        on_change: Callable[[], None],
        interval_ms: int = HOST_POLL_MS,
        *,
        icon_shown: Callable[[], bool] = lambda: False,
        bus: SniBus | None = None,
    ) -> None:
        from qtpy.QtCore import QTimer

        self._on_change = on_change
        self._icon_shown = icon_shown
        self._bus = bus if bus is not None else SniBus()
        self._available = tray_available()
        self._watcher = self._bus.watcher()
        self._listed = False  # the current watcher was seen listing the icon
        self._retries = 0
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    @property
    def available(self) -> bool:
        return self._available

    def poll(self) -> None:
        available = tray_available()
        appeared = available and not self._available
        self._available = available
        if appeared:
            log.info("a system tray host appeared")
            self._listed, self._retries = False, 0
            self._on_change()
            return
        watcher = self._bus.watcher()
        if watcher != self._watcher:
            # Qt registers with the new watcher by itself: checked at the next poll.
            self._watcher, self._listed, self._retries = watcher, False, 0
            return
        if watcher is None or self._listed or not self._icon_shown():
            return
        listed = self._bus.lists_this_process()
        if listed is None:
            return
        if listed:
            self._listed = True
        elif self._retries < _RETRIES:
            self._retries += 1
            log.warning("the tray's new watcher does not list the icon: making it again")
            self._on_change()

    def stop(self) -> None:
        self._timer.stop()
        self._bus.close()


def paint_icon(state: TrayState, size: int = 64) -> Any:
    """The app mark with a status dot and, with missed calls, a count badge."""
    from qtpy.QtCore import QRectF, Qt
    from qtpy.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_BRAND))
    painter.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), size * 0.22, size * 0.22)
    painter.setPen(QColor("#ffffff"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.5))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), int(Qt.AlignmentFlag.AlignCenter), "S")
    dot = size * 0.36
    painter.setPen(QColor("#ffffff"))
    painter.setBrush(QColor(_DOT[state.status]))
    painter.drawEllipse(QRectF(size - dot - 1, size - dot - 1, dot, dot))
    if state.missed:
        badge = size * 0.46
        painter.setBrush(QColor("#d64545"))
        painter.drawEllipse(QRectF(size - badge - 1, 1, badge, badge))
        font.setPixelSize(int(badge * 0.62))
        painter.setFont(font)
        painter.drawText(
            QRectF(size - badge - 1, 1, badge, badge),
            int(Qt.AlignmentFlag.AlignCenter),
            str(state.missed) if state.missed < 10 else "9+",
        )
    painter.end()
    return QIcon(pixmap)


class QtTray:
    """Built and used on the GUI thread; `model` changes from any thread arrive by signal."""

    def __init__(
        self,
        model: TrayModel,
        *,
        show: Callable[[], None],
        toggle_window: Callable[[], None],
        set_dnd: Callable[[bool], None],
        quit_app: Callable[[], None],
    ) -> None:
        from qtpy import QtCore
        from qtpy.QtWidgets import QMenu, QSystemTrayIcon

        class _Relay(QtCore.QObject):
            changed: Any = QtCore.Signal(object)  # type: ignore[attr-defined]

        self._model = model
        self._set_dnd = set_dnd
        self._relay = _Relay()
        self._relay.changed.connect(self._apply)  # queued into the GUI thread
        self.icon: Any = QSystemTrayIcon()
        menu: Any = QMenu()  # Any: the Qt stubs type every action as optional
        self.menu = menu
        self.show_action = menu.addAction("")
        self.show_action.triggered.connect(lambda *_: show())
        self.dnd_action = menu.addAction("")
        self.dnd_action.setCheckable(True)
        self.dnd_action.triggered.connect(lambda checked=False: set_dnd(bool(checked)))
        self.menu.addSeparator()
        self.quit_action = menu.addAction("")
        self.quit_action.triggered.connect(lambda *_: quit_app())
        self.icon.setContextMenu(self.menu)

        def activated(reason: Any) -> None:
            if reason == QSystemTrayIcon.ActivationReason.Trigger:
                toggle_window()

        self.icon.activated.connect(activated)
        self._apply(model.start(self._relay.changed.emit))
        self.icon.show()
        log.info("tray icon shown")

    def _apply(self, state: TrayState) -> None:
        self.icon.setIcon(paint_icon(state))
        self.icon.setToolTip(state.tooltip)
        self.show_action.setText(state.label("tray_show"))
        self.dnd_action.setText(state.label("tray_dnd"))
        self.dnd_action.setChecked(state.dnd)
        self.quit_action.setText(state.label("tray_quit"))

    def hide(self) -> None:
        self._model.stop()
        self.icon.hide()

    def dispose(self) -> None:
        """Hide and free the Qt objects (before a new icon is made for a new tray host)."""
        self.hide()
        self.icon.deleteLater()
        self.menu.deleteLater()
