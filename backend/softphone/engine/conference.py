"""Local conference: the bridge mixes the calls, each member hearing every other one."""

from __future__ import annotations

from softphone.domain import commands as cmd
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.engine.call_record import CallRecord
from softphone.engine.call_table import CallTable
from softphone.engine.hold_mute import HoldMute, sending_allowed


class Conference:
    """The calls marked `conference` are cross-connected; each call still hears the mic."""

    def __init__(self, table: CallTable, hold_mute: HoldMute) -> None:
        self._table = table
        self._hold_mute = hold_mute

    def start(self, command: cmd.StartConference) -> None:
        members = [self._table.confirmed(call_id) for call_id in command.call_ids]
        if len(members) < 2:
            raise SoftphoneError(ErrorKey.INVALID_STATE)
        for record in members:
            record.conference = True
            if record.hold_wanted:
                self._hold_mute.resume(cmd.ResumeCall(record.call.app_id))
        self.link()
        for record in members:
            self._table.report_current(record)

    def link(self) -> None:
        """Connect (or disconnect) every ordered pair of members; after every media update,
        since a re-INVITE can replace a call's bridge port."""
        # A member on hold leaves the mix until resumed: its sendonly stream would otherwise
        # still carry the others' voices.
        members = [r for r in self._table if r.conference]
        for record in members:
            for other in members:
                if other is not record:
                    record.media.link(other.media, sending_allowed(record, other))

    def after_member_left(self, record: CallRecord) -> None:
        if not record.conference:
            return
        members = [r for r in self._table if r.conference]
        if len(members) == 1:  # a conference of one is just a call again
            members[0].conference = False
            self._table.report_current(members[0])
