"""nginx serving per-user provisioning documents behind HTTP Basic auth, and dnsmasq with
NAPTR/SRV/TXT records; both on 127.0.0.1 with free ports, started and stopped by PID."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from pbx.certs import write_self_signed
from pbx.ports import HOST, free_tcp_port, free_udp_tcp_port
from pbx.procs import log_tail, spawn, stop_tree
from softphone.settings.trust import TrustStore, fingerprint

NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"
DNSMASQ_BIN = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"

_NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
{user}
events {{ worker_connections 64; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  types {{ application/json json; }}
  server {{
    listen {host}:{port} ssl;
    ssl_certificate {dir}/cert.pem;
    ssl_certificate_key {dir}/key.pem;
    root {dir}/www;
    etag on;
    # One document per user; a user reads only their own (the name is the login).
    location ~ ^/softphone/(?<who>[^/]+)\\.json$ {{
      auth_basic "softphone provisioning";
      auth_basic_user_file {dir}/htpasswd;
      if ($who != $remote_user) {{ return 403; }}
    }}
    location / {{ return 404; }}
  }}
}}
"""


class ProvisioningServer:
    """nginx with a self-signed certificate for 127.0.0.1 (the test decides whether to trust
    it); `users` maps e-mail -> password, `documents` e-mail -> JSON object."""

    def __init__(self, work_dir: Path) -> None:
        self.dir = work_dir
        self.port = free_tcp_port()
        self.users: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}/softphone/{{email}}.json"

    @property
    def cert_path(self) -> Path:
        return self.dir / "cert.pem"

    def trust_in(self, store: TrustStore) -> None:
        """Trust this server's certificate in an app's trust store, as a user who checked the
        SHA-256 the app showed (the tests give the app's, the demo its data directory's)."""
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        store.trust(f"{HOST}:{self.port}", fingerprint(cert))

    def add_user(self, email: str, password: str, document: dict[str, Any] | None) -> None:
        self.users[email] = password
        self._write_htpasswd()
        path = self.dir / "www" / "softphone" / f"{email}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if document is None:
            path.unlink(missing_ok=True)
        else:
            self.put_raw(email, json.dumps(document).encode())

    def put_raw(self, email: str, body: bytes) -> None:
        path = self.dir / "www" / "softphone" / f"{email}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def _write_htpasswd(self) -> None:
        # nginx reads "{PLAIN}" passwords: fine for a test server on loopback.
        lines = "".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items())
        (self.dir / "htpasswd").write_text(lines)
        os.chmod(self.dir / "htpasswd", 0o644)

    def start(self, timeout: float = 10.0) -> ProvisioningServer:
        for sub in ("www/softphone", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)  # the worker (nobody when started as root) reads the files
        write_self_signed(self.cert_path, self.dir / "key.pem", [HOST], ca=True)
        self._write_htpasswd()
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = self.dir / "nginx.conf"
        conf.write_text(_NGINX_CONF.format(dir=self.dir, host=HOST, port=self.port, user=user))
        self.proc = spawn([NGINX_BIN, "-c", str(conf), "-p", str(self.dir)], self.dir / "run.log")
        _wait_tcp(self.port, timeout, self.proc, self.dir / "error.log")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc, sig=15)  # TERM: nginx's fast shutdown, workers included
            self.proc = None


class DnsServer:
    """dnsmasq answering only from its command line (no upstream, no /etc/hosts)."""

    def __init__(self, work_dir: Path) -> None:
        self.dir = work_dir
        self.port = free_udp_tcp_port()
        self.records: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """For SOFTPHONE_DNS_SERVER."""
        return f"{HOST}:{self.port}"

    def host(self, name: str, address: str = HOST) -> None:
        self.records.append(f"--host-record={name},{address}")

    def srv(self, name: str, target: str, port: int, priority: int = 10) -> None:
        self.records.append(f"--srv-host={name},{target},{port},{priority},10")

    def naptr(self, name: str, order: int, service: str, replacement: str) -> None:
        self.records.append(f"--naptr-record={name},{order},10,S,{service},,{replacement}")

    def txt(self, name: str, text: str) -> None:
        # No shell in between: no quotes (and no commas in `text`: dnsmasq splits there).
        self.records.append(f"--txt-record={name},{text}")

    def start(self, timeout: float = 10.0) -> DnsServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [
            DNSMASQ_BIN,
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            f"--listen-address={HOST}",
            "--bind-interfaces",
            f"--port={self.port}",
            "--pid-file=",
            "--log-queries",
            "--log-facility=-",
            *(["--user=root"] if os.geteuid() == 0 else []),
            *self.records,
        ]
        self.proc = spawn(argv, self.dir / "dnsmasq.log")
        _wait_tcp(self.port, timeout, self.proc, self.dir / "dnsmasq.log")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc)
            self.proc = None


def _wait_tcp(port: int, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log_tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    stop_tree(proc)
    raise RuntimeError(f"server not listening on {port}:\n{log_tail(log)}")
