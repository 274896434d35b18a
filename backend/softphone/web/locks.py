"""Settings a provisioning document locks (its `locked` list): the commands that would change
them are refused with `setting_locked`, naming the setting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from softphone.domain.settings import EDITABLE_SETTINGS, LOCKABLE_SETTINGS

# Commands that change one lockable setting, whatever their arguments.
_COMMAND_LOCKS = {
    "account.setup": "account",
    "network.update": "network",
    "directory.configure": "directory",
}
# The lockable settings `settings.update` changes (each argument is the setting's name).
_UPDATE_LOCKS = tuple(name for name in EDITABLE_SETTINGS if name in LOCKABLE_SETTINGS)


def locked_setting(name: str, args: Any, locked: Callable[[], Iterable[str]]) -> str | None:
    """The locked setting command `name` with `args` would change, or None. `locked` is asked
    only for commands that change a lockable setting (it may read a file)."""
    if name in _COMMAND_LOCKS:
        key = _COMMAND_LOCKS[name]
        return key if key in set(locked()) else None
    if name != "settings.update" or not isinstance(args, dict):
        return None
    wanted = [key for key in _UPDATE_LOCKS if key in args]
    codes = args.get("feature_codes")
    if isinstance(codes, dict) and "voicemail" in codes:
        wanted.append("voicemail")  # the voicemail number is kept among the feature codes
    if not wanted:
        return None
    now = set(locked())
    return next((key for key in wanted if key in now), None)
