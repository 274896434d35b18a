"""Call audio in the engine: which devices, when they run, and what the app is told.

Devices are open only while a call needs sound (dialling out, ringing in, any call with
media), so an idle phone costs no audio CPU and never holds the microphone; pjsua's null
device is the bridge's clock while a call has media but no devices (yet), and without calls
the bridge has no clock at all (no thread waking every 20 ms on an idle phone). Opening and
closing a device can take hundreds of milliseconds (ALSA, PulseAudio), so it happens on a
thread of its own ("audio-devices"); the engine thread only attaches the bridge to streams
already running, and detaches it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pjsua2 as pj

from softphone.audio.call_audio import CallAudio, CallAudioStats
from softphone.audio.streams import DeviceUnavailableError
from softphone.domain import commands as cmd
from softphone.domain.events import AudioStatusReported, Event
from softphone.engine.device_clock import ConferenceClock, stop_pjsua_clock
from softphone.engine.echo import EchoCanceller, create_echo_canceller
from softphone.engine.gain import create_gain_control
from softphone.engine.media_poll import MediaPoller
from softphone.engine.native import pjsua_library
from softphone.engine.router import CommandRouter

log = logging.getLogger(__name__)

CLOCK_RATE = 16000  # EpConfig.medConfig.clockRate: G.722 is 16 kHz, G.711 is resampled up
# The bridge's frame (EpConfig.medConfig.audioFramePtime): 10 ms, where pjsua's default is 20.
# It took 30-40 ms off the round trip (docs/audio.md, "Latency"), and the echo test at 120 ms
# on PulseAudio failed 3 runs of 3 with 20 ms frames (and the devices' 10 ms blocks), passed
# with 10. (It was once set back to 20 after the engine aborted in the soak; the cause was the
# rate of calls, not the frame: engine/media_budget.py.)
FRAME_MS = 10
FRAME_SAMPLES = CLOCK_RATE * FRAME_MS // 1000
_RETRY_S = 5.0  # after no device could be opened
_REPORT_S = 5.0  # glitch counters to the app while a call runs
BUSY_POLL_MS = 20  # the loop's poll while devices open or close
# Speaker underruns in one report span (5 s, 500 frames) that make a burst: over a tenth of
# the frames silent is heard as broken audio, and is said so (status and log).
_BURST_SHARE = 0.1
# A share of fewer frames says nothing: the report made as the devices open covers 4 frames,
# and the one underrun of a speaker starting on a busy machine was called a burst (seen in a
# full run). Such frames count towards the next report instead.
_BURST_MIN_FRAMES = 1000 // FRAME_MS  # 1 s


@dataclass(frozen=True, slots=True)
class _Opened:
    audio: CallAudio
    route: cmd.SetAudioRoute  # what they were opened for
    failed: tuple[str, ...]
    echo: EchoCanceller | None  # made for these devices (their latency), not yet in use


@dataclass(frozen=True, slots=True)
class _OpenFailed:
    reason: str


@dataclass(frozen=True, slots=True)
class _Closed:
    pass


_Outcome = _Opened | _OpenFailed | _Closed


class _DeviceThread:
    """Opens and closes streams on its own thread; outcomes are picked up by the engine."""

    def __init__(self, clock: ConferenceClock) -> None:
        self._clock = clock
        self._jobs: queue.SimpleQueue[tuple[str, object] | None] = queue.SimpleQueue()
        self.outcomes: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audio-devices", daemon=True)
        self._thread.start()

    def open(self, route: cmd.SetAudioRoute) -> None:
        self._jobs.put(("open", route))

    def close(self, audio: CallAudio) -> None:
        self._jobs.put(("close", audio))

    def stop(self, timeout: float = 2.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            kind, arg = job
            if kind == "open":
                assert isinstance(arg, cmd.SetAudioRoute)
                self.outcomes.put(self._open(arg))
            else:
                assert isinstance(arg, CallAudio)
                arg.stop()
                self.outcomes.put(_Closed())

    def _open(self, route: cmd.SetAudioRoute) -> _Outcome:
        audio = CallAudio(self._clock)
        try:
            failed = audio.start(route.input, route.output)
        except DeviceUnavailableError as exc:
            audio.stop()
            return _OpenFailed(str(exc))
        except Exception as exc:  # PortAudio can fail in ways of its own: never kill the engine
            log.exception("opening the audio devices failed")
            audio.stop()
            return _OpenFailed(str(exc))
        return _Opened(audio, route, tuple(failed), self._echo_canceller(route, audio))

    def _echo_canceller(self, route: cmd.SetAudioRoute, audio: CallAudio) -> EchoCanceller | None:
        """Made here rather than on the engine thread at attach: the first one imports livekit
        and numpy (~0.5 s), during which the bridge must keep a clock (ConferenceClock.attach)
        and the engine must go on answering SIP."""
        clock = self._clock
        if not route.echo_cancellation:
            if not route.auto_gain:
                return None
            return create_gain_control(clock.clock_rate, clock.samples_per_frame)
        clock.enter_audio_thread()  # pjmedia's canceller takes a pool from pjsua
        return create_echo_canceller(
            pjsua_library(),
            clock.clock_rate,
            clock.samples_per_frame,
            audio.stats().latency_ms,
            route.auto_gain,
        )


class EngineSound:
    """Everything here runs on the engine thread (the device thread is internal)."""

    def __init__(self, ep: pj.Endpoint, enabled: bool, emit: Callable[[Event], None]) -> None:
        self._ep = ep
        self._enabled = enabled
        self._emit = emit
        self._route = cmd.SetAudioRoute()
        self._clock: ConferenceClock | None = None
        self._devices: _DeviceThread | None = None
        self._audio: CallAudio | None = None  # open and attached
        self._pending = 0  # jobs given to the device thread, outcome not yet seen
        self._retry_at = 0.0
        self._report_at = 0.0
        self._failed: str | None = None
        self._bursts = UnderrunBursts()
        self._null_clock = False  # pjsua's null device may be clocking the bridge
        self._media_poll: MediaPoller | None = None

    def register(self, router: CommandRouter) -> None:
        router.register(cmd.SetAudioRoute, self._set_route)

    @property
    def running(self) -> bool:
        return self._audio is not None

    def busy(self) -> bool:
        """Devices opening or closing: the loop should come back soon."""
        return self._pending > 0

    def _set_route(self, command: cmd.SetAudioRoute) -> None:
        changed = command != self._route
        self._route = command
        self._retry_at = 0.0
        if changed and self._audio is not None:
            log.info("audio route changed during a call: reopening the devices")
            self._close()  # update() opens the new route on a later turn

    def start(self) -> None:
        """After libStart, before any call: no thread of pjsua's or pjmedia's may tick or poll
        on an idle phone (media sockets and the clock come with calls)."""
        self.stop_clock()
        self._media_poll = MediaPoller()
        self._media_poll.take_over()

    def update(self, needs_audio: bool, has_calls: bool = True) -> None:
        """Every loop turn: open or close the devices as calls come and go; media sockets
        are polled while any call exists (ICE checks and early media come before sound)."""
        if self._media_poll is not None:
            self._media_poll.run(has_calls)
        if self._enabled:
            self._update_devices(needs_audio)
        if self._null_clock and not needs_audio and self._audio is None and not self._pending:
            self.stop_clock()

    def stop_clock(self) -> None:
        """No call has media (engine start, last call gone): stop the bridge's clock."""
        stop_pjsua_clock()
        self._null_clock = False

    def _update_devices(self, needs_audio: bool) -> None:
        self._collect()
        if self._pending:
            return
        now = time.monotonic()
        if needs_audio and self._audio is None:
            if now >= self._retry_at:
                self._open()
        elif not needs_audio and self._audio is not None:
            self._close()
        elif self._audio is not None:
            if not self._audio.healthy():
                log.warning("an audio stream stopped by itself: reopening")
                self._close()
            elif now >= self._report_at:
                self._report()

    def ensure_clock(self) -> None:
        """Before connecting call media: the bridge needs a clock. pjsua closes an idle null
        device after a while and does not reopen it by itself."""
        if self._audio is not None:
            return
        devices = self._ep.audDevManager()
        if not devices.sndIsActive():
            devices.setNullDev()
        self._null_clock = True

    def shutdown(self) -> None:
        if self._audio is not None:
            self._close()
        if self._media_poll is not None:
            self._media_poll.run(False)  # no stream callback may run while pjsua goes
        if self._devices is not None:
            self._devices.stop()
            self._devices = None

    def _open(self) -> None:
        if self._clock is None:
            self._clock = ConferenceClock(CLOCK_RATE, FRAME_SAMPLES)
        if self._devices is None:
            self._devices = _DeviceThread(self._clock)
        self._pending += 1
        self._devices.open(self._route)

    def _close(self) -> None:
        audio, self._audio = self._audio, None
        if audio is None:
            return
        stats = audio.stats()
        assert self._clock is not None and self._devices is not None
        self._clock.detach()
        self._ep.audDevManager().setNullDev()  # calls go on, on pjsua's clock
        self._null_clock = True  # update() stops it once no call needs audio
        self._pending += 1
        self._devices.close(audio)
        self._emit_status(audio, stats, running=False)

    def _collect(self) -> None:
        while self._devices is not None:
            try:
                outcome = self._devices.outcomes.get_nowait()
            except queue.Empty:
                return
            self._pending -= 1
            if isinstance(outcome, _Opened):
                self._attach(outcome)
            elif isinstance(outcome, _OpenFailed):
                log.warning("no audio device: the call goes on without sound (%s)", outcome.reason)
                self._retry_at = time.monotonic() + _RETRY_S
                self._failed = self._route.output or self._route.input or "default"
                self._emit(AudioStatusReported(running=False, error=self._failed))

    def _attach(self, opened: _Opened) -> None:
        assert self._clock is not None
        self._clock.attach(echo=opened.echo)
        self._audio = opened.audio
        self._bursts = UnderrunBursts()
        self._failed = opened.failed[0] if opened.failed else None
        log.info(
            "call audio on %s / %s (echo cancellation %s, automatic gain %s)",
            opened.audio.input_id or "default",
            opened.audio.output_id or "default",
            self._clock.echo_canceller or "off",
            "on" if opened.echo is not None and opened.echo.auto_gain else "off",
        )
        self._report()
        if opened.route != self._route:  # changed while they opened (_set_route saw none)
            log.info("audio route changed while the devices opened: reopening them")
            self._close()

    def _report(self) -> None:
        if self._audio is not None:
            self._emit_status(self._audio, self._audio.stats(), running=True)

    def _burst(self, stats: CallAudioStats) -> bool:
        """Whether the speaker underran for over a tenth of the frames since the last judgment."""
        judged = self._bursts.judge(stats.underruns, stats.frames)
        if judged is not None:
            log.warning(
                "speaker underrun burst: %d of %d frames silent (device %s, %d underruns in all)",
                *judged,
                self._audio.output_id if self._audio is not None else "-",
                stats.underruns,
            )
        return judged is not None

    def _emit_status(self, audio: CallAudio, stats: CallAudioStats, *, running: bool) -> None:
        self._report_at = time.monotonic() + _REPORT_S
        burst = self._burst(stats)
        self._emit(
            AudioStatusReported(
                running=running,
                input=audio.input_id,
                output=audio.output_id,
                echo_cancellation=running
                and self._clock is not None
                and self._clock.echo_cancelling,
                underruns=stats.underruns,
                overruns=stats.overruns,
                frames=stats.frames,
                error=self._failed,
                underrun_burst=burst,
            )
        )


class UnderrunBursts:
    """Judges the speaker's underrun counters, report after report: a burst is over a tenth
    of the frames since the last judgment silent, over at least _BURST_MIN_FRAMES."""

    def __init__(self) -> None:
        self._base = (0, 0)  # (underruns, frames) at the last judgment

    def judge(self, underruns: int, frames: int) -> tuple[int, int] | None:
        """(underruns, frames) since the last judgment when they make a burst, else None."""
        base_underruns, base_frames = self._base
        if frames < base_frames:  # devices reopened: counters start again
            base_underruns, base_frames = 0, 0
        new_underruns, new_frames = underruns - base_underruns, frames - base_frames
        if new_frames < _BURST_MIN_FRAMES:
            self._base = (base_underruns, base_frames)  # these frames count next time
            return None
        self._base = (underruns, frames)
        return (new_underruns, new_frames) if new_underruns > _BURST_SHARE * new_frames else None
