"""The app's own log file: rotating, in the log directory, switched by the `logs` setting."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

APP_LOG = "softphone.log"
MAX_BYTES = 1_000_000
BACKUPS = 3  # at most ~4 MB on disk, and what support needs: the last hours of use
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"


class AppLogFile:
    """Adds a rotating file handler to the root logger while `logs` is on; removes it when off."""

    def __init__(self, log_dir: Path, level: int = logging.INFO) -> None:
        self.path = log_dir / APP_LOG
        self._level = level
        self._lock = threading.Lock()
        self._handler: logging.Handler | None = None

    @property
    def enabled(self) -> bool:
        return self._handler is not None

    def apply(self, enabled: bool) -> None:
        with self._lock:
            if enabled and self._handler is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handler = logging.handlers.RotatingFileHandler(
                    self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
                handler.setLevel(self._level)
                handler.setFormatter(logging.Formatter(FORMAT))
                # The root level stays what --log-level chose: the console shows no more.
                logging.getLogger().addHandler(handler)
                self._handler = handler
                logging.getLogger(__name__).info("logging to %s", self.path)
            elif not enabled and self._handler is not None:
                logging.getLogger().removeHandler(self._handler)
                self._handler.close()
                self._handler = None

    def files(self) -> list[Path]:
        """The current file and its rotated copies that exist, newest first."""
        names = [self.path] + [Path(f"{self.path}.{i}") for i in range(1, BACKUPS + 1)]
        return [p for p in names if p.is_file()]

    def close(self) -> None:
        self.apply(False)
