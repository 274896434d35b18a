"""A faithful acoustic echo for the echo canceller's tests and bench: the audio server's
module-loopback copies a speaker's monitor into a microphone's feed with a fixed latency (no
rate adjustment: adjust_time=0) at a known gain (the loopback stream's volume), and a helper
process mixes near-end speech in and changes the echo mid-call.

The echo runs inside the server's real-time thread: no client process to be starved, no
client buffer to underrun and grow. Measured on PulseAudio 16 (4-12 s of speech, three looks
each): latency_msec 20/60/120/250 gave echoes of 27/63-67/123-128/255-258 ms, correlation
0.96-1.0, so the loop is asked for the delay less PulseServer.loopback_own_ms (PipeWire's
made 15-245 ms within 0.1 ms when idle, 8 ms less in a call once). The delay jump is a second
loopback at the delay + jump_ms, muted until the jump, when the first is muted instead;
"the echo cut" mutes both.

The helper process (EchoPath starts it) keeps the timeline: it starts at the first sound
from the speaker (the far end's speech reaching the app's speaker, read with parec), so
windows are known relative to it; it writes that moment and plays, with pacat, near-end
speech and a marker (a near-end chirp at `marker_at`, in a pause of the far end's speech:
`far_end_speech`) that lets the caller find the timeline in what the far end recorded. What
it plays reaches the microphone within a few blocks of the timeline or not at all: blocks
that would wait behind others in pacat's pipe are dropped and counted (`late_ms`).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # run as a script too, where audiolab is not importable yet
    from audiolab.pulse import PulseServer

RATE = 16000
BLOCK = 160  # 10 ms
ONSET = 0.01  # the first speaker sample above this starts the timeline
MARKER_S = 0.3
# The far end is silent this long before the marker and after it (far_end_speech).
MARKER_PAUSE_S = (0.5, 0.2)
HANGUP_QUIET_S = 2.0  # this long without sound at the speaker: the call ended early
# Audio for pacat waiting in its pipe at most: more would reach the microphone late.
MAX_PIPED = 3 * BLOCK * 2


def marker() -> np.ndarray:
    """A 300 ms chirp, 300-3000 Hz, -20 dBFS peak: where the timeline is, at the far end."""
    t = np.arange(int(MARKER_S * RATE)) / RATE
    phase = 2 * np.pi * (300 * t + (3000 - 300) / (2 * MARKER_S) * t * t)
    return 0.1 * np.sin(phase) * np.hanning(len(t))


def far_end_speech(
    seconds: float, seed: int, timeline: Timeline, level: float = 0.25
) -> np.ndarray:
    """Speech for the far end to play, with a pause around the marker. While the far end
    talks, a canceller may take what else comes in for echo: AEC3 cut the chirp by 35-45 dB
    in such calls, and the timeline was then found 1.4-5.3 s off. Timeline 0 is the far end's
    first sound at the speaker, so the pause sits that far into the speech."""
    from audiolab.speech import speech_like

    far = speech_like(seconds, seed, level=level)
    first = int(np.argmax(np.abs(far) > ONSET))
    before, after = MARKER_PAUSE_S
    a = first + round((timeline.marker_at - before) * RATE)
    b = first + round((timeline.marker_at + MARKER_S + after) * RATE)
    far[a:b] = 0.0
    return far


@dataclass(frozen=True)
class Timeline:
    """Seconds from the first speaker sound; None: not in this run."""

    end: float
    marker_at: float
    jump_at: float | None = None
    jump_ms: int = 40
    near_at: float | None = None  # near-end speech from here...
    mute_at: float | None = None  # ...and from here the echo is cut (near end alone)


@dataclass(frozen=True)
class EchoSpec:
    delay_ms: int
    gain_db: float


class EchoPath:
    """The loopback(s) and the helper process, for several calls: each call runs the
    timeline once."""

    def __init__(
        self,
        server: PulseServer,
        source: str,
        sink: str,
        *,
        spec: EchoSpec,
        timeline: Timeline,
        work: Path,
        near: Path | None = None,
    ) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.events = work / "echo-path.json"
        # A work folder used before holds an earlier run's timelines: counted as this one's,
        # the first call waited for one timeline too many (a bench run failed so).
        self.events.unlink(missing_ok=True)
        self.events.with_suffix(".ready").unlink(missing_ok=True)
        self._server = server
        self._modules: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            delays = [spec.delay_ms]
            if timeline.jump_at is not None:
                delays.append(spec.delay_ms + timeline.jump_ms)
            inputs = []
            for k, delay in enumerate(delays):
                module = server.add_loopback(
                    source,
                    sink,
                    latency_ms=max(1, delay - server.loopback_own_ms),
                    adjust_time="0",
                    source_dont_move="true",
                    sink_dont_move="true",
                )
                self._modules.append(module)
                stream = server.sink_input_of(module)
                server.set_input_gain(stream, spec.gain_db)
                server.set_input_mute(stream, k > 0)  # the jump's loop waits muted
                inputs.append(stream)
            argv = [
                sys.executable,
                __file__,
                "--source",
                source,
                "--sink",
                sink,
                "--loops",
                ",".join(str(i) for i in inputs),
                "--timeline",
                json.dumps(timeline.__dict__),
                "--events",
                str(self.events),
            ]
            if near is not None:
                argv += ["--near", str(near)]
            self._proc = subprocess.Popen(
                argv, env=server.env(), stderr=(work / "echo-path.log").open("wb")
            )
        except BaseException:
            self.stop()
            raise

    def timelines_done(self) -> int:
        if self._proc is None or self._proc.poll() is not None:
            code = None if self._proc is None else self._proc.returncode
            raise RuntimeError(f"the echo path stopped ({code})")
        try:
            return len(json.loads(self.events.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return 0

    def late_ms(self, timeline: int) -> int:
        """Near end and marker dropped in the `timeline`-th run (0 first) rather than played
        late (see _run)."""
        return int(json.loads(self.events.read_text())[timeline].get("late_ms", 0))

    def wait_ready(self, timeout: float) -> None:
        """Until the next timeline would start at the speaker's next sound: after 0.5 s of
        silence there. A call dialled sooner (the last one's far end still talking) had its
        timeline start at the first pause of 0.5 s in the far end's speech, seconds in, so
        the two calls of a pair measured different speech and the marker's pause missed."""
        deadline = time.monotonic() + timeout
        ready = self.events.with_suffix(".ready")
        while not (ready.exists() and ready.read_text() == "yes"):
            self.timelines_done()  # raises if the helper stopped
            if time.monotonic() > deadline:
                raise TimeoutError("the echo path did not hear the speaker fall silent")
            time.sleep(0.05)

    def wait(self, count: int, timeout: float) -> None:
        """Until `count` timelines ran in all."""
        deadline = time.monotonic() + timeout
        while self.timelines_done() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the echo path ran {self.timelines_done()} of {count}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(5)
        for module in reversed(self._modules):
            self._server.unload_module(module)
        self._modules = []

    def __enter__(self) -> EchoPath:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def _pa(kind: str, device: str) -> list[str]:
    return [
        kind,
        f"--device={device}",
        f"--rate={RATE}",
        "--channels=1",
        "--format=s16le",
        "--raw",
        "--latency-msec=10",
    ]


def _flag(path: Path, on: bool) -> None:
    """A file saying yes or no, replaced whole (a reader never sees half of it)."""
    part = path.with_suffix(".part")
    part.write_text("yes" if on else "no")
    part.replace(path)


def _piped(fd: int) -> int:
    """Bytes written to a pipe and not read yet (FIONREAD works on the writing end too)."""
    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0])


