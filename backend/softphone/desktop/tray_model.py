"""What the tray icon shows: registration, do-not-disturb, in-call and missed calls (no Qt)."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass

from softphone.bus import EventBus
from softphone.domain.account import Registration, RegistrationState
from softphone.domain.calls import CallSnapshot, CallState
from softphone.domain.events import (
    CallChanged,
    CallRemoved,
    RegistrationChanged,
    SettingsChanged,
    SnapshotInvalidated,
)
from softphone.domain.history import MissedCountChanged
from softphone.domain.settings import Settings
from softphone.domain.voicemail import VoicemailChanged
from softphone.i18n import language_for, text


class TrayStatus(enum.StrEnum):
    """In order of precedence: a call matters more than DND, DND more than registration."""

    IN_CALL = "in_call"
    DND = "dnd"
    REGISTERED = "registered"
    OFFLINE = "offline"  # not registered (yet), failed, or no account


@dataclass(frozen=True, slots=True)
class TrayState:
    status: TrayStatus
    dnd: bool
    missed: int
    language: str
    voicemail: int = 0  # new voice messages (the PBX's message summary)

    @property
    def tooltip(self) -> str:
        lines = [f"{text('app_name', self.language)}: {text(f'tray_{self.status}', self.language)}"]
        if self.dnd and self.status is not TrayStatus.DND:
            # A call outranks DND in the status line: DND must not vanish from view meanwhile.
            lines.append(text("tray_dnd", self.language))
        if self.missed:
            lines.append(text("tray_missed", self.language).format(count=self.missed))
        if self.voicemail:
            lines.append(text("tray_voicemail", self.language).format(count=self.voicemail))
        return "\n".join(lines)

    def label(self, key: str) -> str:
        return text(key, self.language)


def tray_status(registration: Registration, calls: list[CallSnapshot], dnd: bool) -> TrayStatus:
    if any(c.state is not CallState.ENDED for c in calls):
        return TrayStatus.IN_CALL
    if dnd:
        return TrayStatus.DND
    if registration.state is RegistrationState.REGISTERED:
        return TrayStatus.REGISTERED
    return TrayStatus.OFFLINE


class TrayModel:
    """Recomputes the tray's state on every relevant bus event; `on_change` only on change."""

    def __init__(
        self,
        bus: EventBus,
        *,
        registration: Callable[[], Registration],
        calls: Callable[[], list[CallSnapshot]],
        settings: Callable[[], Settings],
        missed: Callable[[], int],
        voicemail: Callable[[], int] = lambda: 0,
    ) -> None:
        self._bus = bus
        self._registration = registration
        self._calls = calls
        self._settings = settings
        self._missed = missed
        self._voicemail = voicemail
        self._lock = threading.Lock()
        self._state: TrayState | None = None
        self._listeners: list[Callable[[TrayState], None]] = []
        self._unsubscribe: list[Callable[[], None]] = []

    def start(self, on_change: Callable[[TrayState], None]) -> TrayState:
        self._listeners.append(on_change)
        self._unsubscribe = [
            self._bus.subscribe(kind, self._on_event)
            for kind in (
                RegistrationChanged,
                CallChanged,
                CallRemoved,
                SettingsChanged,
                SnapshotInvalidated,
                MissedCountChanged,
                VoicemailChanged,
            )
        ]
        return self.refresh()

    def _on_event(self, _event: object) -> None:
        self.refresh()

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._listeners = []

    @property
    def state(self) -> TrayState:
        return self._state or self.refresh()

    def refresh(self) -> TrayState:
        prefs = self._settings()
        state = TrayState(
            status=tray_status(self._registration(), self._calls(), prefs.dnd),
            dnd=prefs.dnd,
            missed=self._missed(),
            voicemail=self._voicemail(),
            language=language_for(prefs.language),
        )
        with self._lock:
            changed = state != self._state
            self._state = state
        if changed:
            for listener in list(self._listeners):
                listener(state)
        return state
