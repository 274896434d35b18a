"""Telephony headset state machine: call state -> output reports, input reports -> commands."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from softphone.domain.calls import CallSnapshot, CallState
from softphone.headset.descriptor import Control, Field, Indicator, TelephonyProfile
from softphone.headset.quirks import Timing

_OFF_HOOK_STATES = frozenset(
    {
        CallState.DIALING,
        CallState.RINGING_OUT,
        CallState.CONNECTING,
        CallState.CONNECTED,
        CallState.HELD,
    }
)
# Which call the hook and mute buttons act on, most "current" first.
_CURRENT_ORDER = (
    CallState.CONNECTED,
    CallState.CONNECTING,
    CallState.RINGING_OUT,
    CallState.DIALING,
    CallState.HELD,
)


class Action(StrEnum):
    ANSWER = "answer"
    REJECT = "reject"
    HANGUP = "hangup"
    HOLD = "hold"
    RESUME = "resume"
    MUTE = "mute"
    UNMUTE = "unmute"
    REDIAL = "redial"  # no call_id: dial the last number called out (idle only)


@dataclass(frozen=True, slots=True)
class HeadsetCommand:
    """What a press asks of the phone (the same API the UI uses)."""

    action: Action
    call_id: str


@dataclass(frozen=True, slots=True)
class Indicators:
    off_hook: bool = False
    ring: bool = False
    mute: bool = False
    hold: bool = False
    # The device reports Line Busy (Jabra/Yealink: its line is taken by another of its
    # connections, a mobile or desk phone): its own ringer must not sound over that call.
    busy_elsewhere: bool = False

    def value(self, indicator: Indicator) -> bool:
        match indicator:
            case Indicator.OFF_HOOK:
                return self.off_hook
            case Indicator.RING:
                return self.ring
            case Indicator.MUTE | Indicator.MICROPHONE:
                return self.mute
            case Indicator.HOLD:
                return self.hold
            case Indicator.RINGER:  # the audible ringer only while no call is up
                return self.ring and not self.off_hook and not self.busy_elsewhere
        return False


def current_call(calls: Iterable[CallSnapshot]) -> CallSnapshot | None:
    by_state: dict[CallState, CallSnapshot] = {}
    for c in calls:
        by_state.setdefault(c.state, c)
    return next((by_state[s] for s in _CURRENT_ORDER if s in by_state), None)


def indicators_for(calls: Iterable[CallSnapshot]) -> Indicators:
    """The LEDs for the app's real call state (Off-Hook stays on during hold)."""
    calls = list(calls)
    states = {c.state for c in calls}
    current = current_call(calls)
    talking = bool(states & {CallState.CONNECTED, CallState.CONNECTING})
    return Indicators(
        off_hook=bool(states & _OFF_HOOK_STATES),
        ring=CallState.RINGING_IN in states,
        mute=current is not None and current.muted,
        hold=CallState.HELD in states and not talking,
    )


def _get_bits(data: bytes, f: Field) -> int:
    value = int.from_bytes(data, "little") >> f.bit_offset
    return value & ((1 << f.bit_size) - 1)


def _is_level(f: Field) -> bool:
    """Absolute with no preferred state: a latching switch. Everything else is a button."""
    return not f.relative and not f.preferred_state


