"""The settings schema: typed fields, defaults, and validation of what is read from disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from typing import Any

import phonenumbers

from softphone.domain.account import AccountConfig, DtmfMethod, SrtpMode, Transport
from softphone.domain.colleagues import MonitoredUser, monitored_users
from softphone.domain.directory import DisplayOrder
from softphone.domain.directory_sources import DirectorySources, sources_from_json
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.feature_codes import FeatureCodes, feature_codes_from_json
from softphone.domain.network import NetworkSettings, network_from_json
from softphone.domain.policy import Forwarding
from softphone.domain.window import WindowGeometry, geometry_from_json

SCHEMA_VERSION = 1
LANGUAGES = ("en", "fr", "de", "it")


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the user chooses that survives a restart (runtime state like mute does not)."""

    account: AccountConfig | None = None
    language: str | None = None  # None: follow the OS
    theme: Theme = Theme.SYSTEM
    call_waiting: bool = True  # off: a new call while one exists is refused with 486
    dnd: bool = False  # do-not-disturb: every new call is refused (486)
    forwarding: Forwarding = field(default_factory=Forwarding)  # targets as typed
    feature_codes: FeatureCodes = field(default_factory=FeatureCodes)  # PBX forwarding, pickup
    blf_users: tuple[MonitoredUser, ...] = ()  # colleagues on the BLF panel
    headset_integration: bool = True  # telephony headsets ring, answer, mute, show call state
    busylight_blink: bool = True  # the "on call" light blinks while a call rings
    # Which "on call" light: "auto" (any of the kinds below that is plugged in), "busylight"
    # (Kuando, Embrava, Luxafor... via busylight-core), "relay" (USB HID relay board), "none".
    busylight: str = "auto"
    notifications: bool = True  # OS notifications for incoming and missed calls
    # Audio devices by id (softphone.audio.devices; None: the system default), with the names
    # they had when chosen, so "<name> is not connected" can be said while one is unplugged.
    audio_input: str | None = None
    audio_output: str | None = None
    audio_ringer: str | None = None  # where incoming calls ring
    audio_names: tuple[tuple[str, str], ...] = ()  # (device id, name) of the chosen devices
    # Plugging a telephony headset: "ask" offers its sound card for calls, "always" switches
    # to it, "never" leaves the devices alone. `headset_calls` is the headset (DetectedHeadset
    # key) now driving calls; `audio_before_headset` the (input, output, ringer) to go back to.
    headset_audio: str = "ask"
    headset_calls: str | None = None
    audio_before_headset: tuple[str | None, str | None, str | None] | None = None
    ring_volume: int = 80  # 0..100
    echo_cancellation: bool = True
    directory_order: DisplayOrder = DisplayOrder.FIRST_LAST  # names shown and sorted by
    home_country: str = "CH"  # ISO region: how "044 123 45 67" is read as +41 44 123 45 67
    directory: DirectorySources = field(default_factory=DirectorySources)
    network: NetworkSettings = field(default_factory=NetworkSettings)  # ports, NAT, STUN/TURN
    logs: bool = True  # a rotating log file in the log dir, zipped by "Export logs"
    close_to_tray: bool = True  # closing the window keeps the app (and its ringing) running
    autostart: bool = False  # start minimised to the tray at login (XDG autostart entry)
    first_run_done: bool = False  # the guided first-run check was finished or skipped
    # A tel:/sip: link is called at once instead of waiting in the keypad for a click: off,
    # as any web page can open such a link (premium numbers); for click-to-dial users.
    call_links_at_once: bool = False
    window: WindowGeometry | None = None  # last size and position of the window

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "language")
        if self.home_country not in phonenumbers.SUPPORTED_REGIONS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "home_country")
        _check_audio(self)
        if self.busylight not in ("auto", "busylight", "relay", "none"):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "busylight")

    def with_changes(self, **changes: Any) -> Settings:
        if "theme" in changes:
            try:
                changes["theme"] = Theme(changes["theme"])
            except ValueError as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "theme") from exc
        if "directory_order" in changes:
            try:
                changes["directory_order"] = DisplayOrder(changes["directory_order"])
            except ValueError as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "directory_order") from exc
        if isinstance(changes.get("feature_codes"), dict):
            changes["feature_codes"] = feature_codes_from_json(
                changes["feature_codes"], self.feature_codes
            )
        if isinstance(changes.get("forwarding"), dict):
            try:
                changes["forwarding"] = replace(self.forwarding, **changes["forwarding"])
            except (TypeError, ValueError) as exc:
                raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "forwarding") from exc
        return replace(self, **changes)


