"""PBX-side call forwarding: dials the feature codes that make the PBX follow the settings."""

from __future__ import annotations

import logging
from typing import Protocol

from softphone.bus import EventBus
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import SettingsChanged
from softphone.domain.feature_codes import FeatureCodes, ForwardingMode, codes_for_change
from softphone.domain.policy import Forwarding

log = logging.getLogger(__name__)


class Dialer(Protocol):
    def dial(self, number: str) -> str: ...


def pbx_rules(forwarding: Forwarding, codes: FeatureCodes) -> Forwarding:
    """What the PBX should forward: the settings in PBX mode, nothing in app mode."""
    return forwarding if codes.forwarding_mode is ForwardingMode.PBX else Forwarding()


class PbxForwarding:
    """On each settings change, dials the codes for the forwarding rules that changed.

    Switching to PBX mode dials the "on" codes of the active rules; back to app mode, their
    "off" codes (the app then forwards by itself). The PBX is assumed to match the settings
    at start. A code that cannot be dialled (not registered, call limit) is logged and the
    remembered state kept, so the next change dials it again.
    """

    def __init__(self, phone: Dialer, bus: EventBus, forwarding: Forwarding, codes: FeatureCodes):
        self._phone = phone
        self._told = pbx_rules(forwarding, codes)  # what the PBX was last told
        self.dialled: list[str] = []  # for diagnostics and tests
        bus.subscribe(SettingsChanged, self._on_settings)

    def _on_settings(self, event: SettingsChanged) -> None:
        settings = event.settings
        wanted = pbx_rules(settings.forwarding, settings.feature_codes)
        codes = codes_for_change(self._told, wanted, settings.feature_codes)
        for code in codes:
            try:
                self._phone.dial(code)
            except SoftphoneError as exc:
                log.warning("forwarding feature code not dialled: %s", exc.key.value)
                return
            self.dialled.append(code)
        self._told = wanted
