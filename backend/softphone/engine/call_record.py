"""What the engine keeps per call, and how a call is reported to the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from softphone.domain.calls import CallDirection, CallState, EndReason
from softphone.domain.events import EngineCallReported
from softphone.domain.identity import number_from_uri
from softphone.engine.media import CallMedia
from softphone.engine.pj_adapters import PjCall


@dataclass(slots=True)
class CallRecord:
    call: PjCall
    direction: CallDirection
    number: str
    display_name: str
    remote_uri: str
    media: CallMedia = field(default_factory=CallMedia)
    was_connected: bool = False
    # 2xx sent or received (CONNECTING): a BYE before the ACK ends an answered call, not a
    # missed one
    answered: bool = False
    # incoming, not shown yet: reported ringing on the next loop turn, once pjsua has sent its
    # first answer (it may still refuse the INVITE itself, e.g. 422, after onIncomingCall)
    ring_pending: bool = False
    redirects: int = 0  # 3xx targets followed (outgoing)
    redirect_refused: int = 0  # the 3xx code whose target the dialling rule refused (0: none)
    local_action: EndReason | None = None
    # Set once the bridge accepted the change. Not read back from the bridge: pjmedia 2.15
    # applies connect/disconnect on its next clock tick, so a read right after is stale.
    muted: bool = False
    hold_wanted: bool = False
    held: bool = False  # what the stack reports (media status LOCAL_HOLD)
    conference: bool = False
    transferring: bool = False
    transfer_partner: str | None = None  # attended transfer: the call our peer replaces
    being_replaced: bool = False  # the partner: its peer's BYE is the transfer's end
    forward_at: float = 0.0  # no-answer forwarding: monotonic deadline (0: none)
    forward_to: str = ""
    dtmf_queue: str = ""  # SIP INFO digits not sent yet
    info_sent_at: float = 0.0  # monotonic time of the INFO awaiting its answer (0: none)
    transferred_by: str = ""  # made on the REFER (or Replaces) of this number's party
    transfer_of: str = ""  # made on a REFER received in this call (its app id)
    replaced_by: str = ""  # an INVITE with Replaces took this call over (the new call's id)

    def reported(
        self, state: CallState, code: int | None = None, reason: EndReason | None = None
    ) -> EngineCallReported:
        return EngineCallReported(
            call_id=self.call.app_id,
            direction=self.direction,
            state=state,
            number=self.number or number_from_uri(self.remote_uri),
            display_name=self.display_name,
            remote_uri=self.remote_uri,
            sip_code=code,
            end_reason=reason,
            muted=self.muted,
            conference=self.conference,
            transferred_by=self.transferred_by,
            retry_after_s=self.call.refusal.retry_after_s if state is CallState.ENDED else None,
            reason_text=self.call.refusal.reason_text if state is CallState.ENDED else "",
        )
