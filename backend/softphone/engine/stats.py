"""Call media statistics from pjsua2 (RTP counters, RTCP loss, jitter, round trip)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pjsua2 as pj

from softphone.domain.events import Event
from softphone.domain.network import NO_MEDIA_WARNING_SECONDS, CallQuality, CallQualityReported

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 1.0
_MEDIA_FLOWING = (pj.PJSUA_CALL_MEDIA_ACTIVE,)  # on hold, silence is expected: no warning


@dataclass(slots=True)
class _Track:
    rx_packets: int = -1
    last_rx_at: float = 0.0


class CallStats:
    """Samples every connected call about once a second and publishes `CallQualityReported`."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._tracks: dict[str, _Track] = {}
        self._next = 0.0

    def next_due(self, active: bool) -> float | None:
        return self._next if active else None

    def sample(self, calls: Iterable[pj.Call]) -> None:
        """`calls`: the pjsua2 calls the engine holds (their `app_id` names them)."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + SAMPLE_SECONDS
        seen: set[str] = set()
        for call in calls:
            try:
                quality = self._measure(call, now)
            except pj.Error as exc:
                log.debug("no stream statistics for %s: %s", call.app_id, exc.info())
                continue
            if quality is not None:
                seen.add(quality.call_id)
                self._emit(CallQualityReported(quality))
        for gone in set(self._tracks) - seen:
            del self._tracks[gone]

    def _measure(self, call: pj.Call, now: float) -> CallQuality | None:
        info = call.getInfo()
        if info.state != pj.PJSIP_INV_STATE_CONFIRMED:
            return None
        index, status = next(
            (
                (i, int(m.status))
                for i, m in enumerate(info.media)
                if m.type == pj.PJMEDIA_TYPE_AUDIO and m.status != pj.PJSUA_CALL_MEDIA_NONE
            ),
            (-1, 0),
        )
        if index < 0:
            return None
        stat = call.getStreamStat(index)
        stream = call.getStreamInfo(index)
        transport = call.getMedTransportInfo(index)
        rx, tx = stat.rtcp.rxStat, stat.rtcp.txStat
        track = self._tracks.setdefault(str(call.app_id), _Track(last_rx_at=now))
        if rx.pkt != track.rx_packets or status not in _MEDIA_FLOWING:
            track.rx_packets, track.last_rx_at = int(rx.pkt), now
        silent_for = int(now - track.last_rx_at)
        rtt = stat.rtcp.rttUsec
        return CallQuality(
            call_id=str(call.app_id),
            codec=str(stream.codecName),
            rx_packets=int(rx.pkt),
            tx_packets=int(tx.pkt),
            loss_percent=_percent(int(rx.loss), int(rx.pkt)),
            jitter_ms=round(rx.jitterUsec.last / 1000.0, 1),
            rtt_ms=round(rtt.last / 1000.0, 1) if rtt.n > 0 else None,
            remote_loss_percent=_percent(int(tx.loss), int(tx.pkt)),
            no_media_seconds=silent_for if silent_for >= NO_MEDIA_WARNING_SECONDS else 0,
            local_address=str(transport.localRtpName),
            remote_address=str(stream.remoteRtpAddress),
            jitter_buffer_ms=float(stat.jbuf.avgDelayMsec),
        )


def _percent(lost: int, received: int) -> float:
    total = lost + received
    return round(100.0 * lost / total, 1) if total > 0 else 0.0
