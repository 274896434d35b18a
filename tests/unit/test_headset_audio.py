"""Pairing a HID headset with its sound card, and the plug/unplug policy for call audio."""

from __future__ import annotations

from dataclasses import replace

import pytest

from softphone.audio.devices import AudioDevice, usb_identity
from softphone.audio.events import AudioDevicesChanged, HeadsetAudioOffered
from softphone.audio.headset_audio import HeadsetAudioPolicy, match_audio, restored, switched
from softphone.audio.selection import AudioRoute
from softphone.bus import EventBus
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.headset import DetectedHeadset, HeadsetsChanged
from softphone.domain.settings import Settings
from support.deferred import Deferred

JABRA = DetectedHeadset("Jabra EVOLVE LINK", 0x0B0E, 0x0307, True)
POLY = DetectedHeadset("Poly Blackwire", 0x047F, 0xC056, True)
SPEAKER = AudioDevice("speakers", "Built-in Speakers", "output", True)
MIC = AudioDevice("mic", "Built-in Mic", "input", True)
J_OUT = AudioDevice("jabra_out", "Jabra EVOLVE LINK", "output", False, 0x0B0E, 0x0307)
J_IN = AudioDevice("jabra_in", "Jabra EVOLVE LINK Mono", "input", False, 0x0B0E, 0x0307)
P_OUT = AudioDevice("poly_out", "Blackwire", "output", False, 0x047F, 0xC056, "P1")
P_IN = AudioDevice("poly_in", "Blackwire Mic", "input", False, 0x047F, 0xC056, "P1")


def test_usb_identity_reads_pulseaudio_properties() -> None:
    props = {"device.bus": "usb", "device.vendor.id": "0b0e", "device.product.id": "0307"}
    assert usb_identity(props) == (0x0B0E, 0x0307, None)
    assert usb_identity({**props, "device.serial": "Jabra_123"}) == (0x0B0E, 0x0307, "Jabra_123")
    assert usb_identity({**props, "device.bus": "pci"}) == (None, None, None)
    assert usb_identity({**props, "device.vendor.id": "zz"}) == (None, None, None)
    assert usb_identity({}) == (None, None, None)


def test_match_by_vendor_and_product() -> None:
    audio = match_audio(JABRA, [SPEAKER, MIC, P_OUT, J_IN, J_OUT])
    assert audio is not None
    assert (audio.input, audio.output) == (J_IN, J_OUT)
    assert match_audio(JABRA, [SPEAKER, MIC, P_OUT]) is None


def test_match_needs_an_output_but_not_an_input() -> None:
    assert match_audio(JABRA, [J_IN]) is None
    audio = match_audio(JABRA, [J_OUT])
    assert audio is not None and audio.input is None


def test_serial_decides_only_when_both_sides_have_one() -> None:
    other = replace(P_OUT, id="poly2_out", serial="P2")
    assert match_audio(replace(POLY, serial="P2"), [P_OUT, other]) == match_audio(POLY, [other])
    assert match_audio(replace(POLY, serial="P3"), [P_OUT, other]) is None
    # Jabra's sound card reports no serial: the HID serial cannot rule it out.
    assert match_audio(replace(JABRA, serial="J1"), [J_OUT]) is not None


def test_switch_keeps_the_previous_choice_and_restore_returns_to_it() -> None:
    start = Settings(audio_input="mic", audio_output="speakers", audio_ringer=None)
    audio = match_audio(JABRA, [J_OUT, J_IN])
    assert audio is not None
    on = switched(start, JABRA, audio)
    assert (on.audio_input, on.audio_output, on.audio_ringer) == (
        "jabra_in",
        "jabra_out",
        "jabra_out",
    )
    assert on.headset_calls == JABRA.key == "0b0e:0307"
    assert on.audio_before_headset == ("mic", "speakers", None)
    # A second headset taking over keeps the first "before", not the first headset.
    poly = match_audio(POLY, [P_OUT, P_IN])
    assert poly is not None
    again = switched(on, POLY, poly)
    assert again.audio_before_headset == ("mic", "speakers", None)
    back = restored(again)
    assert (back.audio_input, back.audio_output, back.audio_ringer) == ("mic", "speakers", None)
    assert back.headset_calls is None and back.audio_before_headset is None


class Lab:
    def __init__(self, mode: str, **settings: object) -> None:
        self.bus = EventBus()
        self.settings = Settings(headset_audio=mode).with_changes(**settings)
        self.devices: tuple[AudioDevice, ...] = (SPEAKER, MIC)
        self.offers: list[HeadsetAudioOffered] = []
        self.saved: list[Settings] = []
        self.bus.subscribe(HeadsetAudioOffered, self.offers.append)
        self.bus.subscribe(SettingsChanged, lambda e: self.saved.append(e.settings))
        self.later = Deferred()  # what the policy applies off the device watcher's thread
        self.policy = HeadsetAudioPolicy(
            self.bus, lambda: self.settings, self._save, lambda: self.devices, later=self.later
        )

    def _save(self, settings: Settings) -> None:
        self.settings = settings

    def headsets(self, *found: DetectedHeadset) -> None:
        self.bus.publish(HeadsetsChanged(found))

    def sound(self, *devices: AudioDevice) -> None:
        self.devices = (SPEAKER, MIC, *devices)
        self.bus.publish(AudioDevicesChanged(self.devices, AudioRoute(), ()))

    def route(self) -> tuple[str | None, str | None, str | None]:
        s = self.settings
        return (s.audio_input, s.audio_output, s.audio_ringer)