class TelephonyHeadset:
    """One telephony headset. Thread-safe: call updates and reports may come from any thread.

    The host owns the call state (the device cannot be read back); the device only sends
    requests. Requests that merely confirm what we pushed (echoes, acknowledgements,
    duplicates) are ignored.
    """

    def __init__(
        self,
        profile: TelephonyProfile,
        write: Callable[[bytes], None],
        timing: Timing,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._profile = profile
        self._write = write
        self._timing = timing
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: list[CallSnapshot] = []
        self._shown = Indicators()
        self._written: dict[int, bytes] = {}
        self._changed_at: dict[str, float] = {}  # "off_hook"/"mute" -> when we last changed it
        self._last_press: dict[Control, float] = {}
        self._last_values: dict[Control, int] = {}
        self._pending: dict[Action, float] = {}
        self._busy_elsewhere = False

    @property
    def indicators(self) -> Indicators:
        return self._shown

    # --- app -> device -------------------------------------------------------------------

    def show(self, calls: list[CallSnapshot], *, force: bool = False) -> None:
        """Push the LEDs for these calls; only reports whose bytes change are written."""
        with self._lock:
            self._calls = [c for c in calls if c.state is not CallState.ENDED]
            wanted = replace(indicators_for(self._calls), busy_elsewhere=self._busy_elsewhere)
            now = self._clock()
            if wanted.off_hook != self._shown.off_hook:
                self._changed_at["off_hook"] = now
            if wanted.mute != self._shown.mute:
                self._changed_at["mute"] = now
            if wanted != self._shown:
                self._pending.clear()  # the requests made so far were answered
            self._shown = wanted
            self._push(force)

    def _push(self, force: bool) -> None:
        for report in self.encode(self._shown, force=force):
            self._write(report)

    def encode(self, shown: Indicators, *, force: bool = False) -> list[bytes]:
        """Whole output reports (every bit), id byte first; only changed ones unless force."""
        out: list[bytes] = []
        for report_id, size in sorted(self._profile.output_report_bytes.items()):
            bits = 0
            for indicator, f in self._profile.indicators.items():
                if f.report_id == report_id and shown.value(indicator):
                    bits |= 1 << f.bit_offset
            report = bytes([report_id]) + bits.to_bytes(size, "little")
            if force or self._written.get(report_id) != report:
                self._written[report_id] = report
                out.append(report)
        return out

    # --- device -> app -------------------------------------------------------------------

    def handle_report(self, report: bytes) -> list[HeadsetCommand]:
        """Decode one input report; returns the phone commands it asks for (maybe none)."""
        if not report:
            return []
        report_id, data = (report[0], report[1:]) if self._profile.uses_report_ids else (0, report)
        controls = {c: f for c, f in self._profile.controls.items() if f.report_id == report_id}
        if not controls:
            return []
        with self._lock:
            now = self._clock()
            commands: list[HeadsetCommand] = []
            for control, f in controls.items():
                value = _get_bits(data, f)
                previous = self._last_values.get(control, 0)
                self._last_values[control] = value
                if _is_level(f):
                    # Only a change is a request: a level repeated in a report sent for
                    # another button (mute, say) must not act again.
                    if value != previous:
                        commands += self._on_level(control, bool(value), now)
                elif value and not previous and not self._duplicate(control, now):
                    commands += self._on_press(control, now)
            return commands

    def _duplicate(self, control: Control, now: float) -> bool:
        """A second press of the same button this soon is the first one reported again.

        Devices repeat a press (press, release, press, release) up to ~2.5 s later; a user
        pressing twice that fast loses the second press, which beats undoing the first.
        """
        last = self._last_press.get(control)
        self._last_press[control] = now if last is None or now - last >= self._window() else last
        return last is not None and now - last < self._window()

    def _window(self) -> float:
        return self._timing.duplicate_window_s

    def _recent(self, what: str, now: float, window: float) -> bool:
        at = self._changed_at.get(what)
        return at is not None and now - at < window

    def _pending_fresh(self, action: Action, now: float) -> bool:
        at = self._pending.get(action)
        return at is not None and now - at < self._timing.duplicate_window_s

    def _request(
        self, action: Action, call: CallSnapshot | None, now: float
    ) -> list[HeadsetCommand]:
        if call is None or self._pending_fresh(action, now):
            return []
        self._pending[action] = now
        return [HeadsetCommand(action, call.id)]

    def _on_level(self, control: Control, value: bool, now: float) -> list[HeadsetCommand]:
        if control is Control.LINE_BUSY:
            self._line_busy(value)
            return []  # a state of the device, never a request to the phone
        if control is not Control.HOOK or value == self._shown.off_hook:
            return []  # matches what we show: an acknowledgement or a duplicate
        if self._recent("off_hook", now, self._timing.echo_window_s):
            return []  # a stale report from before our last Off-Hook change
        return self._hook_request(value, now)

    def _on_press(self, control: Control, now: float) -> list[HeadsetCommand]:
        match control:
            case Control.HOOK:  # a momentary hook button toggles
                if self._recent("off_hook", now, self._timing.echo_window_s):
                    return []
                return self._hook_request(not self._shown.off_hook, now)
            case Control.MUTE:
                if self._recent("mute", now, self._timing.echo_window_s):
                    return []  # the device acknowledging the Mute LED we just set
                call = current_call(self._calls)
                if call is None:
                    return []
                return self._request(Action.UNMUTE if call.muted else Action.MUTE, call, now)
            case Control.FLASH:
                return self._flash(now)
            case Control.REJECT:
                return self._request(Action.REJECT, self._ringing(), now)
            case Control.REDIAL:
                # Like a desk phone: Redial dials when the line is idle. During a call or
                # while one rings it would start a second call nobody expects: ignored.
                if self._calls or self._pending_fresh(Action.REDIAL, now):
                    return []
                self._pending[Action.REDIAL] = now
                return [HeadsetCommand(Action.REDIAL, "")]
        return []

    def _line_busy(self, busy: bool) -> None:
        """Line Busy changed: only the Telephony Ringer bit depends on it (whole reports)."""
        self._busy_elsewhere = busy
        self._shown = replace(self._shown, busy_elsewhere=busy)
        self._push(False)

    def _ringing(self) -> CallSnapshot | None:
        return next((c for c in self._calls if c.state is CallState.RINGING_IN), None)

    def _hook_request(self, off_hook: bool, now: float) -> list[HeadsetCommand]:
        if off_hook:
            return self._request(Action.ANSWER, self._ringing(), now)
        return self._request(Action.HANGUP, current_call(self._calls), now)

    def _flash(self, now: float) -> list[HeadsetCommand]:
        """Flash: answer a waiting call (holding ours), else swap, else hold/resume."""
        ringing, current = self._ringing(), current_call(self._calls)
        if ringing is not None and current is not None:
            return self._request(Action.ANSWER, ringing, now)
        held = next((c for c in self._calls if c.state is CallState.HELD), None)
        if current is not None and current.state is CallState.CONNECTED:
            if held is not None:
                return self._request(Action.RESUME, held, now)  # resume holds the other
            return self._request(Action.HOLD, current, now)
        return self._request(Action.RESUME, held, now)