def _check_audio(s: Settings) -> None:
    for name in ("audio_input", "audio_output", "audio_ringer", "headset_calls"):
        value = getattr(s, name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 256):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    volume = s.ring_volume
    if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "ring_volume")
    if not isinstance(s.echo_cancellation, bool):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "echo_cancellation")
    if not all(
        isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in s.audio_names
    ):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "audio_names")
    if s.headset_audio not in ("ask", "always", "never"):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "headset_audio")
    before = s.audio_before_headset
    if before is not None and not (
        isinstance(before, tuple)
        and len(before) == 3
        and all(x is None or isinstance(x, str) for x in before)
    ):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "audio_before_headset")


def to_json(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    data["version"] = SCHEMA_VERSION
    return data


def from_json(data: Any) -> Settings:
    """Build Settings from parsed JSON; raises ValueError/SoftphoneError on anything invalid."""
    if not isinstance(data, dict):
        raise ValueError("settings file is not a JSON object")
    account_data = data.get("account")
    account = None
    if account_data is not None:
        if not isinstance(account_data, dict):
            raise ValueError("account is not an object")
        account = AccountConfig(
            server=_str(account_data, "server"),
            user=_str(account_data, "user"),
            auth_user=_str(account_data, "auth_user", ""),
            display_name=_str(account_data, "display_name", ""),
            transport=Transport(_str(account_data, "transport", "udp")),
            srtp=SrtpMode(_str(account_data, "srtp", "off")),
            dtmf_method=DtmfMethod(_str(account_data, "dtmf_method", "rfc4733")),
            realm=_str(account_data, "realm", ""),
            learned_realm=_str(account_data, "learned_realm", ""),
            allow_direct_calls=account_data.get("allow_direct_calls", False) is True,
            accept_direct_calls=account_data.get("accept_direct_calls", False) is True,
        )
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError("language is not a string")
    call_waiting = data.get("call_waiting", True)
    if not isinstance(call_waiting, bool):
        raise ValueError("call_waiting is not a boolean")
    dnd = data.get("dnd", False)
    if not isinstance(dnd, bool):
        raise ValueError("dnd is not a boolean")
    headset = {
        k: data.get(k, True) for k in ("headset_integration", "busylight_blink", "notifications")
    }
    if not all(isinstance(v, bool) for v in headset.values()):
        raise ValueError("headset or notification settings are not booleans")
    desktop = {
        k: data.get(k, default)
        for k, default in (
            ("logs", True),
            ("close_to_tray", True),
            ("autostart", False),
            ("first_run_done", False),
            ("call_links_at_once", False),
        )
    }
    if not all(isinstance(v, bool) for v in desktop.values()):
        raise ValueError("desktop settings are not booleans")
    return Settings(
        **headset,
        **desktop,
        busylight=_str(data, "busylight", "auto"),
        window=geometry_from_json(data.get("window")),
        account=account,
        language=language,
        theme=Theme(data.get("theme", "system")),
        call_waiting=call_waiting,
        dnd=dnd,
        forwarding=_forwarding(data.get("forwarding", {})),
        feature_codes=_feature_codes(data.get("feature_codes", {})),
        blf_users=_blf_users(data.get("blf_users", [])),
        directory_order=DisplayOrder(data.get("directory_order", "first_last")),
        home_country=_str(data, "home_country", "CH"),
        directory=sources_from_json(data.get("directory", {})),
        network=_network(data.get("network", {})),
        **_audio(data),
    )


def _audio(data: dict[str, Any]) -> dict[str, Any]:
    names = data.get("audio_names", [])
    if not isinstance(names, list) or not all(isinstance(p, list) for p in names):
        raise ValueError("audio_names is not a list of pairs")
    return {
        "audio_input": data.get("audio_input"),
        "audio_output": data.get("audio_output"),
        "audio_ringer": data.get("audio_ringer"),
        "audio_names": tuple(tuple(p) for p in names),
        "headset_audio": data.get("headset_audio", "ask"),
        "headset_calls": data.get("headset_calls"),
        "audio_before_headset": _before_headset(data.get("audio_before_headset")),
        "ring_volume": data.get("ring_volume", 80),
        "echo_cancellation": data.get("echo_cancellation", True),
    }


def _before_headset(value: Any) -> tuple[str | None, str | None, str | None] | None:
    if value is None:
        return None
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
