"""baresip 1.0.0 as a scripted SIP peer: sine-tone microphone, WAV recording, ctrl_tcp."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from pbx.baresip_ctrl import BaresipCtrl, CtrlError, Event, EventMatch
from pbx.loopback_shim import loopback_shim
from pbx.ports import HOST, free_tcp_port, free_udp_tcp_port
from pbx.procs import log_tail, spawn

BARESIP_BIN = shutil.which("baresip") or "/usr/bin/baresip"
MODULE_PATH = "/usr/lib/baresip/modules"


def _free_sip_port() -> int:
    """A port free for UDP+TCP whose next port is free for TCP too.

    baresip always opens its SIP TLS listener on sip_listen port + 1.
    """
    for _ in range(50):
        port = free_udp_tcp_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free SIP port pair for baresip")


class Baresip:
    """One baresip process registered on a Kamailio as `user`.

    The microphone is a sine of `tone_hz`; every call's received (decoded) audio is
    written by the sndfile module to `rec_dir/dump-<time>-dec.wav` (what it sent:
    `-enc.wav`). `answermode` is "manual" (call accept()) or "auto".
    sndfile names files by the second: two calls starting in the same second share a file.
    """

    def __init__(
        self,
        pbx_port: int,
        user: str,
        password: str,
        *,
        domain: str = HOST,
        tone_hz: int = 700,
        answermode: str = "manual",
        transport: str = "udp",
        codecs: tuple[str, ...] = ("PCMU", "PCMA"),
        work_dir: Path | None = None,
        regint: int = 600,
        extra_account_params: str = "",
        config: dict[str, str | None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """`config`: lines of baresip's config replaced (None: left out, baresip's default);
        `env`: more environment (PULSE_SINK for its ALSA "pulse" device, say)."""
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"baresip-{user}-"))
        self.rec_dir = self.work_dir / "rec"
        self.log_path = self.work_dir / "baresip.log"
        self.pbx_port, self.user, self.password = pbx_port, user, password
        self.domain, self.tone_hz, self.answermode = domain, tone_hz, answermode
        self.transport, self.codecs, self.regint = transport, codecs, regint
        self.extra_account_params = extra_account_params
        self.config_overrides = dict(config or {})
        self.extra_env = dict(env or {})
        self.sip_port = _free_sip_port()
        self.ctrl_port = free_tcp_port()
        while self.ctrl_port in (self.sip_port, self.sip_port + 1):
            self.ctrl_port = free_tcp_port()
        self.account_line = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctrl: BaresipCtrl | None = None

    # -- config -----------------------------------------------------------------------------
    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    def _write_config(self) -> None:
        self.rec_dir.mkdir(parents=True, exist_ok=True)
        config = f"""\
