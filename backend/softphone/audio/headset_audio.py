"""Which sound card belongs to a HID headset, and switching calls to it when it is plugged in.

A USB headset shows up twice: as a HID device (buttons, LEDs; headset/) and as a sound card
(audio/devices.py). Both carry the USB vendor and product ids, and often the serial number,
which is how the two are paired. The policy follows both lists (they appear at different
moments) and, per the `headset_audio` setting, offers the headset for calls, switches to it,
or does nothing. The choice it replaced is kept so that unplugging goes back to it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from softphone.audio.devices import AudioDevice, Direction
from softphone.audio.events import AudioDevicesChanged, HeadsetAudioOffered
from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.headset import DetectedHeadset, HeadsetsChanged
from softphone.domain.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeadsetAudio:
    """The headset's sound card: its microphone (None if it has none) and its speaker."""

    input: AudioDevice | None
    output: AudioDevice


def match_audio(headset: DetectedHeadset, devices: Iterable[AudioDevice]) -> HeadsetAudio | None:
    """The sound devices of this HID headset: same USB vendor and product id, and the same
    serial when both sides know one. None when it has no output (not plugged yet, or an
    audio-less HID device such as a dongle whose sound card is elsewhere)."""
    found = [d for d in devices if _same_usb(headset, d)]
    output = _pick(found, "output")
    if output is None:
        return None
    return HeadsetAudio(_pick(found, "input"), output)


def _same_usb(headset: DetectedHeadset, device: AudioDevice) -> bool:
    if device.vendor_id != headset.vendor_id or device.product_id != headset.product_id:
        return False
    return not (headset.serial and device.serial and headset.serial != device.serial)


def _pick(devices: list[AudioDevice], direction: Direction) -> AudioDevice | None:
    same = sorted((d for d in devices if d.direction == direction), key=lambda d: d.id)
    return same[0] if same else None


def switched(settings: Settings, headset: DetectedHeadset, audio: HeadsetAudio) -> Settings:
    """Settings with input, output and ringer on the headset, the previous choice kept."""
    before = settings.audio_before_headset
    if before is None or settings.headset_calls is None:
        before = (settings.audio_input, settings.audio_output, settings.audio_ringer)
    new_input = audio.input.id if audio.input is not None else settings.audio_input
    names = dict(settings.audio_names)
    names[audio.output.id] = audio.output.name
    if audio.input is not None:
        names[audio.input.id] = audio.input.name
    keep = {new_input, audio.output.id, *before}
    return settings.with_changes(
        audio_input=new_input,
        audio_output=audio.output.id,
        audio_ringer=audio.output.id,
        audio_names=tuple(sorted((k, v) for k, v in names.items() if k in keep)),
        headset_calls=headset.key,
        audio_before_headset=before,
    )


def restored(settings: Settings) -> Settings:
    """Settings back on the devices used before the headset took the calls."""
    before = settings.audio_before_headset or (None, None, None)
    keep = set(before)
    return settings.with_changes(
        audio_input=before[0],
        audio_output=before[1],
        audio_ringer=before[2],
        audio_names=tuple(p for p in settings.audio_names if p[0] in keep),
        headset_calls=None,
        audio_before_headset=None,
    )


def uses(settings: Settings, audio: HeadsetAudio) -> bool:
    """Whether call audio already goes to this sound card."""
    wanted_in = audio.input.id if audio.input is not None else settings.audio_input
    return settings.audio_output == audio.output.id and settings.audio_input == wanted_in


def _in_a_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="headset-audio-apply").start()


