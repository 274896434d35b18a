"""The user's settings: one typed dataclass whose fields (types, metadata) are the schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, get_type_hints

# The one library domain/ uses: pure data, no I/O. A home country must be a region whose
# numbers it can read (directory/numbers.py reads them with it).
import phonenumbers

from softphone.domain.account import AccountConfig
from softphone.domain.colleagues import MonitoredUser
from softphone.domain.directory import DisplayOrder
from softphone.domain.directory_sources import DirectorySources
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.feature_codes import FeatureCodes, feature_codes_from_json
from softphone.domain.network import NetworkSettings
from softphone.domain.policy import Forwarding
from softphone.domain.window import WindowGeometry

LANGUAGES = ("en", "fr", "de", "it")


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Access:
    """Who sees and changes a setting besides the settings file, which holds every one."""

    wire: bool = True  # sent to the UI in `settings` (the others: own object, or internal)
    editable: bool = False  # `settings.update` changes it (the others have their own command)
    lockable: bool = False  # a provisioning document may lock it (docs/provisioning.md)


def _access(**flags: bool) -> dict[str, Access]:
    return {"access": Access(**flags)}


_EDITABLE = _access(editable=True)
_EDITABLE_LOCKABLE = _access(editable=True, lockable=True)
_LOCKABLE = _access(lockable=True)
_INTERNAL = _access(wire=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the user chooses that survives a restart (runtime state like mute does not).

    A new setting is a field here: its type decides how settings.json stores it, how the wire
    sends it and how settings.update reads it; its `Access` who sees and changes it. The
    default is what a file written before the setting loads as.
    """

    # Sent to the UI as its own `account` object; changed by account.setup.
    account: AccountConfig | None = field(default=None, metadata=_access(wire=False, lockable=True))
    language: str | None = field(default=None, metadata=_EDITABLE)  # None: follow the OS
    theme: Theme = field(default=Theme.SYSTEM, metadata=_EDITABLE)
    # Off: a new call while one exists is refused with 486.
    call_waiting: bool = field(default=True, metadata=_EDITABLE)
    dnd: bool = field(default=False, metadata=_EDITABLE)  # every new call is refused (486)
    # Targets as typed; a partial object changes only the rules it names.
    forwarding: Forwarding = field(default_factory=Forwarding, metadata=_EDITABLE_LOCKABLE)
    # PBX forwarding, pickup prefix, voicemail number; a partial object as forwarding.
    feature_codes: FeatureCodes = field(default_factory=FeatureCodes, metadata=_EDITABLE_LOCKABLE)
    # Colleagues on the BLF panel.
    blf_users: tuple[MonitoredUser, ...] = field(default=(), metadata=_EDITABLE_LOCKABLE)
    # Telephony headsets ring, answer, mute and show the call state.
    headset_integration: bool = field(default=True, metadata=_EDITABLE)
    # The "on call" light blinks while a call rings.
    busylight_blink: bool = field(default=True, metadata=_EDITABLE)
    # Which "on call" light: "auto" (any of the kinds below that is plugged in), "busylight"
    # (Kuando, Embrava, Luxafor... via busylight-core), "relay" (USB HID relay board), "none".
    busylight: str = field(default="auto", metadata=_EDITABLE)
    # OS notifications for incoming and missed calls.
    notifications: bool = field(default=True, metadata=_EDITABLE)
    # Audio devices by id (softphone.audio.devices; None: the system default), with the names
    # they had when chosen, so "<name> is not connected" can be said while one is unplugged.
    # audio.configure and headset_audio.use change them.
    audio_input: str | None = None
    audio_output: str | None = None
    audio_ringer: str | None = None  # where incoming calls ring
    # (device id, name) of the chosen devices.
    audio_names: tuple[tuple[str, str], ...] = field(default=(), metadata=_INTERNAL)
    # Plugging a telephony headset: "ask" offers its sound card for calls, "always" switches
    # to it, "never" leaves the devices alone. `headset_calls` is the headset (DetectedHeadset
    # key) now driving calls; `audio_before_headset` the (input, output, ringer) to go back to.
    headset_audio: str = "ask"
    headset_calls: str | None = None
    audio_before_headset: tuple[str | None, str | None, str | None] | None = field(
        default=None, metadata=_INTERNAL
    )
    ring_volume: int = 80  # 0..100
    echo_cancellation: bool = True
    # WebRTC's automatic gain control on the microphone, last (engine/gain.py): off, as a
    # headset's or a well-placed microphone's level is right already and AGC raises noise too.
    auto_gain: bool = False
    # Names shown and sorted by.
    directory_order: DisplayOrder = field(default=DisplayOrder.FIRST_LAST, metadata=_EDITABLE)
    # ISO region: how "044 123 45 67" is read as +41 44 123 45 67.
    home_country: str = field(default="CH", metadata=_EDITABLE)
    # Changed by directory.configure.
    directory: DirectorySources = field(default_factory=DirectorySources, metadata=_LOCKABLE)
    # Ports, NAT, STUN/TURN; changed by network.update.
    network: NetworkSettings = field(default_factory=NetworkSettings, metadata=_LOCKABLE)
    # A rotating log file in the log dir, zipped by "Export logs".
    logs: bool = field(default=True, metadata=_EDITABLE)
    # Closing the window keeps the app (and its ringing) running.
    close_to_tray: bool = field(default=True, metadata=_EDITABLE)
    # Start minimised to the tray at login (XDG autostart entry).
    autostart: bool = field(default=False, metadata=_EDITABLE)
    # The guided first-run check was finished or skipped.
    first_run_done: bool = field(default=False, metadata=_EDITABLE)
    # A tel:/sip: link is called at once instead of waiting in the keypad for a click: off,
    # as any web page can open such a link (premium numbers); for click-to-dial users.
    call_links_at_once: bool = field(default=False, metadata=_EDITABLE)
    # Last size and position of the window; saved by the window itself.
    window: WindowGeometry | None = field(default=None, metadata=_INTERNAL)

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "language")
        if self.home_country not in phonenumbers.SUPPORTED_REGIONS:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "home_country")
        _check_audio(self)
        if self.busylight not in ("auto", "busylight", "relay", "none"):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "busylight")

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with `changes`; an enum setting may be given as its value, and a dict for
        forwarding or feature_codes changes only the keys it has. SoftphoneError if invalid."""
        return replace(self, **{name: _typed(self, name, value) for name, value in changes.items()})


def _check_audio(s: Settings) -> None:
    for name in ("audio_input", "audio_output", "audio_ringer", "headset_calls"):
        value = getattr(s, name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 256):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    volume = s.ring_volume
    if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "ring_volume")
    for name in ("echo_cancellation", "auto_gain"):
        if not isinstance(getattr(s, name), bool):
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
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


# Each setting's type, resolved: what the settings file, the wire and with_changes go by.
SETTING_TYPES: Mapping[str, object] = get_type_hints(Settings)


def _forwarding_keys(current: Forwarding, keys: dict[str, Any]) -> Forwarding:
    try:
        return replace(current, **keys)
    except (TypeError, ValueError) as exc:
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "forwarding") from exc


def _feature_code_keys(current: FeatureCodes, keys: dict[str, Any]) -> FeatureCodes:
    return feature_codes_from_json(keys, current)


# Settings of these types may be changed key by key (settings.update sends partial objects).
_PARTIAL: Mapping[object, Callable[[Any, dict[str, Any]], object]] = {
    Forwarding: _forwarding_keys,
    FeatureCodes: _feature_code_keys,
}


def _typed(current: Settings, name: str, value: Any) -> Any:  # Any: checked by Settings
    kind = SETTING_TYPES.get(name)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(value)
        except ValueError as exc:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name) from exc
    merge = _PARTIAL.get(kind)
    if merge is not None and isinstance(value, dict):
        return merge(getattr(current, name), value)
    return value


def _access_of(setting: Field[Any]) -> Access:
    found = setting.metadata.get("access")
    return found if isinstance(found, Access) else Access()


def _names(wanted: Callable[[Access], bool]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings) if wanted(_access_of(f)))


WIRE_SETTINGS = _names(lambda a: a.wire)  # the keys of the wire's Settings object
EDITABLE_SETTINGS = _names(lambda a: a.editable)  # the arguments settings.update takes
LOCKABLE_SETTINGS = _names(lambda a: a.lockable)  # what a provisioning document may lock
