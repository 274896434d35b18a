"""The SIP instance id (RFC 5626 `+sip.instance`) of this installation, one per account."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from softphone.domain.sip_instance import new_instance_id, valid_instance_id

log = logging.getLogger(__name__)

_MAX_ACCOUNTS = 64  # a file grown past this was not written by us: start over
_MAX_KEY = 512


class InstanceIds:
    """Generated once per account and kept in the data dir, so that every engine process
    (a restart after a crash, the next launch) registers with the same instance and the
    registrar replaces the earlier binding instead of adding one.

    Not a secret, but not a setting either: the user never edits it, and it must survive a
    settings reset. A damaged file is replaced (the registrar then sees a new instance once).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}  # also what this run made when the file is not writable

    def for_account(self, key: str) -> str:
        """The instance id of the account `key` (its address of record), made on first use."""
        with self._lock:
            if key in self._known:
                return self._known[key]
            ids = self._load()
            found = ids.get(key)
            if found is None:
                found = ids[key] = new_instance_id()
                self._save(ids)
            self._known[key] = found
            return found

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("instance ids %s unreadable (%s): new ones are made", self._path, exc)
            return {}
        if not isinstance(data, dict) or len(data) > _MAX_ACCOUNTS:
            log.warning("instance ids %s malformed: new ones are made", self._path)
            return {}
        return {
            k: v
            for k, v in data.items()
            if isinstance(k, str) and len(k) <= _MAX_KEY and valid_instance_id(v)
        }

    def _save(self, ids: dict[str, str]) -> None:
        tmp: str | None = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".instance-", dir=self._path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(ids, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError as exc:
            # Registering still works (with an id that lasts until the app quits).
            log.warning("instance ids not saved to %s: %s", self._path, exc)
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
