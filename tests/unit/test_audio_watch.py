"""DeviceWatcher: the route follows plugged devices; the UI and the engine hear of changes only."""

from __future__ import annotations

from softphone.audio.devices import AudioDevice
from softphone.audio.events import AudioDevicesChanged
from softphone.audio.selection import AudioPreferences, AudioRoute, Fallback
from softphone.audio.watch import DeviceWatcher
from softphone.bus import EventBus

SPEAKER = AudioDevice("speaker", "Speaker", "output", True)
HEADSET = AudioDevice("usb", "USB Headset", "output")


def _watcher(
    present: list[AudioDevice], prefs: AudioPreferences
) -> tuple[DeviceWatcher, list[AudioDevicesChanged], list[AudioRoute]]:
    bus = EventBus()
    events: list[AudioDevicesChanged] = []
    routes: list[AudioRoute] = []
    bus.subscribe(AudioDevicesChanged, events.append)
    watcher = DeviceWatcher(
        bus, lambda: prefs, routes.append, list_devices=lambda: list(present), use_pulse=False
    )
    return watcher, events, routes


def test_unplug_and_replug_of_the_chosen_output() -> None:
    present = [SPEAKER, HEADSET]
    watcher, events, routes = _watcher(
        present, AudioPreferences(output="usb", names={"usb": "USB Headset"})
    )
    watcher.refresh(force_apply=True)
    assert routes == [AudioRoute(output="usb")]
    assert events[-1].fallbacks == ()

    present.remove(HEADSET)
    watcher.refresh()
    assert routes[-1] == AudioRoute(output=None)
    assert events[-1].fallbacks == (Fallback("output", "usb", "USB Headset"),)

    present.append(HEADSET)
    watcher.refresh()
    assert routes[-1] == AudioRoute(output="usb")
    assert events[-1].fallbacks == ()
    assert len(routes) == 3 and len(events) == 3


def test_nothing_is_sent_when_nothing_changed_unless_forced() -> None:
    present = [SPEAKER]
    watcher, events, routes = _watcher(present, AudioPreferences())
    watcher.refresh(force_apply=True)
    watcher.refresh()
    assert (len(events), len(routes)) == (1, 1)
    # Another device plugged in: the UI hears of it, the engine's route is the same.
    present.append(HEADSET)
    watcher.refresh()
    assert (len(events), len(routes)) == (2, 1)
    watcher.refresh(force_apply=True)  # settings changed (echo cancellation, say)
    assert (len(events), len(routes)) == (2, 2)


def test_poll_thread_starts_and_stops_quickly() -> None:
    watcher, _events, routes = _watcher([SPEAKER], AudioPreferences())
    watcher.start()
    watcher.stop()
    assert routes == [AudioRoute()]
