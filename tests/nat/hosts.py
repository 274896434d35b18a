"""Processes on the NAT test network: Kamailio on the PBX address, a pj peer, coturn."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from nat.netns import PBX, PEER, TURN, inside
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from pbx.ports import HOST
from pbx.procs import log_tail, spawn, stop_tree
from softphone.diagnostics.netcheck import Status, check_pbx
from softphone.domain.account import AccountConfig, Transport

SIP_PORT = 5060
TURN_PORT = 3478
TURN_USER, TURN_PASSWORD = "nat-test", "turn-secret-1"


class NsKamailio(Kamailio):
    """The test PBX config rendered for PBX address `PBX` instead of 127.0.0.1; start() must
    be called inside the namespace that owns that address."""

    def __init__(self, work_dir: Path, ns: str) -> None:
        super().__init__(work_dir=work_dir, tls=False)
        self.ns = ns
        self.port = SIP_PORT  # the namespace is ours: the standard port is free

    @property
    def address(self) -> str:
        return f"{PBX}:{self.port}"

    def _prepare(self) -> None:
        super()._prepare()
        self.cfg_path.write_text(self.cfg_path.read_text().replace(HOST, PBX))
        con = sqlite3.connect(self.db_path)
        try:
            con.execute("UPDATE subscriber SET domain=?", (PBX,))
            con.commit()
        finally:
            con.close()

    def _wait_ready(self, timeout: float) -> None:
        probe = AccountConfig(server=self.address, user="probe")
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"kamailio exited at startup:\n{log_tail(self.log_path)}")
            result = check_pbx(PBX, self.port, Transport.UDP, True, probe)
            if result.status is Status.OK:
                return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"kamailio not answering OPTIONS:\n{log_tail(self.log_path)}")


def start_peer(pbx: NsKamailio, user: str, work_dir: Path, **kw: Any) -> PjPeer:
    """A pjsua2 peer on the PEER address, registered at `pbx` (started inside its namespace)."""
    peer = PjPeer(pbx.port, user, pbx.users[user], work_dir=work_dir, **kw)
    peer.argv[peer.argv.index("--pbx") + 1] = pbx.address
    peer.argv += ["--sip-address", PEER]
    with inside(pbx.ns):
        return peer.start()


class Coturn:
    """coturn (Debian) as STUN and TURN server on the TURN address, long-term credentials.
    Started by PID in the namespace, never as a system service."""

    def __init__(self, work_dir: Path, ns: str) -> None:
        self.work_dir = work_dir
        self.ns = ns
        self.log_path = work_dir / "turnserver.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{TURN}:{TURN_PORT}"

    def start(self, timeout: float = 10.0) -> Coturn:
        binary = shutil.which("turnserver")
        if binary is None:
            raise RuntimeError("coturn is not installed (build/apt-packages.txt)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        conf = self.work_dir / "turnserver.conf"
        conf.write_text(
            f"listening-ip={TURN}\nrelay-ip={TURN}\nlistening-port={TURN_PORT}\n"
            "min-port=49152\nmax-port=49252\n"
            f"realm=nat.test\nlt-cred-mech\nuser={TURN_USER}:{TURN_PASSWORD}\n"
            "fingerprint\nno-tls\nno-dtls\nno-cli\nno-tcp-relay\n"
            f"userdb={self.work_dir / 'turndb'}\npidfile={self.work_dir / 'turnserver.pid'}\n"
            "log-file=stdout\nsimple-log\nverbose\n"
        )
        with inside(self.ns):
            self.proc = spawn([binary, "-c", str(conf)], self.log_path, cwd=self.work_dir)
        deadline = time.monotonic() + timeout
        while "Total General servers" not in log_tail(self.log_path, 200):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"turnserver did not start:\n{log_tail(self.log_path)}")
            time.sleep(0.1)
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc)
            self.proc = None
