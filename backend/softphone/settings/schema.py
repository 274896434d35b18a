"""The settings file's JSON: every `Settings` field, read by its type, checked before use."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import asdict
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from typing import Any, get_args

from softphone.domain.account import AccountConfig, DtmfMethod, SrtpMode, Transport
from softphone.domain.colleagues import MonitoredUser, monitored_users
from softphone.domain.directory_sources import DirectorySources, sources_from_json
from softphone.domain.errors import SoftphoneError
from softphone.domain.feature_codes import FeatureCodes, feature_codes_from_json
from softphone.domain.network import NetworkSettings, network_from_json
from softphone.domain.policy import Forwarding
from softphone.domain.settings import SETTING_TYPES, Settings
from softphone.domain.window import WindowGeometry, geometry_from_json

SCHEMA_VERSION = 1

Decoder = Callable[[Any], Any]  # JSON in; the setting's type out (checked by Settings)


def to_json(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    data["version"] = SCHEMA_VERSION
    return data


def from_json(data: Any) -> Settings:
    """Build Settings from parsed JSON; raises ValueError/SoftphoneError on anything invalid.
    A key missing is the setting's default (files from before it); unknown keys are ignored."""
    if not isinstance(data, dict):
        raise ValueError("settings file is not a JSON object")
    values: dict[str, Any] = {}
    for name, read in _DECODERS.items():
        if name in data:
            try:
                values[name] = read(data[name])
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc  # the log names the setting
    return Settings(**values)


def _account(data: Any) -> AccountConfig:
    if not isinstance(data, dict):
        raise ValueError("account is not an object")
    return AccountConfig(
        server=_str(data, "server"),
        user=_str(data, "user"),
        auth_user=_str(data, "auth_user", ""),
        display_name=_str(data, "display_name", ""),
        transport=Transport(_str(data, "transport", "udp")),
        srtp=SrtpMode(_str(data, "srtp", "off")),
        dtmf_method=DtmfMethod(_str(data, "dtmf_method", "rfc4733")),
        realm=_str(data, "realm", ""),
        learned_realm=_str(data, "learned_realm", ""),
        allow_direct_calls=data.get("allow_direct_calls", False) is True,
        accept_direct_calls=data.get("accept_direct_calls", False) is True,
    )


def _audio_names(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(isinstance(p, list) for p in value):
        raise ValueError("audio_names is not a list of pairs")
    return tuple(tuple(p) for p in value)


def _before_headset(value: Any) -> tuple[str | None, str | None, str | None]:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError("audio_before_headset is not a list of three")
    return (value[0], value[1], value[2])


def _network(data: Any) -> NetworkSettings:
    try:
        return network_from_json(data)
    except SoftphoneError as exc:
        raise ValueError("network is invalid") from exc


def _blf_users(data: Any) -> tuple[MonitoredUser, ...]:
    try:
        return monitored_users(data)
    except SoftphoneError as exc:
        raise ValueError("blf_users is invalid") from exc


def _feature_codes(data: Any) -> FeatureCodes:
    try:
        return feature_codes_from_json(data)
    except SoftphoneError as exc:
        raise ValueError("feature_codes is invalid") from exc


def _forwarding(data: Any) -> Forwarding:
    if not isinstance(data, dict):
        raise ValueError("forwarding is not an object")
    fields = {f.name: f.type for f in dataclass_fields(Forwarding)}
    for key, value in data.items():
        expected = {"bool": bool, "str": str, "int": int}[str(fields.get(key, "str"))]
        if key not in fields or type(value) is not expected:
            raise ValueError(f"forwarding.{key} is invalid")
    return Forwarding(**data)


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _exactly(kind: type) -> Decoder:
    """A JSON scalar of exactly this type (true is not the number 1)."""

    def read(value: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(f"not a {kind.__name__}")
        return value

    return read


# How a setting of each type is read; a setting of a new type needs its reader here.
_BY_TYPE: Mapping[object, Decoder] = {
    bool: _exactly(bool),
    int: _exactly(int),
    str: _exactly(str),
    AccountConfig: _account,
    Forwarding: _forwarding,
    FeatureCodes: _feature_codes,
    tuple[MonitoredUser, ...]: _blf_users,
    tuple[tuple[str, str], ...]: _audio_names,
    tuple[str | None, str | None, str | None]: _before_headset,
    DirectorySources: sources_from_json,
    NetworkSettings: _network,
    WindowGeometry: geometry_from_json,
}


def _decoder(kind: object) -> Decoder:
    if isinstance(kind, types.UnionType):  # `X | None`: null, or what X reads
        (inner,) = (arg for arg in get_args(kind) if arg is not type(None))
        read = _decoder(inner)
        return lambda value: None if value is None else read(value)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind  # ValueError for a value it does not have
    return _BY_TYPE[kind]


# Built at import: a setting whose type has no reader fails every test, not a user's start.
_DECODERS: Mapping[str, Decoder] = {name: _decoder(kind) for name, kind in SETTING_TYPES.items()}
