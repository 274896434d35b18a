"""The tray's state: a call beats do-not-disturb beats registration; changes reported once."""

from __future__ import annotations

from typing import Any

from softphone.bus import EventBus
from softphone.desktop.tray_model import TrayModel, TrayState, TrayStatus, tray_status
from softphone.domain.account import Registration, RegistrationState
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.events import RegistrationChanged, SettingsChanged
from softphone.domain.history import MissedCountChanged
from softphone.domain.settings import Settings

REGISTERED = Registration(RegistrationState.REGISTERED)


def _call(state: CallState) -> CallSnapshot:
    return CallSnapshot("c1", CallDirection.INCOMING, state, "1002", "", "sip:1002@pbx", 0.0)


def test_status_precedence() -> None:
    assert tray_status(REGISTERED, [], dnd=False) is TrayStatus.REGISTERED
    assert tray_status(Registration(RegistrationState.FAILED), [], dnd=False) is TrayStatus.OFFLINE
    assert tray_status(REGISTERED, [], dnd=True) is TrayStatus.DND
    assert tray_status(REGISTERED, [_call(CallState.RINGING_IN)], dnd=True) is TrayStatus.IN_CALL
    assert tray_status(REGISTERED, [_call(CallState.ENDED)], dnd=False) is TrayStatus.REGISTERED


def test_tooltip_is_translated_with_the_missed_count() -> None:
    state = TrayState(TrayStatus.REGISTERED, dnd=False, missed=3, language="de")
    assert state.tooltip == "Softphone: Registriert\n3 verpasste Anrufe"
    assert state.label("tray_quit") == "Beenden"
    assert TrayState(TrayStatus.DND, True, 0, "fr").tooltip == "Softphone: Ne pas déranger"


def test_model_follows_the_bus_and_reports_only_changes() -> None:
    bus = EventBus()
    box: dict[str, Any] = {
        "reg": Registration(RegistrationState.REGISTERING),
        "settings": Settings(),
        "missed": 0,
    }
    model = TrayModel(
        bus,
        registration=lambda: box["reg"],
        calls=list,
        settings=lambda: box["settings"],
        missed=lambda: box["missed"],
    )
    seen: list[TrayState] = []
    first = model.start(seen.append)
    assert first.status is TrayStatus.OFFLINE
    box["reg"] = REGISTERED
    bus.publish(RegistrationChanged(REGISTERED))
    bus.publish(RegistrationChanged(REGISTERED))  # nothing new: not reported again
    box["settings"] = Settings(dnd=True, language="it")
    bus.publish(SettingsChanged(box["settings"]))
    box["missed"] = 2
    bus.publish(MissedCountChanged(2))
    assert [(s.status, s.missed, s.language) for s in seen] == [
        (TrayStatus.OFFLINE, 0, seen[0].language),
        (TrayStatus.REGISTERED, 0, seen[0].language),
        (TrayStatus.DND, 0, "it"),
        (TrayStatus.DND, 2, "it"),
    ]
    model.stop()
    bus.publish(MissedCountChanged(5))
    assert len(seen) == 4


def test_tooltip_keeps_dnd_visible_during_a_call() -> None:
    state = TrayState(TrayStatus.IN_CALL, True, 0, "fr")
    assert state.tooltip == "Softphone: En communication\nNe pas déranger"
    assert "Do not disturb" not in TrayState(TrayStatus.IN_CALL, False, 0, "en").tooltip
