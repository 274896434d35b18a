"""Start/stop tests/peers/pj_peer.py as a child process and talk to its JSON control port."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from pbx.ports import HOST, free_tcp_port
from pbx.procs import log_tail, spawn, stop_tree

PEER_SCRIPT = Path(__file__).resolve().parents[1] / "peers" / "pj_peer.py"


class PjPeer:
    """A pjsua2 peer process registered as `user`: mode "echo", "tone" or "silent".

    Every call it receives (or dials) is recorded to `record_dir/call-NNN-<remote>.wav`.
    """

    def __init__(
        self,
        pbx_port: int,
        user: str,
        password: str,
        *,
        mode: str = "echo",
        tone_hz: int = 600,
        play: Path | None = None,
        answer_delay: float = 0.0,
        transport: str = "udp",
        codecs: str = "G722,PCMA,PCMU",
        domain: str = "",
        work_dir: Path | None = None,
        log_level: int = 3,
        srtp: str = "off",
        display_name: str = "",
        dnd: bool = False,
    ) -> None:
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"pjpeer-{user}-"))
        self.record_dir = self.work_dir / "rec"
        self.log_path = self.work_dir / "pj_peer.log"
        self.control_port = free_tcp_port()
        self.user = user
        self.argv = [
            sys.executable,
            str(PEER_SCRIPT),
            "--pbx",
            f"{HOST}:{pbx_port}",
            "--user",
            user,
            "--password",
            password,
            "--mode",
            mode,
            "--tone-hz",
            str(tone_hz),
            "--record-dir",
            str(self.record_dir),
            "--control-port",
            str(self.control_port),
            "--answer-delay",
            str(answer_delay),
            "--transport",
            transport,
            "--codecs",
            codecs,
            "--log-level",
            str(log_level),
            "--srtp",
            srtp,
        ]
        if domain:
            self.argv += ["--domain", domain]
        if display_name:
            self.argv += ["--display-name", display_name]
        if play is not None:  # mode "tone": this WAV, looped, instead of the tone
            self.argv += ["--play", str(play)]
        if dnd:  # do-not-disturb presence published once registered; calls refused (486)
            self.argv.append("--dnd")
        self.proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._rfile: Any = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, wait_registered: bool = True, timeout: float = 10.0) -> PjPeer:
        if self.proc is not None:
            raise RuntimeError("already started")
        self.proc = spawn(self.argv, self.log_path, cwd=self.work_dir)
        try:
            self._connect(timeout)
            if wait_registered:
                self.wait_registered(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _connect(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"pj_peer exited:\n{log_tail(self.log_path)}")
            try:
                self._sock = socket.create_connection((HOST, self.control_port), timeout=10)
                self._rfile = self._sock.makefile("rb")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"pj_peer control port closed:\n{log_tail(self.log_path)}"
                    ) from None
                time.sleep(0.05)

    def request(self, cmd: str, **params: Any) -> dict[str, Any]:
        """Send one control command and return its JSON reply."""
        if self._sock is None:
            raise RuntimeError("pj_peer not started")
        self._sock.sendall(json.dumps({"cmd": cmd, **params}).encode() + b"\n")
        line = self._rfile.readline()
        if not line:
            raise ConnectionError(f"pj_peer closed control:\n{log_tail(self.log_path)}")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"pj_peer {cmd} failed: {reply.get('error')}")
        return reply

    def status(self) -> dict[str, Any]:
        return self.request("status")

    def dial(self, uri: str) -> int:
        return int(self.request("dial", uri=uri)["leg"])

    def hangup(self, leg: int | None = None) -> int:
        return int(self.request("hangup", leg=leg)["count"])

    def xfer(self, uri: str) -> int:
        """REFER every confirmed call to `uri`; how many were."""
        return int(self.request("xfer", uri=uri)["count"])

    def xfer_replaces(self, leg: int, dest: int) -> None:
        """Attended transfer: REFER `leg`'s peer to `dest`'s peer, with Replaces for `dest`."""
        self.request("xfer_replaces", leg=leg, dest=dest)

    def send_dtmf(self, digits: str) -> int:
        return int(self.request("dtmf", digits=digits)["count"])

    def wait_until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0, poll: float = 0.05
    ) -> dict[str, Any]:
        """Poll status until predicate(status) is true."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if predicate(st):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError(f"pj_peer status never matched: {st}\n{log_tail(self.log_path)}")
            time.sleep(poll)

    def wait_registered(self, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_until(lambda st: bool(st["registered"]), timeout)

    def recordings(self) -> list[Path]:
        """WAVs of received audio, one per call, oldest first."""
        return sorted(self.record_dir.glob("call-*.wav"))

    def stop(self) -> None:
        """Ask it to quit (clean libDestroy), then SIGTERM/SIGKILL by PID."""
        proc, self.proc = self.proc, None
        if self._sock is not None:
            with contextlib.suppress(OSError, ConnectionError, RuntimeError, ValueError):
                if proc is not None and proc.poll() is None:
                    self.request("quit")
            with contextlib.suppress(OSError):
                self._rfile.close()
                self._sock.close()
            self._sock = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5.0)
            stop_tree(proc)

    def __enter__(self) -> PjPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
