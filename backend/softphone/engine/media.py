"""Per-call audio wiring on the conference bridge, and codec priorities."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pjsua2 as pj

from softphone.engine.config import MediaTestConfig

log = logging.getLogger(__name__)

# Wideband first; the PBX's phones nearly all speak G.711 too. Everything else is off so
# that a peer's odd first choice (speex, iLBC) never wins.
CODEC_PRIORITIES = {"G722/16000": 255, "PCMA/8000": 254, "PCMU/8000": 253}


def configure_codecs(ep: pj.Endpoint) -> None:
    for codec in ep.codecEnum2():
        codec_id = str(codec.codecId)
        name = codec_id.rsplit("/", 1)[0] if codec_id.count("/") > 1 else codec_id
        priority = next((p for key, p in CODEC_PRIORITIES.items() if name.startswith(key)), 0)
        ep.codecSetPriority(codec_id, priority)


@dataclass(slots=True)
class CallMedia:
    """The bridge connections of one call; everything created here is released here."""

    audio: pj.AudioMedia | None = None
    player: pj.AudioMediaPlayer | None = None
    recorder: pj.AudioMediaRecorder | None = None

    def connect(
        self,
        ep: pj.Endpoint,
        audio: pj.AudioMedia,
        call_id: str,
        test: MediaTestConfig,
        *,
        sending: bool,
    ) -> None:
        """(Re)connect the call's audio; called on every media update, since a re-INVITE can
        replace the call's bridge port and drop every connection it had."""
        self.audio = audio
        devices = ep.audDevManager()  # the caller made sure the bridge has a clock
        audio.startTransmit(devices.getPlaybackDevMedia())
        if test.play_wav is not None and self.player is None:
            self.player = pj.AudioMediaPlayer()
            self.player.createPlayer(str(test.play_wav), 0)  # 0: loop
        if test.record_dir is not None:
            if self.recorder is None:
                test.record_dir.mkdir(parents=True, exist_ok=True)
                self.recorder = pj.AudioMediaRecorder()
                self.recorder.createRecorder(str(test.record_dir / f"{call_id}.wav"))
            audio.startTransmit(self.recorder)
        self.set_sending(ep, sending)

    def _sources(self, ep: pj.Endpoint) -> list[pj.AudioMedia]:
        """What stands for the microphone: the capture device and, in tests, the tone."""
        sources: list[pj.AudioMedia] = [ep.audDevManager().getCaptureDevMedia()]
        if self.player is not None:
            sources.append(self.player)
        return sources

    def set_sending(self, ep: pj.Endpoint, sending: bool) -> None:
        """Start or stop the microphone -> call transmit (mute, hold)."""
        if self.audio is None:
            return
        for source in self._sources(ep):
            if sending:
                source.startTransmit(self.audio)  # a failure here is real: let it raise
                continue
            try:
                source.stopTransmit(self.audio)
            except pj.Error as exc:  # not connected (yet): nothing to stop
                log.debug("stopTransmit: %s", exc.info())

    def link(self, other: CallMedia, linked: bool = True) -> None:
        """Conference: this call hears the other, or no longer (call both ways round)."""
        if self.audio is None or other.audio is None:
            return
        if linked:
            other.audio.startTransmit(self.audio)
            return
        try:
            other.audio.stopTransmit(self.audio)
        except pj.Error as exc:  # never linked: nothing to undo
            log.debug("unlink: %s", exc.info())

    def release(self) -> None:
        # Players and recorders are pj objects: they must go before libDestroy.
        self.player = None
        self.recorder = None
        self.audio = None