def _mute(loop: str, muted: bool) -> None:
    """Mute or unmute a loopback's stream without waiting for pactl (the loop must not stall)."""
    subprocess.Popen(
        ["pactl", "set-sink-input-mute", loop, "1" if muted else "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _run(args: argparse.Namespace) -> None:
    """Timelines one after the other, one per call: each starts at the speaker's first sound
    and ends when run or after HANGUP_QUIET_S of silence at the speaker (the call hung up
    early); the next one waits for 0.5 s of silence at the speaker (the call ended). The echo
    itself is the loopbacks' (`--loops`: the one at the delay, then the jump's): this process
    only switches them and plays the near end and the marker.

    What it plays goes to pacat, which takes it only as fast as the microphone's feed runs;
    while no one records the microphone (between calls) the server suspends that feed, and
    the pipe to pacat used to fill up (64 KiB: 2 s), so that all it played in the next call
    came 0.3-1.9 s after the timeline (measured against the echo). A block that would wait
    behind more than MAX_PIPED is dropped instead: late audio is not played."""
    timeline = Timeline(**json.loads(args.timeline))
    loops = args.loops.split(",")
    near = np.zeros(0)
    if args.near:
        from audiolab.speech import read_wav

        near, _rate = read_wav(Path(args.near))
    chirp = marker()
    # pacat first, connected before anything is read: what parec gave while pacat was still
    # connecting would wait in the pipe and delay the marker and the near end.
    writer = subprocess.Popen(_pa("pacat", args.sink), stdin=subprocess.PIPE)
    time.sleep(0.5)
    reader = subprocess.Popen(_pa("parec", args.source), stdout=subprocess.PIPE)
    assert reader.stdout is not None and writer.stdin is not None
    done: list[dict[str, float]] = []
    armed, started = True, False
    ready = Path(args.events).with_suffix(".ready")
    _flag(ready, True)
    quiet = 0  # samples of silence at the speaker since the last timeline ended
    at = 0  # samples since the first sound
    jumped = muted = False
    late = 0  # blocks of this timeline dropped rather than played late
    try:
        while True:
            raw = reader.stdout.read(BLOCK * 2)
            if len(raw) < BLOCK * 2:
                raise RuntimeError("parec stopped")
            x = np.frombuffer(raw, "<i2") / 32768.0
            loud = bool(np.max(np.abs(x)) > ONSET)
            if not armed:
                quiet = 0 if loud else quiet + BLOCK
                if quiet >= RATE // 2:
                    armed = True
                    _flag(ready, True)
            if armed and not started and loud:
                started, at, jumped, muted, late = True, 0, False, False, 0
                _flag(ready, False)
            out = np.zeros(BLOCK)
            if started:
                quiet = 0 if loud else quiet + BLOCK
                t = at / RATE
                if timeline.jump_at is not None and not jumped and t >= timeline.jump_at:
                    _mute(loops[1], False)
                    _mute(loops[0], True)
                    jumped = True
                if timeline.mute_at is not None and not muted and t >= timeline.mute_at:
                    for loop in loops:
                        _mute(loop, True)
                    muted = True
                if timeline.near_at is not None and len(near):
                    k = at - round(timeline.near_at * RATE)
                    if 0 <= k < len(near):
                        piece = near[k : k + BLOCK]
                        out[: len(piece)] += piece
                k = at - round(timeline.marker_at * RATE)
                if -BLOCK < k < len(chirp):
                    lo = max(0, -k)
                    piece = chirp[max(0, k) : k + BLOCK]
                    out[lo : lo + len(piece)] += piece
                at += BLOCK
                ended = quiet >= HANGUP_QUIET_S * RATE  # the call ended early
                if at >= timeline.end * RATE or ended:
                    for k, loop in enumerate(loops):  # as before the call, for the next one
                        _mute(loop, k > 0)
                    done.append({"seconds": at / RATE, "late_ms": late * BLOCK * 1000 // RATE})
                    Path(args.events).write_text(json.dumps(done))
                    armed = started = False
                    quiet = 0
            if _piped(writer.stdin.fileno()) <= MAX_PIPED:
                writer.stdin.write((np.clip(out, -1, 1) * 32767).astype("<i2").tobytes())
                writer.stdin.flush()
            elif started:
                late += 1
    finally:
        reader.terminate()
        writer.stdin.close()
        writer.terminate()
        reader.wait(5)
        writer.wait(5)


def _probe(args: argparse.Namespace) -> None:
    """Record two sources at once, each 10 ms block stamped as it is read; the stamps (a line
    fitted through them: one parec's start and scheduling jitter do not count) put both on
    one clock. Both parec streams ask for the same latency, so it cancels out."""
    import threading

    sources = args.probe.split(",")
    blocks: dict[str, list[bytes]] = {name: [] for name in sources}
    stamps: dict[str, list[float]] = {name: [] for name in sources}
    stop = threading.Event()

    def read(name: str) -> None:
        proc = subprocess.Popen(_pa("parec", name), stdout=subprocess.PIPE)
        assert proc.stdout is not None
        try:
            while not stop.is_set():
                raw = proc.stdout.read(BLOCK * 2)
                if len(raw) < BLOCK * 2:
                    break
                stamps[name].append(time.monotonic())
                blocks[name].append(raw)
        finally:
            proc.terminate()
            proc.wait(5)

    threads = [threading.Thread(target=read, args=(name,)) for name in sources]
    for thread in threads:
        thread.start()
    signal.signal(signal.SIGTERM, lambda _n, _f: stop.set())  # stop early, keep what was heard
    stop.wait(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(10)
    out = {}
    for name in sources:
        times = np.array(stamps[name])
        index = np.arange(len(times)) * BLOCK + BLOCK  # a block is read once it is whole
        slope, start = np.polyfit(index, times, 1)
        out[name] = {"start": float(start), "slope": float(slope)}
        np.save(
            Path(args.events).with_suffix(f".{name}.npy"),
            np.frombuffer(b"".join(blocks[name]), "<i2"),
        )
    Path(args.events).write_text(json.dumps(out))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--probe", default="", help="sources to record (a,b) instead of echoing")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--source", default="")
    p.add_argument("--sink", default="")
    p.add_argument("--loops", default="", help="the loopbacks' sink inputs: delay, jump")
    p.add_argument("--timeline", default="")
    p.add_argument("--events", required=True)
    p.add_argument("--near", default="")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    args = p.parse_args()
    if args.probe:
        _probe(args)
    else:
        _run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
