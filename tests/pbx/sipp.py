"""SIPp (Debian sip-tester) on 127.0.0.1: run one scenario of tests/sipp/, always bounded."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from pbx.ports import HOST, free_media_base, free_udp_tcp_port
from pbx.procs import log_tail, spawn, stop_tree

SIPP_BIN = shutil.which("sipp") or "/usr/bin/sipp"
SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"

# sipp's exit codes (man sipp): 0 every call succeeded, 1 at least one failed,
# 97 stopped by an internal command, 99 ended without processing a call, 255/254 fatal.
PASSED = 0


class SippError(AssertionError):
    """A scenario did not pass; the message carries sipp's error log and message trace."""


class Sipp:
    """One sipp process running `scenario` (a file name in tests/sipp/) exactly `calls` times.

    `remote` is the host:port it sends to (None: a server scenario waiting for requests).
    `-timeout` ends sipp whatever happens; `timeout_error` makes that a failure. SIP and
    RTP are bound to 127.0.0.1 only; RTP is echoed back (`-rtp_echo`), so the app hears what
    it sends and its receive counters prove media flowed.
    """

    def __init__(
        self,
        scenario: str,
        work_dir: Path,
        remote: str | None,
        *,
        service: str = "1001",
        user: str = "",
        password: str = "",
        variables: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        calls: int = 1,
        port: int | None = None,
    ) -> None:
        self.scenario = SCENARIOS / scenario
        if not self.scenario.is_file():
            raise FileNotFoundError(self.scenario)
        self.work_dir = work_dir
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.remote = remote
        self._chosen_port = port
        self.port = port or free_udp_tcp_port()
        self.media_port = free_media_base()
        name = self.scenario.stem
        self.log_path = work_dir / f"{name}.out"
        self.messages_path = work_dir / f"{name}.messages"
        self.errors_path = work_dir / f"{name}.errors"
        self.timeout_s = timeout_s
        self._service, self._user, self._password = service, user, password
        self._variables = variables or {}
        self._calls = calls
        self.argv = self._argv()
        self.proc: subprocess.Popen[bytes] | None = None

    def _argv(self) -> list[str]:
        remote, service, user, password = self.remote, self._service, self._user, self._password
        timeout_s, calls = self.timeout_s, self._calls
        argv = [SIPP_BIN] + ([remote] if remote else [])
        argv += [
            "-sf", str(self.scenario),
            "-i", HOST, "-bind_local", "-p", str(self.port), "-t", "u1",
            "-mi", HOST, "-mp", str(self.media_port), "-rtp_echo",
            "-m", str(calls), "-l", "1",
            "-timeout", f"{int(timeout_s)}s", "-timeout_error",
            "-nostdin",
            "-s", service,
            "-trace_msg", "-message_file", str(self.messages_path),
            "-trace_err", "-error_file", str(self.errors_path),
        ]  # fmt: skip
        if user:
            argv += ["-au", user, "-ap", password]
        for key, value in self._variables.items():
            argv += ["-key", key, value]
        return argv

    def start(self) -> Sipp:
        for attempt in range(3):
            self.proc = spawn(self.argv, self.log_path, cwd=self.work_dir)
            time.sleep(0.2)  # sipp binds its sockets right away; a server must be listening
            if self.proc.poll() in (None, PASSED):
                return self
            errors = log_tail(self.errors_path, 30) if self.errors_path.exists() else ""
            if "Address already in use" not in errors or attempt == 2:
                break
            # Another test's process took a port between the probe and sipp's bind (its four
            # media ports, or its SIP port): new ones.
            self.errors_path.unlink()
            self.media_port = free_media_base()
            if self._chosen_port is None:
                self.port = free_udp_tcp_port()
            self.argv = self._argv()
        raise SippError(f"sipp did not start ({self.proc.returncode}):\n{self.report()}")

    def wait(self, timeout: float | None = None) -> None:
        """Until sipp ends (its own -timeout bounds it); raise SippError unless it passed."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout if timeout is not None else self.timeout_s + 10)
        except subprocess.TimeoutExpired:
            self.stop()
            raise SippError(f"sipp still running past its timeout:\n{self.report()}") from None
        if code != PASSED:
            raise SippError(f"scenario {self.scenario.name} failed ({code}):\n{self.report()}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc, timeout=3.0)

    def messages(self) -> str:
        """Every message sipp sent and received, as it logged them."""
        return self.messages_path.read_text(errors="replace") if self.messages_path.exists() else ""

    def report(self) -> str:
        return (
            f"--- errors\n{log_tail(self.errors_path, 30)}\n"
            f"--- output\n{log_tail(self.log_path, 20)}\n"
            f"--- messages\n{log_tail(self.messages_path, 120)}"
        )


def register(
    work_dir: Path,
    pbx_port: int,
    user: str,
    password: str,
    *,
    port: int,
    expires: int = 600,
    instance: int = 0,
) -> None:
    """Bind `user` at the registrar to sipp's `port` (so a server scenario there is called)."""
    sipp = Sipp(
        "register.xml",
        work_dir / "register",
        f"{HOST}:{pbx_port}",
        service=user,
        user=user,
        password=password,
        variables={"expires": str(expires), "instance": f"{instance:04d}"},
        timeout_s=10,
        port=port,
    )
    try:
        sipp.start().wait()
    finally:
        sipp.stop()
