"""The app's own log file: rotating, in the log directory, switched by the `logs` setting."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import threading
from pathlib import Path

from softphone.diagnostics.redact import redact_credentials
from softphone.private_files import PRIVATE_FILE, private_file

APP_LOG = "softphone.log"
MAX_BYTES = 1_000_000
BACKUPS = 3  # at most ~4 MB on disk, and what support needs: the last hours of use
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file only its owner can read (0600), with credentials masked.

    A SIP log at level 4 and up carries Authorization headers, digest nonces and responses
    (enough for an offline password guess) and every caller's number: neither belongs in a
    file other local users can read, nor in the file at all for the credentials.
    """

    def __init__(self, path: Path) -> None:
        private_file(path)  # before the first open, which would use the umask (0644)
        for older in rotated_files(path)[1:]:  # copies an older version rotated at 0644
            os.chmod(older, PRIVATE_FILE)
        self._last: tuple[logging.LogRecord | None, str] = (None, "")
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        stream = super()._open()  # also the new file after each rollover
        os.fchmod(stream.fileno(), PRIVATE_FILE)
        return stream

    def format(self, record: logging.LogRecord) -> str:
        # emit() formats twice (shouldRollover, then the write): redact once per record.
        if self._last[0] is not record:
            self._last = (record, redact_credentials(super().format(record)))
        return self._last[1]


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
                handler = PrivateRotatingFileHandler(self.path)
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
        return rotated_files(self.path)

    def close(self) -> None:
        self.apply(False)


def rotated_files(path: Path) -> list[Path]:
    """`path` and its rotated copies (`path.1` .. `path.BACKUPS`) that exist, newest first."""
    names = [path] + [Path(f"{path}.{i}") for i in range(1, BACKUPS + 1)]
    return [p for p in names if p.is_file()]


class StdoutFollowingHandler(PrivateRotatingFileHandler):
    """A rotating handler that also keeps file descriptor 1 on the current file.

    The engine process points fd 1 at its log because pjlib prints there before our log
    writer is installed; without following, fd 1 would keep appending to the renamed
    copy (and to the deleted one after the last backup), growing without bound again.
    """

    def __init__(self, path: Path, *, follow_stdout: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path)
        self._follow_stdout = follow_stdout
        if follow_stdout:
            self._point_stdout()

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        super().doRollover()
        if self._follow_stdout:
            self._point_stdout()

    def _point_stdout(self) -> None:
        target = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        try:
            os.dup2(target, 1)
        finally:
            os.close(target)
