"""Arguments of settings.update: every editable setting, checked by its type."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, get_args

from softphone.domain.colleagues import MonitoredUser, monitored_users
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.feature_codes import FeatureCodes
from softphone.domain.policy import Forwarding
from softphone.domain.settings import EDITABLE_SETTINGS, SETTING_TYPES
from softphone.web.forwarding import forwarding_changes
from softphone.web.wire import Wire, arg_bool, arg_str

Reader = Callable[[Wire, str], object]


def _word(args: Wire, name: str) -> str:
    # Text settings are short words (language, theme, region, light kind); their values
    # are checked by Settings, which names the setting when one is not known.
    return arg_str(args, name, max_len=16)


def _partial_object(args: Wire, name: str) -> dict[str, Any]:
    value = args[name]
    if not isinstance(value, dict):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    return value  # its keys are checked by Settings.with_changes


# How an argument of each setting type is read; an editable setting of a new type needs
# its reader here.
_BY_TYPE: Mapping[object, Reader] = {
    bool: arg_bool,
    str: _word,
    Forwarding: lambda args, name: forwarding_changes(args[name]),
    FeatureCodes: _partial_object,
    tuple[MonitoredUser, ...]: lambda args, name: monitored_users(args[name]),
}


def _reader(kind: object) -> Reader:
    if isinstance(kind, types.UnionType):  # `X | None`: null, or what X reads
        (inner,) = (arg for arg in get_args(kind) if arg is not type(None))
        read = _reader(inner)
        return lambda args, name: None if args[name] is None else read(args, name)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return _word  # Settings.with_changes makes it the enum, or names the setting
    return _BY_TYPE[kind]


# Built at import: an editable setting without a reader fails every test.
_READERS: Mapping[str, Reader] = {name: _reader(SETTING_TYPES[name]) for name in EDITABLE_SETTINGS}


def settings_changes(args: Wire) -> dict[str, Any]:
    """The changes settings.update asks for, each argument checked; invalid_argument naming
    the first bad one, or without a field when an argument is no editable setting."""
    changes = {name: read(args, name) for name, read in _READERS.items() if name in args}
    if set(args) - set(_READERS):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT)
    return changes
