"""Start a PulseAudio daemon of the test's own, add and remove null devices, play and record.

Each null sink is an output device ("speaker"); a remap source on a sink's monitor is an input
device ("microphone") that is not a monitor, so the app lists it like a real microphone. What
the app plays to a sink is read back from the sink's monitor; what the test plays into a
"microphone" sink is what the app captures from the matching remap source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pbx.procs import log_tail, spawn, stop_tree


class PulseError(RuntimeError):
    pass


@dataclass
class PulseServer:
    """A PulseAudio daemon on a unix socket in work_dir; nothing system-wide is touched."""

    work_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    _modules: dict[str, list[int]] = field(default_factory=dict)

    @property
    def loopback_own_ms(self) -> int:
        """What module-loopback adds to the latency asked for, with adjust_time=0 (measured,
        speech at a null sink's monitor: 3-8 ms for 20-250 ms asked)."""
        return 5

    @property
    def socket(self) -> Path:
        return self.work_dir / "native"

    @property
    def server(self) -> str:
        return f"unix:{self.socket}"

    def env(self) -> dict[str, str]:
        """Environment for processes that must reach this server (the app, pactl, paplay)."""
        env = dict(os.environ)
        env["PULSE_SERVER"] = self.server
        env.pop("PULSE_SINK", None)
        env.pop("PULSE_SOURCE", None)
        return env

    def start(self) -> None:
        if shutil.which("pulseaudio") is None:
            raise PulseError("pulseaudio is not installed (build/apt-packages.txt)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        script = self.work_dir / "default.pa"
        script.write_text(
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.socket}\n"
            # A server with no sink at all would make every stream fail; the fallback sink is
            # what the OS "default" is when the test removes everything else.
            "load-module module-always-sink\n"
        )
        env = dict(os.environ)
        env["HOME"] = str(self.work_dir)
        env["PULSE_RUNTIME_PATH"] = str(self.work_dir / "runtime")
        env["PULSE_STATE_PATH"] = str(self.work_dir / "state")
        # Off the session bus: every daemon there claims org.PulseAudio1, so a second one (tests
        # run in parallel, all under run-pytest.sh's one D-Bus session) refused to start.
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.proc = spawn(
            [
                "pulseaudio",
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disable-shm=yes",
                "--log-target=stderr",
                "-F",
                str(script),
            ],
            self.work_dir / "pulseaudio.log",
            env=env,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PulseError(log_tail(self.work_dir / "pulseaudio.log"))
            if self.socket.exists() and self._pactl("info", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise PulseError("PulseAudio did not start:\n" + log_tail(self.work_dir / "pulseaudio.log"))

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc)
            self.proc = None

    def _pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pactl", *args],
            check=False,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and result.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)}: {result.stderr.strip()}")
        return result

    def add_output(self, name: str, description: str, **props: str) -> str:
        """A null sink (speaker, ringer, headset); returns its PulseAudio name. `props`: more
        properties, dots as "__" (device__bus="usb", device__vendor__id="0b0e")."""
        module = self._pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={name}",
            "rate=48000",
            f'sink_properties="{_proplist(description, props)}"',
        ).stdout.strip()
        self._modules.setdefault(name, []).append(int(module))
        return name

    def add_input(self, name: str, description: str, **props: str) -> str:
        """A microphone: a null sink the test plays into, seen by the app as a source."""
        feed = f"{name}_feed"
        self.add_output(feed, f"{description} (feed)")
        module = self._pactl(
            "load-module",
            "module-remap-source",
            f"master={feed}.monitor",
            f"source_name={name}",
            f'source_properties="{_proplist(description, props)}"',
        ).stdout.strip()
        self._modules.setdefault(name, []).append(int(module))
        return name

    def remove(self, name: str) -> None:
        """Unplug a device (and a microphone's feed sink)."""
        for key in (name, f"{name}_feed"):
            for module in reversed(self._modules.pop(key, [])):
                self._pactl("unload-module", str(module))

    def add_loopback(self, source: str, sink: str, latency_ms: int = 60, **args: str) -> int:
        """module-loopback from `source` to `sink` (an echo path, a virtual cable); returns the
        module index (unload with unload_module). `args`: more module arguments."""
        extra = [f"{key}={value}" for key, value in args.items()]
        module = self._pactl(
            "load-module",
            "module-loopback",
            f"source={source}",
            f"sink={sink}",
            f"latency_msec={latency_ms}",
            *extra,
        ).stdout.strip()
        return int(module)

    def sink_input_of(self, module: int) -> int:
        """The playback stream (sink input) a module made, e.g. a loopback's."""
        index: int | None = None
        for raw in self._pactl("list", "sink-inputs").stdout.splitlines():
            line = raw.strip()
            if line.startswith("Sink Input #"):
                index = int(line.removeprefix("Sink Input #"))
            elif (
                line.startswith("Owner Module:")
                and index is not None
                and line.removeprefix("Owner Module:").strip() == str(module)
            ):
                return index
        raise PulseError(f"module {module} has no sink input")

    def set_input_gain(self, sink_input: int, gain_db: float) -> None:
        """A playback stream's volume, in dB (software gain at the server). Given as a linear
        factor: pactl reads "-10dB" as 10 dB less than now, and PipeWire (WirePlumber)
        starts a new loopback at the volume the last one had."""
        self._pactl("set-sink-input-volume", str(sink_input), f"{10 ** (gain_db / 20):.5f}")

    def set_input_mute(self, sink_input: int, muted: bool) -> None:
        self._pactl("set-sink-input-mute", str(sink_input), "1" if muted else "0")

    def unload_module(self, module: int) -> None:
        self._pactl("unload-module", str(module))

    def suspend(self, sink: str, suspended: bool = True) -> None:
        """Suspend a sink (its streams stop being served: a stalled device) or resume it."""
        self._pactl("suspend-sink", sink, "1" if suspended else "0")

    def set_default(self, *, sink: str | None = None, source: str | None = None) -> None:
        if sink:
            self._pactl("set-default-sink", sink)
        if source:
            self._pactl("set-default-source", source)

    def streams_on(self, output_name: str) -> int:
        """How many playback streams (sink inputs) play to an output device now."""
        sinks = self._pactl("list", "short", "sinks").stdout.splitlines()
        index = next(
            (f[0] for f in (ln.split("\t") for ln in sinks) if f[1:2] == [output_name]), None
        )
        if index is None:
            return 0
        inputs = self._pactl("list", "short", "sink-inputs").stdout.splitlines()
        return sum(1 for line in inputs if line.split("\t")[1:2] == [index])

    def play(self, input_name: str, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing a WAV into a microphone (returns the paplay process; stop it by PID)."""
        return subprocess.Popen(
            ["paplay", f"--device={input_name}_feed", str(wav)],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def record(self, output_name: str, path: Path, rate: int = 16000) -> Recording:
        """Start recording what is played to an output device (from its monitor)."""
        raw = path.with_suffix(".raw")
        handle = open(raw, "wb")  # noqa: SIM115 - closed by Recording.stop
        proc = subprocess.Popen(
            [
                "parec",
                f"--device={output_name}.monitor",
                f"--rate={rate}",
                "--channels=1",
                "--format=s16le",
                "--raw",
                "--latency-msec=20",
            ],
            env=self.env(),
            stdout=handle,
            stderr=subprocess.DEVNULL,
        )
        recording = Recording(proc, handle, raw, path, rate)
        self._wait_recording(proc)
        return recording

    def _wait_recording(self, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
        """Until parec's stream is attached to the monitor: from then on everything the device
        plays is recorded. A busy machine can take longer to start parec than the app takes
        to play a short sound (the speaker test's sound was missed in a CI run, not proven why)."""
        marker = f'application.process.id = "{proc.pid}"'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise PulseError(f"parec stopped (exit code {proc.returncode})")
            if marker in self._pactl("list", "source-outputs", check=False).stdout:
                return
            time.sleep(0.02)
        raise PulseError(f"parec's stream did not appear within {timeout} s")


@dataclass
class Recording:
    """A running parec; stop() writes the WAV and returns its samples (float, -1..1)."""

    proc: subprocess.Popen[bytes]
    handle: object
    raw: Path
    wav: Path
    rate: int

    def stop(self) -> np.ndarray:
        self.proc.terminate()
        self.proc.wait(timeout=5)
        self.handle.close()  # type: ignore[attr-defined]
        data = self.raw.read_bytes()
        data = data[: len(data) // 2 * 2]
        with wave.open(str(self.wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(data)
        return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


def _proplist(description: str, props: dict[str, str]) -> str:
    extra = "".join(f" {key.replace('__', '.')}='{value}'" for key, value in props.items())
    return f"device.description='{description}'{extra}"


@contextmanager
def pulse_server_env(server: PulseServer) -> Iterator[None]:
    """PULSE_SERVER names `server` for this process and what it starts (the app's engine)
    until the block ends; then what it was before."""
    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.server
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = saved
