"""A faithful acoustic echo for the echo canceller's tests and bench: a process of its own
copies a speaker's monitor into a microphone's feed with a known delay and gain, and can mix
near-end speech in and change the delay mid-call.

Run as a script (EchoPath starts it): parec reads the monitor in 10 ms blocks, a delay line
adds `delay_ms` less what parec and pacat add themselves (`base_ms`, measured by the caller
with measure_base), pacat writes the result. Its own process: a helper thread in the test
process, stalled by the GIL, would let pacat underrun and the echo's delay drift.

The timeline starts at the first sound from the speaker (the far end's speech reaching the
app's speaker), so windows are known relative to it: the helper writes that moment and a
marker (a near-end chirp at `marker_at`, which no echo canceller removes) lets the caller
find the timeline in what the far end recorded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

RATE = 16000
BLOCK = 160  # 10 ms
ONSET = 0.01  # the first speaker sample above this starts the timeline
MARKER_S = 0.3


def marker() -> np.ndarray:
    """A 300 ms chirp, 300-3000 Hz, -20 dBFS peak: where the timeline is, at the far end."""
    t = np.arange(int(MARKER_S * RATE)) / RATE
    phase = 2 * np.pi * (300 * t + (3000 - 300) / (2 * MARKER_S) * t * t)
    return 0.1 * np.sin(phase) * np.hanning(len(t))


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
    base_ms: float  # parec + pacat's own delay, subtracted from the delay line


class EchoPath:
    """The helper process, for several calls: each call runs the timeline once."""

    def __init__(
        self,
        env: dict[str, str],
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
        argv = [
            sys.executable,
            __file__,
            "--source",
            source,
            "--sink",
            sink,
            "--delay-ms",
            str(spec.delay_ms),
            "--base-ms",
            str(spec.base_ms),
            "--gain-db",
            str(spec.gain_db),
            "--timeline",
            json.dumps(timeline.__dict__),
            "--events",
            str(self.events),
        ]
        if near is not None:
            argv += ["--near", str(near)]
        self._proc = subprocess.Popen(argv, env=env, stderr=(work / "echo-path.log").open("wb"))

    def timelines_done(self) -> int:
        if self._proc.poll() is not None:
            raise RuntimeError(f"the echo path stopped ({self._proc.returncode})")
        try:
            return len(json.loads(self.events.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return 0

    def wait(self, count: int, timeout: float) -> None:
        """Until `count` timelines ran in all."""
        deadline = time.monotonic() + timeout
        while self.timelines_done() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the echo path ran {self.timelines_done()} of {count}")
            time.sleep(0.1)

    def set_delay(self, delay_ms: float, gain_db: float) -> None:
        """The delay line and gain of the next timeline (taken while the speaker is silent
        between calls)."""
        self.events.with_suffix(".delay").write_text(json.dumps([delay_ms, gain_db]))

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(5)

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


def _run(args: argparse.Namespace) -> None:
    """Timelines one after the other, one per call: each starts at the speaker's first sound
    and ends when run or after 1 s of silence at the speaker (the call hung up early); the
    next one waits for 0.5 s of silence at the speaker (the call ended). Before each, the delay
    line and gain take the values in the control file if there is one."""
    timeline = Timeline(**json.loads(args.timeline))
    gain = 10 ** (args.gain_db / 20)
    delay_ms = args.delay_ms
    control = Path(args.events).with_suffix(".delay")
    line = np.zeros(max(0, round((delay_ms - args.base_ms) * RATE / 1000)))
    near = np.zeros(0)
    if args.near:
        from audiolab.speech import read_wav

        near, _rate = read_wav(Path(args.near))
    chirp = marker()
    # pacat first, connected before anything is read: what parec gave while pacat was still
    # connecting would wait in the pipe and add its own delay, a different one each start.
    writer = subprocess.Popen(_pa("pacat", args.sink), stdin=subprocess.PIPE)
    time.sleep(0.5)
    reader = subprocess.Popen(_pa("parec", args.source), stdout=subprocess.PIPE)
    assert reader.stdout is not None and writer.stdin is not None
    done: list[dict[str, float]] = []
    armed, started = True, False
    quiet = 0  # samples of silence at the speaker since the last timeline ended
    at = 0  # samples since the first sound
    jumped = False
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
                    if control.exists():  # a new delay and gain for the next call
                        wanted, gain_db = json.loads(control.read_text())
                        gain = 10 ** (gain_db / 20)
                        change = round((wanted - delay_ms) * RATE / 1000)
                        if change > 0:
                            line = np.concatenate([np.zeros(change), line])
                        elif change < 0:
                            line = line[min(-change, len(line)) :]
                        delay_ms = wanted
            if armed and not started and loud:
                started, at, jumped = True, 0, False
            line = np.concatenate([line, x])
            out, line = line[:BLOCK] * gain, line[BLOCK:]
            if started:
                quiet = 0 if loud else quiet + BLOCK
                t = at / RATE
                if timeline.jump_at is not None and not jumped and t >= timeline.jump_at:
                    line = np.concatenate([np.zeros(timeline.jump_ms * RATE // 1000), line])
                    jumped = True
                if timeline.mute_at is not None and t >= timeline.mute_at:
                    out = out * 0
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
                if at >= timeline.end * RATE or quiet >= RATE:  # run, or the call ended
                    if jumped:  # back to the delay before the jump for the next call
                        line = line[timeline.jump_ms * RATE // 1000 :]
                    done.append({"delay_ms": delay_ms, "seconds": at / RATE})
                    Path(args.events).write_text(json.dumps(done))
                    armed = started = False
                    quiet = 0
            writer.stdin.write((np.clip(out, -1, 1) * 32767).astype("<i2").tobytes())
            writer.stdin.flush()
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
    time.sleep(args.seconds)
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
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--base-ms", type=float, default=0.0)
    p.add_argument("--gain-db", type=float, default=-10.0)
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
