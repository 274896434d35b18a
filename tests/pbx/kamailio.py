"""Kamailio 5.6 as a throwaway test PBX on 127.0.0.1 (UDP/TCP/TLS, auth, presence, BLF)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from pbx import sipdb
from pbx.certs import write_self_signed
from pbx.ports import HOST, free_tcp_port, free_udp_tcp_port
from pbx.procs import log_tail, spawn, stop_tree
from pbx.sip_udp import options_ping

TEMPLATE = Path(__file__).with_name("kamailio.cfg.tmpl")
KAMAILIO_BIN = shutil.which("kamailio") or "/usr/sbin/kamailio"
KAMCMD_BIN = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
_SUN_PATH_MAX = 100  # a unix socket path longer than sun_path (108 bytes) cannot be bound


def default_users() -> dict[str, str]:
    """Extensions 1001..1010 with password "pw" + extension."""
    return {str(ext): f"pw{ext}" for ext in range(1001, 1011)}


class Kamailio:
    """One Kamailio child process with its own work dir, sqlite DB and ports.

    Use as a context manager or call start()/stop(). `port` serves UDP and TCP,
    `tls_port` TLS (certificate `cert_path`, which is also its own CA file).
    """

    def __init__(
        self,
        work_dir: Path | None = None,
        domain: str = HOST,
        users: dict[str, str] | None = None,
        tls: bool = True,
        debug: int = 2,
    ) -> None:
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="kamailio-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.domain = domain
        self.users: dict[str, str] = dict(users or default_users())
        self.tls = tls
        self.debug = debug
        self.port = free_udp_tcp_port()
        self.tls_port = free_tcp_port() if tls else 0
        self.cfg_path = self.work_dir / "kamailio.cfg"
        self.db_path = self.work_dir / "kamailio.sqlite"
        self.log_path = self.work_dir / "kamailio.log"
        self.cert_path = self.work_dir / "cert.pem"
        self.key_path = self.work_dir / "key.pem"
        self.run_dir = self.work_dir / "run"
        self.ctl_socket = self.run_dir / "ctl.sock"
        if len(str(self.ctl_socket)) > _SUN_PATH_MAX:  # pytest's tmp_path can be that long
            self.ctl_socket = Path(tempfile.mkdtemp(prefix="kamctl-")) / "ctl.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        self._prepared = False

    # -- public helpers -------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def address(self) -> str:
        """host:port of the UDP/TCP listener, e.g. for an outbound proxy."""
        return f"{HOST}:{self.port}"

    def aor(self, user: str) -> str:
        return f"sip:{user}@{self.domain}"

    def set_password(self, user: str, password: str) -> None:
        """Change a password in the live DB (auth_db reads it per request)."""
        sipdb.set_password(self.db_path, user, password)
        self.users[user] = password

    def kamcmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one RPC command of this Kamailio (over its ctl unix socket)."""
        return subprocess.run(
            [KAMCMD_BIN, "-s", f"unix:{self.ctl_socket}", *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )

    def set_register_delay(self, seconds: float) -> None:
        """Answer every REGISTER `seconds` late from now on (0: at once again)."""
        done = self.kamcmd("pv.shvSet", "register_delay_us", "int", str(int(seconds * 1e6)))
        if done.returncode != 0 or "error" in done.stdout:
            raise RuntimeError(f"kamcmd failed: {done.stdout}{done.stderr}")

    def bindings(self, user: str) -> list[str]:
        """The Contacts the registrar holds for `user` now, read from its location table."""
        done = self.kamcmd("ul.lookup", "location", f"s:{user}")
        if done.returncode != 0:
            if "404" in done.stdout + done.stderr:  # "AOR not found": no binding at all
                return []
            raise RuntimeError(f"kamcmd failed: {done.stdout}{done.stderr}")
        return [
            line.split(":", 1)[1].strip()
            for line in done.stdout.splitlines()
            if line.strip().startswith("Address:")
        ]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- lifecycle ---------------------------------------------------------------------
    def _prepare(self) -> None:
        """Render config, DB and certificate once; restart() reuses them."""
        self.run_dir.mkdir(exist_ok=True)
        # A reused work_dir (e.g. the demo's) must not keep an old DB: tables would clash.
        self.db_path.unlink(missing_ok=True)
        sipdb.create_db(self.db_path, self.users, self.domain)
        if self.tls:
            write_self_signed(self.cert_path, self.key_path, [HOST, self.domain])
            (self.work_dir / "tls.cfg").write_text(
                "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                f"require_certificate = no\nprivate_key = {self.key_path}\n"
                f"certificate = {self.cert_path}\n\n"
                "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                "require_certificate = no\n"
            )
        extra_aliases = []
        if self.domain != HOST:
            extra_aliases += [f'alias="{self.domain}"', f'alias="{self.domain}:{self.port}"']
        if self.tls:
            extra_aliases.append(f'alias="{HOST}:{self.tls_port}"')
        subst = {
            "DEBUG": str(self.debug),
            "PORT": str(self.port),
            "DOMAIN": self.domain,
            "TLS_PORT_OR_0": str(self.tls_port),
            "DB_PATH": str(self.db_path),
            "CTL_SOCKET": str(self.ctl_socket),
            "EXTRA_ALIASES": "\n".join(extra_aliases),
            "ENABLE_TLS": "yes" if self.tls else "no",
            "TLS_LISTEN": f"listen=tls:{HOST}:{self.tls_port}" if self.tls else "",
            "TLS_LOADMODULE": 'loadmodule "tls.so"' if self.tls else "",
            "TLS_MODPARAMS": (
                f'modparam("tls", "config", "{self.work_dir / "tls.cfg"}")' if self.tls else ""
            ),
        }
        text = TEMPLATE.read_text()
        for key, value in subst.items():
            text = text.replace(f"@@{key}@@", value)
        if "@@" in text:
            raise ValueError("unrendered placeholder in kamailio.cfg.tmpl")
        self.cfg_path.write_text(text)
        self._prepared = True

    def start(self, timeout: float = 10.0) -> Kamailio:
        """Start and wait for OPTIONS 200; on a first start, retry with new ports if taken."""
        if self.proc is not None:
            raise RuntimeError("already started")
        first_start = not self._prepared
        for attempt in range(3):
            if not self._prepared:
                self._prepare()
            try:
                self._spawn(timeout)
                return self
            except RuntimeError:
                # Another process may grab a probed port before Kamailio binds it.
                in_use = "Address already in use" in log_tail(self.log_path, 80)
                if not (first_start and in_use) or attempt == 2:
                    raise
                self.port = free_udp_tcp_port()
                self.tls_port = free_tcp_port() if self.tls else 0
                self._prepared = False
        raise AssertionError("unreachable")

    def _spawn(self, timeout: float) -> None:
        argv = [
            KAMAILIO_BIN, "-DD", "-E", "-m", "64", "-M", "8",
            "-Y", str(self.run_dir), "-w", str(self.work_dir), "-f", str(self.cfg_path),
        ]  # fmt: skip
        self.proc = spawn(argv, self.log_path, cwd=self.work_dir)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"kamailio exited at startup:\n{log_tail(self.log_path)}")
            if options_ping(self.port) == 200:
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"kamailio not answering OPTIONS:\n{log_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM the main PID (it stops its workers), then reap stragglers by PID."""
        if self.proc is not None:
            stop_tree(self.proc)
            self.proc = None

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop and start again on the same ports and DB (registrations are lost)."""
        self.stop()
        if down_seconds:
            time.sleep(down_seconds)
        self.start()

    def cleanup(self) -> None:
        """Stop and remove the work dir if we created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Kamailio:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
