"""Start PipeWire + pipewire-pulse + WirePlumber of the test's own, driven like PulseAudio.

Desktops on Debian 12 and Ubuntu run PipeWire with its PulseAudio server, so the app meets
pipewire-pulse there, not pulseaudio. Everything lives in a private XDG_RUNTIME_DIR: PipeWire's
socket, pipewire-pulse's "pulse/native" and a D-Bus session bus of our own (WirePlumber needs a
session bus and, without one, tries to autolaunch one through X11 and exits). Devices are
created through pipewire-pulse with pactl, exactly as PulseServer does, so every test helper
(add_output, add_input, record, play, suspend, add_loopback) works unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from audiolab.pulse import PulseError, PulseServer
from pbx.procs import log_tail, spawn, stop_tree

_DAEMONS = ("dbus-daemon", "pipewire", "wireplumber", "pipewire-pulse")


@dataclass
class PipeWireServer(PulseServer):
    """PipeWire's PulseAudio server on a unix socket in work_dir; nothing system-wide is used."""

    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def loopback_own_ms(self) -> int:
        """PipeWire's loopback makes the latency asked for (15-245 ms: within 0.1 ms)."""
        return 0

    @property
    def runtime_dir(self) -> Path:
        return self.work_dir / "run"

    @property
    def socket(self) -> Path:
        return self.runtime_dir / "pulse" / "native"

    def _daemon_env(self) -> dict[str, str]:
        env = dict(os.environ)
        home = self.work_dir / "home"
        env.update(
            HOME=str(home),
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            PIPEWIRE_RUNTIME_DIR=str(self.runtime_dir),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.runtime_dir / 'bus'}",
        )
        # The user's own servers must not be reached or shadowed by ours.
        for name in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "PIPEWIRE_REMOTE", "DISPLAY"):
            env.pop(name, None)
        return env

    def start(self) -> None:
        missing = [name for name in _DAEMONS if shutil.which(name) is None]
        if missing:
            raise PulseError(f"{', '.join(missing)} not installed (build/apt-packages.txt)")
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.chmod(0o700)  # PipeWire refuses a runtime dir others can enter
        (self.work_dir / "home").mkdir(exist_ok=True)
        env = self._daemon_env()
        bus = self.runtime_dir / "bus"
        self._start(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address=unix:path={bus}"],
            "dbus",
            env,
            bus.exists,
        )
        pw_socket = self.runtime_dir / "pipewire-0"
        self._start(["pipewire"], "pipewire", env, pw_socket.exists)
        # WirePlumber links streams to devices and follows the default sink and source; without
        # it a stream from the app would stay unconnected (silence, no error).
        self._start(["wireplumber"], "wireplumber", env, None)
        self._start(
            ["pipewire-pulse"],
            "pipewire-pulse",
            env,
            lambda: self.socket.exists() and self._pactl("info", check=False).returncode == 0,
        )
        self._wait_for_session_manager()

    def _start(
        self,
        argv: list[str],
        name: str,
        env: dict[str, str],
        ready: Callable[[], bool] | None,
    ) -> None:
        log = self.work_dir / f"{name}.log"
        proc = spawn(argv, log, env=env)
        self.procs.append(proc)
        if ready is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.stop()
                raise PulseError(f"{name} exited:\n{log_tail(log)}")
            if ready():
                return
            time.sleep(0.05)
        self.stop()
        raise PulseError(f"{name} did not start:\n{log_tail(log)}")

    def _wait_for_session_manager(self) -> None:
        """WirePlumber is ready once it has picked a default sink (PipeWire's dummy one)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            wireplumber = self.procs[2]
            if wireplumber.poll() is not None:
                log = log_tail(self.work_dir / "wireplumber.log")
                self.stop()
                raise PulseError(f"wireplumber exited:\n{log}")
            info = self._pactl("info", check=False).stdout
            if "Default Sink:" in info and "Default Sink: @DEFAULT_SINK@" not in info:
                return
            time.sleep(0.05)
        self.stop()
        raise PulseError("WirePlumber chose no default sink")

    def stop(self) -> None:
        # Clients first, the bus last: WirePlumber and pipewire-pulse hold PipeWire and D-Bus.
        for proc in reversed(self.procs):
            stop_tree(proc)
        self.procs.clear()
