"""Audio device choice: found by id or name, fallback to the system default, ring modes."""

from __future__ import annotations

import time

from softphone.audio.devices import AudioDevice
from softphone.audio.ringer import RingMode, ring_gain, ring_mode
from softphone.audio.selection import AudioPreferences, AudioRoute, Fallback, resolve
from softphone.domain.calls import CallDirection, CallSnapshot, CallState

SPEAKER = AudioDevice("alsa_output.pci.analog", "Built-in Speakers", "output", True)
MIC = AudioDevice("alsa_input.pci.analog", "Built-in Microphone", "input", True)
HEADSET_OUT = AudioDevice("alsa_output.usb-Jabra-1.analog", "Jabra Evolve2 65", "output")
HEADSET_IN = AudioDevice("alsa_input.usb-Jabra-1.mono", "Jabra Evolve2 65", "input")
PLUGGED = [SPEAKER, MIC, HEADSET_OUT, HEADSET_IN]
HEADSET_PREFS = AudioPreferences(
    input=HEADSET_IN.id,
    output=HEADSET_OUT.id,
    ringer=SPEAKER.id,
    names={
        HEADSET_IN.id: HEADSET_IN.name,
        HEADSET_OUT.id: HEADSET_OUT.name,
        SPEAKER.id: SPEAKER.name,
    },
)


def test_no_choice_is_the_system_default_everywhere() -> None:
    result = resolve(AudioPreferences(), PLUGGED)
    assert result.route == AudioRoute(None, None, None)
    assert result.fallbacks == ()


def test_chosen_devices_present_are_used_by_id() -> None:
    result = resolve(HEADSET_PREFS, PLUGGED)
    assert result.route == AudioRoute(HEADSET_IN.id, HEADSET_OUT.id, SPEAKER.id)
    assert result.fallbacks == ()


def test_unplugged_headset_falls_back_to_the_default_and_says_which() -> None:
    result = resolve(HEADSET_PREFS, [SPEAKER, MIC])
    assert result.route == AudioRoute(None, None, SPEAKER.id)
    assert result.fallbacks == (
        Fallback("input", HEADSET_IN.id, "Jabra Evolve2 65"),
        Fallback("output", HEADSET_OUT.id, "Jabra Evolve2 65"),
    )


def test_replugged_into_another_port_is_found_by_its_name() -> None:
    moved = AudioDevice("alsa_output.usb-Jabra-2.analog", "Jabra Evolve2 65", "output")
    result = resolve(HEADSET_PREFS, [SPEAKER, MIC, moved, HEADSET_IN])
    assert result.route.output == moved.id
    assert result.fallbacks == ()


def test_two_devices_with_the_same_name_are_not_guessed() -> None:
    twin_a = AudioDevice("usb-a", "Jabra Evolve2 65", "output")
    twin_b = AudioDevice("usb-b", "Jabra Evolve2 65", "output")
    result = resolve(HEADSET_PREFS, [SPEAKER, MIC, HEADSET_IN, twin_a, twin_b])
    assert result.route.output is None
    assert [f.role for f in result.fallbacks] == ["output"]


def test_an_input_never_matches_an_output_of_the_same_id() -> None:
    prefs = AudioPreferences(input="dev", names={"dev": "Dock"})
    result = resolve(prefs, [AudioDevice("dev", "Dock", "output")])
    assert result.route.input is None
    assert result.fallbacks == (Fallback("input", "dev", "Dock"),)


def test_missing_device_without_a_known_name_is_named_by_its_id() -> None:
    result = resolve(AudioPreferences(ringer="gone"), [SPEAKER])
    assert result.fallbacks == (Fallback("ringer", "gone", "gone"),)


def _call(state: CallState, direction: CallDirection = CallDirection.INCOMING) -> CallSnapshot:
    return CallSnapshot("c", direction, state, "1002", "", "sip:1002@pbx", time.time())


def test_ring_mode_rings_only_for_an_incoming_call_ringing() -> None:
    assert ring_mode([]) is None
    assert ring_mode([_call(CallState.CONNECTED)]) is None
    assert ring_mode([_call(CallState.RINGING_OUT, CallDirection.OUTGOING)]) is None
    assert ring_mode([_call(CallState.RINGING_IN)]) is RingMode.RING


def test_a_call_talking_turns_ringing_into_the_call_waiting_tone() -> None:
    for talking in (CallState.CONNECTED, CallState.CONNECTING, CallState.DIALING):
        assert ring_mode([_call(talking), _call(CallState.RINGING_IN)]) is RingMode.WAITING
    # Only held calls: nobody is listening to a call, so the ringer rings.
    assert ring_mode([_call(CallState.HELD), _call(CallState.RINGING_IN)]) is RingMode.RING
    assert ring_mode([_call(CallState.ENDED), _call(CallState.RINGING_IN)]) is RingMode.RING


def test_ring_volume_curve() -> None:
    assert ring_gain(0) == 0.0
    assert ring_gain(100) == 1.0
    assert 0.6 < ring_gain(80) < 0.7
    assert ring_gain(150) == 1.0 and ring_gain(-5) == 0.0