poll_method epoll
sip_listen {HOST}:{self.sip_port}
net_interface {HOST}
audio_player aubridge,nil
audio_source ausine,{self.tone_hz}
audio_alert aubridge,nil
ausrc_srate 48000
auplay_srate 48000
ausrc_channels 2
auplay_channels 2
audio_buffer 20-160
jitter_buffer_delay 1-10
module_path {MODULE_PATH}
module g711.so
module g722.so
module ausine.so
module aubridge.so
module sndfile.so
snd_path {self.rec_dir}
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen {HOST}:{self.ctrl_port}
"""
        for key, value in self.config_overrides.items():
            lines = [ln for ln in config.splitlines() if ln.split(" ", 1)[0] != key]
            if value is not None:
                lines.append(f"{key} {value}")
            config = "\n".join(lines) + "\n"
        (self.work_dir / "config").write_text(config)
        outbound = f"sip:{HOST}:{self.pbx_port}"
        if self.transport != "udp":
            outbound += f";transport={self.transport}"
        self.account_line = (
            f"<sip:{self.user}@{self.domain}>;auth_pass={self.password}"
            f';outbound="{outbound}";answermode={self.answermode}'
            f";regint={self.regint};audio_codecs={','.join(self.codecs)}"
            f"{self.extra_account_params}"
        )
        # The account is added over ctrl_tcp after connecting ("uanew"): registering at
        # startup would finish before the ctrl client connects and its event be lost.
        (self.work_dir / "accounts").write_text("")
        # baresip writes a default "contacts" file otherwise; keep the dir self-contained.
        (self.work_dir / "contacts").write_text("")

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, wait_registered: bool = True, timeout: float = 10.0) -> Baresip:
        if self.proc is not None:
            raise RuntimeError("already started")
        self._write_config()
        # HOME too: some modules look for ~/.baresip when -f is incomplete.
        env = {**os.environ, "HOME": str(self.work_dir), **self.extra_env}
        if "ALSA_CONFIG_PATH" not in self.extra_env:
            # The app's ALSA settings (softphone.audio.portaudio) are in this process's
            # environment once it played a sound: the peer runs with the system's own.
            env.pop("ALSA_CONFIG_PATH", None)
        shim = loopback_shim()
        if shim is not None:
            env["LD_PRELOAD"] = str(shim)
        self.proc = spawn(
            [BARESIP_BIN, "-f", str(self.work_dir)], self.log_path, cwd=self.work_dir, env=env
        )
        try:
            self.ctrl = BaresipCtrl(self.ctrl_port, connect_timeout=timeout)
            self.ctrl.command("uanew", self.account_line)
            if wait_registered:
                self.wait_registered(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Graceful quit (unregisters), then SIGTERM, then SIGKILL — all by PID."""
        proc, self.proc = self.proc, None
        if self.ctrl is not None:
            with contextlib.suppress(CtrlError, OSError):
                if proc is not None and proc.poll() is None:
                    self.ctrl.command("quit", timeout=1.0)
            self.ctrl.close()
            self.ctrl = None
        if proc is None:
            return
        # baresip waits for its un-REGISTER; a second SIGTERM forces the exit.
        for sig, wait in (
            (None, 1.5),
            (signal.SIGTERM, 1.0),
            (signal.SIGTERM, 1.0),
            (signal.SIGKILL, 5.0),
        ):
            if proc.poll() is not None:
                break
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Baresip:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control -----------------------------------------------------------------------------
    def _c(self) -> BaresipCtrl:
        if self.ctrl is None:
            raise RuntimeError("baresip not started")
        return self.ctrl

    @property
    def events(self) -> list[Event]:
        return list(self._c().events)

    def mark(self) -> int:
        """Index to pass as `start` so wait_for_event only sees later events."""
        return len(self._c().events)

    def command(self, command: str, params: str = "") -> str:
        return self._c().command(command, params)

    def wait_for_event(self, match: EventMatch, timeout: float = 10.0, start: int = 0) -> Event:
        try:
            return self._c().wait_for_event(match, timeout, start)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- baresip log:\n{log_tail(self.log_path)}") from None

    def wait_registered(self, timeout: float = 10.0, start: int = 0) -> Event:
        """Wait for REGISTER_OK (at event index >= start); REGISTER_FAIL raises CtrlError."""
        ev = self.wait_for_event(
            lambda e: e.get("type") in ("REGISTER_OK", "REGISTER_FAIL"), timeout, start
        )
        if ev["type"] != "REGISTER_OK":
            raise CtrlError(f"registration failed: {ev.get('param')}")
        return ev

    def reregister(self, timeout: float = 10.0) -> Event:
        """Re-create the UA so it REGISTERs now (e.g. after Kamailio.restart())."""
        mark = self.mark()
        self.command("uadel", self.aor)
        self.command("uanew", self.account_line)
        return self.wait_registered(timeout, start=mark)

    def dial(self, uri: str) -> None:
        """Call uri; a bare extension becomes sip:EXT@domain."""
        if not uri.startswith(("sip:", "sips:")):
            uri = f"sip:{uri}@{self.domain}"
        self.command("dial", uri)

    def accept(self) -> None:
        self.command("accept")

    def hangup(self) -> None:
        self.command("hangup")

    def send_dtmf(self, digits: str) -> None:
        """RFC 4733 digits, one per sndcode command with a key release in between."""
        for digit in digits:
            self.command("sndcode", digit)
            time.sleep(0.12)

    def received_wavs(self) -> list[Path]:
        """WAVs of decoded (received) audio, oldest first."""
        return sorted(self.rec_dir.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime)

    def sent_wavs(self) -> list[Path]:
        return sorted(self.rec_dir.glob("dump-*-enc.wav"), key=lambda p: p.stat().st_mtime)
