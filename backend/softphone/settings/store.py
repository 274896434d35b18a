"""Settings on disk: atomic writes, and a corrupt file moved aside instead of crashing."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from softphone.domain.errors import SoftphoneError
from softphone.domain.settings import Settings
from softphone.private_files import PRIVATE_FILE
from softphone.settings.schema import from_json, to_json

log = logging.getLogger(__name__)


class SettingsStore:
    """Loads once, saves on every change; `recovered_from` tells the UI a file was bad."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()  # read-modify-write of update()
        self.recovered_from: Path | None = None
        self._settings = self._load()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def path(self) -> Path:
        return self._path

    def update(self, **changes: Any) -> Settings:
        """Apply `changes` to the current settings and save, with no lost update between
        threads (the window's geometry is saved while the UI changes other settings)."""
        with self._update_lock:
            updated = self._settings.with_changes(**changes)
            self.save(updated)
            return updated

    def _load(self) -> Settings:
        try:
            text = self._path.read_text(encoding="utf-8")
            # Saves replace it with a 0600 file (mkstemp); one an older version wrote 0644
            # (account, forwarding number, colleagues) is closed now, not at the next save.
            os.chmod(self._path, PRIVATE_FILE)
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            log.error("cannot read settings %s: %s; using defaults", self._path, exc)
            return Settings()
        try:
            return from_json(json.loads(text))
        except (ValueError, SoftphoneError, TypeError) as exc:
            aside = self._path.with_name(
                f"{self._path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            log.error(
                "settings file %s is invalid (%s): moved to %s, using defaults",
                self._path,
                exc,
                aside,
            )
            try:
                self._path.replace(aside)
                self.recovered_from = aside
            except OSError:
                log.exception("could not move the corrupt settings aside")
            return Settings()

    def save(self, settings: Settings) -> None:
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(to_json(settings), indent=2, sort_keys=True)
            fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self._path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self._path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._settings = settings
