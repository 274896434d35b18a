"""Re-provisioning: the document fetched again at start, every few hours and on Refresh."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import Event, ProvisioningStatusChanged
from softphone.provisioning.sign_in import Refreshed, SignIn

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 240  # when the document names no refresh_minutes
RETRY_MINUTES = 15  # after a failure: sooner than the period, never a tight loop
START_DELAY = 2.0  # seconds after start: the saved account's registration goes first


class ProvisioningRefresh:
    """One thread that calls SignIn.refresh on a schedule; the last outcome as a status.

    A failure keeps the last good copy in force (nothing is undone) and is published quietly
    as ProvisioningStatusChanged(error=...), which the UI shows discreetly.
    """

    def __init__(
        self,
        sign_in: SignIn,
        publish: Callable[[Event], None],
        *,
        start_delay: float | None = None,
    ) -> None:
        self._sign_in = sign_in
        self._publish = publish
        self._start_delay = START_DELAY if start_delay is None else start_delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status = ProvisioningStatusChanged(fetched_at=sign_in.state.fetched_at, error=None)

    @property
    def status(self) -> ProvisioningStatusChanged:
        with self._lock:
            return self._status

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="provisioning-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def refresh_now(self) -> Refreshed | None:
        """The user's Refresh: fetch at once; raises what the fetch raised (also published)."""
        outcome = self._attempt()
        if isinstance(outcome, SoftphoneError):
            raise outcome
        return outcome

    def _run(self) -> None:
        delay = self._start_delay
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            outcome = self._attempt()
            period = self._sign_in.state.refresh_minutes or DEFAULT_MINUTES
            if isinstance(outcome, SoftphoneError):
                period = min(period, RETRY_MINUTES)
            delay = period * 60.0

    def _attempt(self) -> Refreshed | SoftphoneError | None:
        try:
            outcome = self._sign_in.refresh()
        except SoftphoneError as exc:
            log.info("provisioning refresh failed (%s): the last good copy stays", exc.key.value)
            self._set(error=exc.key)
            return exc
        except Exception:  # a bug must not end the schedule: logged, reported, retried
            log.exception("provisioning refresh failed")
            self._set(error=ErrorKey.PROVISIONING_UNREACHABLE)
            return SoftphoneError(ErrorKey.PROVISIONING_UNREACHABLE)
        if outcome is not None:
            self._set(error=None)
        return outcome

    def _set(self, *, error: ErrorKey | None) -> None:
        fetched_at = self._sign_in.state.fetched_at
        with self._lock:
            self._status = ProvisioningStatusChanged(fetched_at=fetched_at, error=error)
            status = self._status
        self._publish(status)
