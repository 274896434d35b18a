"""A Radicale CardDAV server on 127.0.0.1 with one address book, seeded from files."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

from pbx.ports import HOST, free_tcp_port
from pbx.procs import log_tail, spawn, stop_tree

USER = "dir"
PASSWORD = "dirpw"
BOOK = "company"


class Radicale:
    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self.work_dir = work_dir
        self.port = port or free_tcp_port()
        self.storage = work_dir / "storage"
        self.book_dir = self.storage / "collection-root" / USER / BOOK
        self.log = work_dir / "radicale.log"
        self._proc: object | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/{USER}/{BOOK}/"

    def seed(self, cards: dict[str, str]) -> None:
        """Write cards straight into the storage: hundreds of PUTs would slow every test."""
        self.book_dir.mkdir(parents=True, exist_ok=True)
        (self.book_dir / ".Radicale.props").write_text(json.dumps({"tag": "VADDRESSBOOK"}))
        for name, text in cards.items():
            (self.book_dir / f"{name}.vcf").write_text(text, encoding="utf-8")

    def start(self) -> Radicale:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "users").write_text(f"{USER}:{PASSWORD}\n")
        config = self.work_dir / "config"
        config.write_text(
            f"[server]\nhosts = {HOST}:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {self.work_dir / 'users'}\n"
            "htpasswd_encryption = plain\n"
            f"[storage]\nfilesystem_folder = {self.storage}\n"
            "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n"
        )
        self._proc = proc = spawn(
            [sys.executable, "-m", "radicale", "--config", str(config)], self.log
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"radicale exited:\n{log_tail(self.log)}")
            try:
                requests.get(f"http://{HOST}:{self.port}/.web/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"radicale did not start:\n{log_tail(self.log)}")

    def stop(self) -> None:
        if self._proc is not None:
            stop_tree(self._proc)  # type: ignore[arg-type]
            self._proc = None

    def put(self, name: str, text: str) -> None:
        r = requests.put(
            f"{self.url}{name}.vcf",
            data=text.encode(),
            auth=(USER, PASSWORD),
            headers={"Content-Type": "text/vcard"},
            timeout=10,
        )
        assert r.status_code in (201, 204), (r.status_code, r.text)

    def delete(self, name: str) -> None:
        r = requests.delete(f"{self.url}{name}.vcf", auth=(USER, PASSWORD), timeout=10)
        assert r.status_code in (200, 204), (r.status_code, r.text)
