"""PBX-side call forwarding: dials the feature codes that make the PBX follow the settings.

In PBX mode `settings.forwarding` is what the PBX confirmed, not what was asked for: a rule
whose code is still to be dialled is stored as the PBX has it now, and changes only when the
PBX accepts the code (see domain/feature_code_outcome.py for what "accepts" means).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from softphone.bus import EventBus
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.feature_code_outcome import (
    FeatureCodeOutcome,
    FeatureCodePurpose,
    FeatureCodeReported,
)
from softphone.domain.feature_codes import FeatureCodes, ForwardingMode, expand
from softphone.domain.policy import Forwarding
from softphone.domain.settings import Settings
from softphone.phone.feature_code_calls import FeatureCodeCalls

log = logging.getLogger(__name__)

RULES = ("unconditional", "busy", "no_answer")


class Dialer(Protocol):
    def dial(self, number: str, call_id: str | None = None) -> str: ...


class SettingsWriter(Protocol):
    """The settings store (phone/ imports no storage)."""

    @property
    def settings(self) -> Settings: ...

    def update(self, **changes: Any) -> Settings: ...


@dataclass(frozen=True, slots=True)
class CodeJob:
    """One code to dial for one rule; `target` is the number it forwards to ("" = off)."""

    rule: str
    code: str
    target: str

    @property
    def purpose(self) -> FeatureCodePurpose:
        return (
            FeatureCodePurpose.FORWARDING_ON if self.target else FeatureCodePurpose.FORWARDING_OFF
        )


def pbx_rules(forwarding: Forwarding, codes: FeatureCodes) -> Forwarding:
    """What the PBX should forward: the settings in PBX mode, nothing in app mode."""
    return forwarding if codes.forwarding_mode is ForwardingMode.PBX else Forwarding()


def jobs_for_change(old: Forwarding, new: Forwarding, codes: FeatureCodes) -> list[CodeJob]:
    """Codes to dial so the PBX follows the change from `old` to `new`, in rule order."""
    out: list[CodeJob] = []
    for rule in RULES:
        before = getattr(old, f"{rule}_target")
        after = getattr(new, f"{rule}_target")
        if before == after:
            continue
        if after:
            out.append(CodeJob(rule, expand(getattr(codes, f"{rule}_on"), after), after))
        else:
            out.append(CodeJob(rule, getattr(codes, f"{rule}_off"), ""))
    return out


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="feature-code-dial", daemon=True).start()


class PbxForwarding:
    """Dials forwarding codes one at a time and stores a rule only once the PBX accepted it.

    `review()` runs inside `settings.update` before anything is stored; the codes start on
    the SettingsChanged that follows. Switching to app mode dials the "off" codes (the app
    forwards by itself at once; a refused "off" is reported: the PBX may still forward).
    The PBX is assumed to match the settings at start.
    """

    def __init__(
        self,
        phone: Dialer,
        bus: EventBus,
        store: SettingsWriter,
        calls: FeatureCodeCalls,
        run: Callable[[Callable[[], None]], None] = _in_thread,
    ) -> None:
        self._phone = phone
        self._run = run
        self._bus = bus
        self._store = store
        self._calls = calls
        self._lock = threading.Lock()
        self._jobs: deque[CodeJob] = deque()
        self._current: CodeJob | None = None
        self.dialled: list[str] = []  # for diagnostics and tests
        bus.subscribe(SettingsChanged, lambda _e: self._start_soon())

    def review(self, current: Settings, changes: dict[str, Any]) -> dict[str, Any]:
        """The settings changes to store now; the forwarding ones the PBX must accept first
        are held back and queued as codes. SoftphoneError if codes are still being dialled."""
        candidate = current.with_changes(**dict(changes))  # validates; raises on bad input
        old = pbx_rules(current.forwarding, current.feature_codes)
        new = pbx_rules(candidate.forwarding, candidate.feature_codes)
        jobs = jobs_for_change(old, new, candidate.feature_codes)
        with self._lock:
            if not jobs:
                return changes
            if self._current is not None or self._jobs:
                raise SoftphoneError(ErrorKey.FEATURE_CODE_PENDING)
            self._jobs.extend(jobs)
        if candidate.feature_codes.forwarding_mode is not ForwardingMode.PBX:
            return changes  # app mode: the app forwards itself from now on
        stored = candidate.forwarding
        for job in jobs:
            # Until the PBX accepts: the rule as the PBX has it (its typed target is kept).
            was = getattr(old, f"{job.rule}_target")
            stored = replace(
                stored,
                **{job.rule: bool(was), f"{job.rule}_to": was or getattr(stored, f"{job.rule}_to")},
            )
        return {**changes, "forwarding": asdict(stored)}

    def _start_soon(self) -> None:
        # Never dial on the publishing thread: it may be the engine's event reader, and
        # dial() waits for that reader to deliver the engine's reply.
        with self._lock:
            if self._current is not None or not self._jobs:
                return
            self._current = self._jobs.popleft()
        self._run(self._dial_current)

    def _dial_current(self) -> None:
        job = self._current
        assert job is not None
        call_id = uuid.uuid4().hex
        self._calls.watch(call_id, job.code, job.purpose, job.rule, self._on_done)
        try:
            self._phone.dial(job.code, call_id=call_id)
        except SoftphoneError as exc:
            log.warning("forwarding feature code not dialled: %s", exc.key.value)
            with self._lock:
                dropped = list(self._jobs)
                self._jobs.clear()  # not registered / call limit: the others would fail too
            self._calls.not_dialled(call_id, exc.key)
            for other in dropped:
                self._bus.publish(
                    FeatureCodeReported(
                        call_id="", code=other.code, purpose=other.purpose, rule=other.rule,
                        outcome=FeatureCodeOutcome.NOT_DIALLED, error=exc.key,
                    )
                )  # fmt: skip
            return
        self.dialled.append(job.code)

    def _on_done(self, report: FeatureCodeReported) -> None:
        with self._lock:
            job, self._current = self._current, None
        if job is not None and report.outcome is FeatureCodeOutcome.ACCEPTED:
            self._store_rule(job)
        self._start_soon()

    def _store_rule(self, job: CodeJob) -> None:
        """The PBX accepted `job`: the rule is now what the settings say (PBX mode only)."""
        current = self._store.settings
        if current.feature_codes.forwarding_mode is not ForwardingMode.PBX:
            return  # an "off" code of a switch to app mode: the app's rules stay as they are
        change: dict[str, Any] = {job.rule: bool(job.target)}
        if job.target:
            change[f"{job.rule}_to"] = job.target
        updated = self._store.update(forwarding=change)
        self._bus.publish(SettingsChanged(updated))
