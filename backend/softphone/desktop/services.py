"""Desktop chores driven by settings: the log file, start at login, the support archive."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from softphone import __version__
from softphone.bus import EventBus
from softphone.desktop.autostart import apply_autostart, autostart_dir, launch_command
from softphone.diagnostics.export import ExportSources, system_info
from softphone.diagnostics.logfiles import AppLogFile, rotated_files
from softphone.domain.events import SettingsChanged
from softphone.settings.secrets import DIRECTORY_SECRET_KEYS, SecretStore, account_secret_key
from softphone.settings.store import SettingsStore

log = logging.getLogger(__name__)


class DesktopServices:
    """Applies `logs` and `autostart` when they change; gathers what Export logs zips."""

    def __init__(
        self,
        bus: EventBus,
        settings: SettingsStore,
        secrets: SecretStore,
        *,
        log_dir: Path,
        extra_logs: Sequence[Path] = (),
        extra_secrets: Callable[[], Sequence[str]] = lambda: (),
        autostart_directory: Path | None = None,
        launch_data_dir: Path | None = None,
    ) -> None:
        self._bus = bus
        self._settings = settings
        self._secrets = secrets
        self._log_dir = log_dir
        self._extra_logs = tuple(extra_logs)
        self._extra_secrets = extra_secrets
        self._autostart_dir = autostart_directory or autostart_dir()
        self._launch_data_dir = launch_data_dir
        self.app_log = AppLogFile(log_dir)
        self._autostart = settings.settings.autostart
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self.app_log.apply(self._settings.settings.logs)
        self._unsubscribe = self._bus.subscribe(SettingsChanged, self._on_settings)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.app_log.close()

    def _on_settings(self, event: SettingsChanged) -> None:
        self.app_log.apply(event.settings.logs)
        if event.settings.autostart != self._autostart:
            self._autostart = event.settings.autostart
            apply_autostart(
                self._autostart, self._autostart_dir, launch_command(self._launch_data_dir)
            )

    def export_sources(self) -> ExportSources:
        files = [*self.app_log.files()]
        extra = [p for log in self._extra_logs for p in rotated_files(log)]  # engine.log, .1..
        for path in [*sorted(self._log_dir.glob("*.log*")), *extra]:
            if path.is_file() and path not in files:
                files.append(path)
        return ExportSources(
            log_files=files,
            settings_file=self._settings.path,
            secrets=self._known_secrets(),
            info=system_info(__version__, {"log dir": str(self._log_dir)}),
        )

    def _known_secrets(self) -> list[str]:
        """Every secret value the app knows of: they must not leave in the archive."""
        keys = list(DIRECTORY_SECRET_KEYS.values())
        account = self._settings.settings.account
        if account is not None:
            keys.append(account_secret_key(account))
        values = [self._secrets.get(key) for key in keys]
        return [v for v in [*values, *self._extra_secrets()] if v]
