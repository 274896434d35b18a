"""Start-up after the headset that took the calls was unplugged while the app was closed."""

from __future__ import annotations

from softphone.audio.devices import AudioDevice
from softphone.audio.events import AudioDevicesChanged
from softphone.audio.headset_audio import HeadsetAudioPolicy
from softphone.audio.selection import AudioRoute
from softphone.bus import EventBus
from softphone.domain.events import SettingsChanged
from softphone.domain.settings import Settings
from support.deferred import Deferred

SPEAKER = AudioDevice("speakers", "Built-in Speakers", "output", True)
MIC = AudioDevice("mic", "Built-in Mic", "input", True)
J_OUT = AudioDevice("jabra_out", "Jabra EVOLVE LINK", "output", False, 0x0B0E, 0x0307)
J_IN = AudioDevice("jabra_in", "Jabra EVOLVE LINK Mono", "input", False, 0x0B0E, 0x0307)
P_OUT = AudioDevice("poly_out", "Blackwire", "output", False, 0x047F, 0xC056, "P1")

# What the last run saved: calls on the Jabra, the built-in devices kept to go back to.
ON_HEADSET = Settings(
    audio_input="jabra_in",
    audio_output="jabra_out",
    audio_ringer="jabra_out",
    headset_calls="0b0e:0307",
    audio_before_headset=("mic", "speakers", None),
)


class Start:
    """A freshly started policy over saved settings; the sound devices come later."""

    def __init__(self, settings: Settings) -> None:
        self.bus = EventBus()
        self.settings = settings
        self.devices: tuple[AudioDevice, ...] = ()
        self.saved: list[Settings] = []
        self.later = Deferred()  # the policy applies off the device watcher's thread
        self.bus.subscribe(SettingsChanged, lambda e: self.saved.append(e.settings))
        HeadsetAudioPolicy(
            self.bus, lambda: self.settings, self._save, lambda: self.devices, later=self.later
        )

    def _save(self, settings: Settings) -> None:
        self.settings = settings

    def sound(self, *devices: AudioDevice) -> None:
        self.devices = devices
        self.bus.publish(AudioDevicesChanged(devices, AudioRoute(), ()))

    def route(self) -> tuple[str | None, str | None, str | None]:
        s = self.settings
        return (s.audio_input, s.audio_output, s.audio_ringer)


def test_headset_gone_at_start_restores_the_earlier_devices() -> None:
    start = Start(ON_HEADSET)
    start.sound()  # an empty list (sound system not listed yet): no decision
    assert start.later.run() == 0
    assert start.saved == []
    start.sound(SPEAKER, MIC)
    assert start.saved == []  # not on the device watcher's thread ...
    assert start.later.run() == 1  # ... but on the one the policy hands it to
    assert start.route() == ("mic", "speakers", None)
    assert start.settings.headset_calls is None
    assert start.settings.audio_before_headset is None
    assert len(start.saved) == 1  # published like the UI's changes


def test_headset_still_there_at_start_keeps_it() -> None:
    start = Start(ON_HEADSET)
    start.sound(SPEAKER, MIC, J_OUT, J_IN)
    assert start.later.run() == 0
    assert start.saved == []
    assert start.route() == ("jabra_in", "jabra_out", "jabra_out")


def test_only_the_first_list_decides_a_later_unplug_is_the_hid_unplug_path() -> None:
    start = Start(ON_HEADSET)
    start.sound(SPEAKER, MIC, J_OUT, J_IN)
    start.sound(SPEAKER, MIC)  # the sound card going while running: HeadsetsChanged handles it
    assert start.later.run() == 0
    assert start.saved == []


def test_a_serial_in_the_key_must_match_when_the_sound_card_has_one() -> None:
    poly = ON_HEADSET.with_changes(
        headset_calls="047f:c056:P2", audio_output="poly_out", audio_ringer="poly_out"
    )
    start = Start(poly)
    start.sound(SPEAKER, MIC, P_OUT)  # another Blackwire (serial P1): not the one used
    assert start.later.run() == 1
    assert start.route() == ("mic", "speakers", None)


def test_no_headset_in_the_settings_changes_nothing() -> None:
    start = Start(Settings(audio_output="speakers"))
    start.sound(SPEAKER, MIC)
    assert start.later.run() == 0
    assert start.saved == []
