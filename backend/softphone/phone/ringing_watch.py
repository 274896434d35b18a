"""Incoming calls stop ringing when the PBX is unreachable: nobody is left to cancel them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from softphone.bus import EventBus
from softphone.domain import commands as cmd
from softphone.domain.account import RegistrationState
from softphone.domain.calls import CallDirection, CallSnapshot, CallState
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import RegistrationChanged
from softphone.engine.supervisor import EngineSupervisor

log = logging.getLogger(__name__)


class RingingWatch:
    """When the registration watch declares the PBX gone (its probes go unanswered, a TCP/TLS
    connection is refused), a ringing card's CANCEL can no longer reach us: the caller's
    PBX hung up long ago or cannot tell us. Without this the card rings until someone
    answers a call with nobody there."""

    def __init__(
        self,
        bus: EventBus,
        engine: EngineSupervisor,
        calls: Callable[[], list[CallSnapshot]],
    ) -> None:
        self._engine = engine
        self._calls = calls
        bus.subscribe(RegistrationChanged, self._on_registration)

    def _on_registration(self, event: RegistrationChanged) -> None:
        reg = event.registration
        if (
            reg.state is not RegistrationState.UNREGISTERED
            or reg.error is not ErrorKey.SERVER_UNREACHABLE
        ):
            return
        ringing = [
            c
            for c in self._calls()
            if c.direction is CallDirection.INCOMING and c.state is CallState.RINGING_IN
        ]
        if not ringing:
            return
        log.warning("PBX unreachable: ending %d ringing call(s) nobody can cancel", len(ringing))
        try:
            self._engine.send(cmd.EndRingingCalls())
        except SoftphoneError as exc:  # the engine is gone too: its calls ended with it
            log.info("ringing calls not ended: %s", exc)
