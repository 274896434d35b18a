"""Hold, resume and mute, asked of the stack; held and the bridge read from the media state."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable
from softphone.engine.config import EngineConfig
from softphone.engine.pj_adapters import PjCall

log = logging.getLogger(__name__)

_MEDIA_PRESENT = (
    pj.PJSUA_CALL_MEDIA_ACTIVE,
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
)


def sending_allowed(*records: CallRecord) -> bool:
    """No call among `records` is held or being held (its stream would still carry sound)."""
    return not any(r.held or r.hold_wanted for r in records)


class HoldMute:
    """What each call sends: the microphone unless muted or held."""

    def __init__(
        self,
        ep: pj.Endpoint,
        config: EngineConfig,
        table: CallTable,
        ensure_clock: Callable[[], None],
    ) -> None:
        self._ep = ep
        self._config = config
        self._table = table
        self._ensure_clock = ensure_clock

    def hold(self, command: cmd.HoldCall) -> None:
        self._reinvite(self._table.confirmed(command.call_id), hold=True)

    def resume(self, command: cmd.ResumeCall) -> None:
        self._reinvite(self._table.confirmed(command.call_id), hold=False)

    def _reinvite(self, record: CallRecord, *, hold: bool) -> None:
        was_wanted, record.hold_wanted = record.hold_wanted, hold
        prm = pj.CallOpParam(True)
        try:
            if hold:
                record.call.setHold(prm)
            else:
                prm.opt.flag = pj.PJSUA_CALL_UNHOLD  # a plain re-INVITE repeats the hold SDP
                record.call.reinvite(prm)
        except pj.Error as exc:
            # Typically another re-INVITE still in progress: the user may try again.
            record.hold_wanted = was_wanted
            log.info("%s refused by the stack: %s", "hold" if hold else "resume", exc.info())
            raise SoftphoneError(ErrorKey.INVALID_STATE) from exc

    def set_mute(self, command: cmd.SetMute) -> None:
        record = self._table.record(command.call_id)
        was_muted, record.muted = record.muted, command.muted
        try:
            record.media.set_sending(self._ep, self._sending(record))
        except pj.Error:
            record.muted = was_muted
            raise
        self._table.report_current(record)

    def _sending(self, record: CallRecord) -> bool:
        return not record.muted and sending_allowed(record)

    def on_media_state(self, call: PjCall) -> CallRecord | None:
        """Read held from the stack and (re)connect the call's audio; the call's record, or
        None for a call the engine no longer has."""
        record = self._table.get(call.app_id)
        if record is None:
            return None
        # Keep `info` referenced while reading `info.media`: the vector lives inside it, and
        # `call.getInfo().media` read freed memory (garbage types and statuses).
        info = call.getInfo()
        audio = [
            (index, int(media.status))
            for index, media in enumerate(info.media)
            if media.type == pj.PJMEDIA_TYPE_AUDIO
        ]
        # Held is what the stack says: LOCAL_HOLD, or no media at all after we asked for hold
        # (both sides on hold: "inactive").
        record.held = any(
            status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
            or (status == pj.PJSUA_CALL_MEDIA_NONE and record.hold_wanted)
            for _, status in audio
        )
        if any(status in _MEDIA_PRESENT for _, status in audio):
            self._ensure_clock()
        for index, status in audio:
            # REMOTE_HOLD too: the peer's music on hold must still reach the speaker.
            if status in _MEDIA_PRESENT:
                # On hold the stream is sendonly and would still carry the microphone: the
                # mic -> call transmit is stopped so the peer hears silence.
                record.media.connect(
                    self._ep,
                    call.getAudioMedia(index),
                    call.app_id,
                    self._config.media_test,
                    sending=self._sending(record),
                )
        return record