def test_always_switches_when_hid_and_sound_card_have_both_arrived() -> None:
    lab = Lab("always", audio_output="speakers")
    lab.headsets(JABRA)  # HID first: its sound card is not listed yet
    assert lab.saved == []
    lab.sound(J_OUT, J_IN)
    # Applied from another thread: the device event comes from inside the watcher's refresh.
    assert lab.saved == []
    assert lab.later.run() == 1
    assert lab.route() == ("jabra_in", "jabra_out", "jabra_out")
    assert len(lab.saved) == 1
    lab.sound(J_OUT, J_IN)  # later device events change nothing more
    assert lab.later.run() == 0
    assert len(lab.saved) == 1
    lab.sound()
    lab.headsets()  # unplugged: back to what was chosen before
    assert lab.route() == (None, "speakers", None)
    assert lab.offers == []


def test_always_also_works_when_the_sound_card_comes_first() -> None:
    lab = Lab("always")
    lab.sound(J_OUT, J_IN)
    assert lab.saved == []
    lab.headsets(JABRA)
    assert lab.route() == ("jabra_in", "jabra_out", "jabra_out")


def test_ask_offers_and_accepting_switches() -> None:
    lab = Lab("ask")
    lab.sound(J_OUT, J_IN)
    lab.headsets(JABRA)
    assert lab.offers == [HeadsetAudioOffered(JABRA.key, JABRA.name)]
    assert lab.saved == [] and lab.policy.offered == JABRA
    lab.policy.use(JABRA.key)
    assert lab.route() == ("jabra_in", "jabra_out", "jabra_out")
    assert lab.offers[-1] == HeadsetAudioOffered(None) and lab.policy.offered is None


def test_not_now_withdraws_without_changes_and_unplug_withdraws_too() -> None:
    lab = Lab("ask")
    lab.sound(J_OUT)
    lab.headsets(JABRA)
    lab.policy.decline(JABRA.key)
    assert lab.offers[-1] == HeadsetAudioOffered(None) and lab.saved == []
    lab.headsets(JABRA)  # still plugged: no second offer
    assert len(lab.offers) == 2
    lab.headsets()
    lab.headsets(JABRA)  # plugged again: offered again
    assert lab.offers[-1] == HeadsetAudioOffered(JABRA.key, JABRA.name)
    lab.headsets()
    assert lab.offers[-1] == HeadsetAudioOffered(None)
    assert lab.saved == []


def test_never_and_already_in_use_do_nothing() -> None:
    lab = Lab("never")
    lab.sound(J_OUT, J_IN)
    lab.headsets(JABRA)
    assert lab.saved == [] and lab.offers == []
    used = Lab("ask", audio_input="jabra_in", audio_output="jabra_out")
    used.sound(J_OUT, J_IN)
    used.headsets(JABRA)
    assert used.offers == []


def test_gaming_headsets_without_telephony_are_not_offered() -> None:
    lab = Lab("always")
    lab.sound(J_OUT, J_IN)
    lab.headsets(replace(JABRA, telephony=False))
    assert lab.saved == []


def test_with_two_headsets_the_user_picks_one() -> None:
    lab = Lab("ask")
    lab.sound(J_OUT, J_IN, P_OUT, P_IN)
    lab.headsets(JABRA, replace(POLY, serial="P1"))
    assert set(lab.policy.candidates()) == {JABRA.key, "047f:c056:P1"}
    lab.policy.use("047f:c056:P1")
    assert lab.route() == ("poly_in", "poly_out", "poly_out")
    lab.policy.use(JABRA.key)
    assert lab.route() == ("jabra_in", "jabra_out", "jabra_out")
    assert lab.settings.audio_before_headset == (None, None, None)
    lab.headsets(JABRA)  # the Poly leaves: the Jabra keeps the calls
    assert lab.route() == ("jabra_in", "jabra_out", "jabra_out")
    with pytest.raises(SoftphoneError):
        lab.policy.use("047f:c056:P1")


def test_settings_round_trip_and_reject_bad_values() -> None:
    from softphone.settings.schema import from_json, to_json

    s = Settings(
        headset_audio="always", headset_calls="0b0e:0307", audio_before_headset=("a", None, "b")
    )
    import json

    assert from_json(json.loads(json.dumps(to_json(s)))) == s
    with pytest.raises(SoftphoneError):
        Settings(headset_audio="sometimes")
