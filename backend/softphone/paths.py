"""Where the app keeps its files (light: main() needs it before the app is imported)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from softphone.private_files import private_dir

APP_NAME = "softphone"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """Where the app keeps its files: one data directory (tests) or the platform's dirs."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    runtime_dir: Path
    root: Path | None = None  # --data-dir: the one directory holding the four above

    @classmethod
    def for_data_dir(cls, data_dir: Path | None) -> AppPaths:
        if data_dir is not None:
            root = data_dir.resolve()
            return cls(root / "config", root / "data", root / "logs", root / "run", root)
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_runtime_dir(APP_NAME, appauthor=False)),
        )

    def create(self) -> None:
        """Every directory made and set to 0700 (also when it existed: older versions left
        0755), so other local users cannot list or read calls, contacts and logs."""
        if self.root is not None:
            private_dir(self.root)
        for path in (self.config_dir, self.data_dir, self.log_dir, self.runtime_dir):
            private_dir(path)

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def history_file(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def trust_dir(self) -> Path:
        """Certificates the user trusted (TLS to the PBX, provisioning, directory)."""
        return self.data_dir / "tls"

    @property
    def directory_file(self) -> Path:
        return self.data_dir / "directory.sqlite3"
