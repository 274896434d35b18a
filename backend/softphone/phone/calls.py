"""The live calls: engine reports become `Call` objects whose changes are published."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from softphone.bus import EventBus
from softphone.domain.calls import Call, CallSnapshot, CallState, EndReason
from softphone.domain.events import CallChanged, CallRemoved, EngineCallReported, EngineFailed


class CallRegistry:
    """Source of truth for the calls the UI shows; fed only by what the engine reports."""

    def __init__(
        self,
        bus: EventBus,
        clock: Callable[[], float] = time.time,
        resolve_name: Callable[[str], str | None] | None = None,
    ) -> None:
        self._bus = bus
        self._clock = clock
        # The directory name of a known number wins over the SIP display name: it is what
        # the user filed, and the call panel, notifications and history all read it here.
        self._resolve_name = resolve_name
        self._lock = threading.Lock()
        self._calls: dict[str, Call] = {}
        bus.subscribe(EngineCallReported, self._on_reported)
        bus.subscribe(EngineFailed, self._on_engine_failed)

    def snapshots(self) -> list[CallSnapshot]:
        with self._lock:
            return [call.snapshot for call in self._calls.values()]

    def get(self, call_id: str) -> CallSnapshot | None:
        with self._lock:
            call = self._calls.get(call_id)
            return call.snapshot if call else None

    def _display_name(self, report: EngineCallReported) -> str:
        if self._resolve_name is not None and report.number:
            name = self._resolve_name(report.number)
            if name:
                return name
        return report.display_name

    def _publish_change(self, snapshot: CallSnapshot, old: CallState | None) -> None:
        self._bus.publish(CallChanged(snapshot, old))

    def _on_reported(self, report: EngineCallReported) -> None:
        with self._lock:
            call = self._calls.get(report.call_id)
            if call is None:
                if report.state is CallState.ENDED and report.end_reason is None:
                    return
                now = self._clock()
                # A call first seen ended (refused before it could ring) is born ended:
                # set_state() would see no change and drop its end reason.
                born_ended = report.state is CallState.ENDED
                call = Call(
                    CallSnapshot(
                        id=report.call_id,
                        direction=report.direction,
                        state=report.state,
                        number=report.number,
                        display_name=self._display_name(report),
                        remote_uri=report.remote_uri,
                        created_at=now,
                        ended_at=now if born_ended else None,
                        end_reason=report.end_reason if born_ended else None,
                        sip_code=report.sip_code if born_ended else None,
                        transferred_by=report.transferred_by,
                        retry_after_s=report.retry_after_s if born_ended else None,
                        reason_text=report.reason_text if born_ended else "",
                    ),
                    self._publish_change,
                    self._clock,
                )
                self._calls[report.call_id] = call
                created = True
            else:
                created = False
        if created:
            self._publish_change(call.snapshot, None)
        call.update(muted=report.muted, conference=report.conference)
        call.set_state(
            report.state,
            end_reason=report.end_reason,
            sip_code=report.sip_code,
            retry_after_s=report.retry_after_s,
            reason_text=report.reason_text,
        )
        if report.state is CallState.ENDED:
            self._remove(report.call_id)

    def _on_engine_failed(self, event: EngineFailed) -> None:
        with self._lock:
            calls = list(self._calls.values())
        for call in calls:
            call.set_state(CallState.ENDED, end_reason=EndReason.ENGINE_FAILED)
            self._remove(call.id)

    def _remove(self, call_id: str) -> None:
        with self._lock:
            removed = self._calls.pop(call_id, None)
        if removed is not None:
            self._bus.publish(CallRemoved(call_id))