class HeadsetAudioPolicy:
    """Follows HeadsetsChanged and AudioDevicesChanged; saves settings like the UI does."""

    def __init__(
        self,
        bus: EventBus,
        settings: Callable[[], Settings],
        save: Callable[[Settings], None],
        devices: Callable[[], tuple[AudioDevice, ...]],
        *,
        later: Callable[[Callable[[], None]], object] = _in_a_thread,
    ) -> None:
        self._bus = bus
        self._later = later  # runs an apply off the publisher's thread (tests run it by hand)
        self._settings = settings
        self._save = save
        self._devices = devices
        self._lock = threading.Lock()
        self._present: dict[str, DetectedHeadset] = {}
        self._pending: set[str] = set()  # plugged, not yet paired with its sound card
        self._offered: DetectedHeadset | None = None
        self._start_checked = False  # the first device list was compared with the settings
        bus.subscribe(HeadsetsChanged, self._on_headsets)
        bus.subscribe(AudioDevicesChanged, self._on_devices)

    @property
    def offered(self) -> DetectedHeadset | None:
        """The headset offered for calls now (a UI that reconnects shows the offer again)."""
        with self._lock:
            return self._offered

    def candidates(self) -> dict[str, HeadsetAudio]:
        """Present telephony headsets whose sound card is plugged in, by key."""
        with self._lock:
            present = list(self._present.values())
        devices = self._devices()
        found = {h.key: match_audio(h, devices) for h in present}
        return {k: a for k, a in found.items() if a is not None}

    def use(self, key: str) -> None:
        """The user picked this headset for calls (the offer, or the headset settings)."""
        with self._lock:
            headset = self._present.get(key)
        audio = match_audio(headset, self._devices()) if headset is not None else None
        if headset is None or audio is None:
            raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, "key")
        self._withdraw(key)
        self._apply(switched(self._settings(), headset, audio))
        log.info("calls now use the headset %s", headset.name)

    def decline(self, key: str) -> None:
        """The user answered "Not now": nothing changes until the headset is plugged again."""
        self._withdraw(key)

    def _on_headsets(self, event: HeadsetsChanged) -> None:
        now = {h.key: h for h in event.headsets if h.telephony}
        with self._lock:
            gone = set(self._present) - set(now)
            self._pending |= set(now) - set(self._present)
            self._pending -= gone
            self._present = now
        for key in gone:
            self._withdraw(key)
        current = self._settings()
        if current.headset_calls is not None and current.headset_calls in gone:
            log.info("the headset used for calls left: back to the previous devices")
            self._apply(restored(current))
        self._decide()

    def _on_devices(self, _event: AudioDevicesChanged) -> None:
        # This runs inside the device watcher's refresh, and a settings change makes the app
        # refresh the devices again (same lock): settings are applied from another thread.
        self._restore_if_gone_at_start()
        self._decide(apply=self._apply_soon)

    def _restore_if_gone_at_start(self) -> None:
        """The headset that took the calls was unplugged while the app was closed: its unplug
        was never seen, so at the first device list go back to the devices used before it."""
        devices = self._devices()
        with self._lock:
            if self._start_checked or not devices:  # no list yet: cannot tell
                return
            self._start_checked = True
        current = self._settings()
        key = current.headset_calls
        if key is None or match_audio(_from_key(key), devices) is not None:
            return
        log.info("the headset used for calls is gone since the last run: previous devices")
        self._apply_soon(restored(current))

    def _decide(self, apply: Callable[[Settings], None] | None = None) -> None:
        """Pair plugged headsets with their sound cards; offer or switch per the setting."""
        apply = apply or self._apply
        devices = self._devices()
        current = self._settings()
        with self._lock:
            ready = []
            for key in sorted(self._pending):
                audio = match_audio(self._present[key], devices)
                if audio is not None:
                    self._pending.discard(key)
                    ready.append((self._present[key], audio))
        for headset, audio in ready:
            if current.headset_audio == "never" or uses(current, audio):
                continue
            if current.headset_audio == "always":
                current = switched(current, headset, audio)
                apply(current)
                log.info("headset plugged in: calls now use %s", headset.name)
            else:
                with self._lock:
                    self._offered = headset
                self._bus.publish(HeadsetAudioOffered(headset.key, headset.name))

    def _withdraw(self, key: str) -> None:
        with self._lock:
            if self._offered is None or self._offered.key != key:
                return
            self._offered = None
        self._bus.publish(HeadsetAudioOffered(None))

    def _apply_soon(self, updated: Settings) -> None:
        self._later(lambda: self._apply(updated))

    def _apply(self, updated: Settings) -> None:
        self._save(updated)
        self._bus.publish(SettingsChanged(updated))


def _from_key(key: str) -> DetectedHeadset:
    """The USB identity a settings key ("vvvv:pppp" or "vvvv:pppp:serial") names."""
    parts = key.split(":", 2)
    try:
        vendor, product = int(parts[0], 16), int(parts[1], 16)
    except (ValueError, IndexError):
        vendor = product = -1  # a key we cannot read matches no device
    return DetectedHeadset("", vendor, product, True, None, parts[2] if len(parts) > 2 else "")
