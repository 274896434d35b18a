"""CPU of the app with 1 and 4 simultaneous calls and during a 4-party conference; baresip's
CPU for 1 and 4 calls in the same run. Registered in bench/run.py; standalone:
    .venv/bin/python bench/bench_call_cpu.py   (prints the rows)
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "backend"))

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402

# (name, ours, unit, peer value or None, note): run.py turns it into a Row with baresip.
Add = Callable[[str, float, str, float | None, str], None]

PEERS = {"1002": 450, "1003": 700, "1004": 1350, "1009": 1850}  # each plays its own tone
APP_USER, BARESIP_USER = "1008", "1010"
WINDOW_S = 10.0


def cpu_percent(procs: Callable[[], list[psutil.Process]], seconds: float) -> float:
    """CPU of a process tree over `seconds`, in percent of one core."""
    tree = procs()
    start = {p.pid: sum(p.cpu_times()[:2]) for p in tree}
    time.sleep(seconds)
    used = 0.0
    for p in tree:
        try:
            used += sum(p.cpu_times()[:2]) - start[p.pid]
        except psutil.NoSuchProcess:
            pass
    return 100.0 * used / seconds


def _tree(pid: int) -> list[psutil.Process]:
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


class AppProcess:
    """`softphone --browser` as its own process (its CPU alone), driven over Socket.IO."""

    def __init__(self, pbx: Kamailio, data_dir: Path) -> None:
        env = dict(
            os.environ,
            BENCH_PW=pbx.users[APP_USER],
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone", "--browser", "--data-dir", str(data_dir),
             "--server", f"127.0.0.1:{pbx.port}", "--user", APP_USER, "--password-env",
             "BENCH_PW", "--sip-bind", "127.0.0.1", "--log-level", "WARNING"],
            stdout=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        url = self.proc.stdout.readline().split(" ", 1)[1].strip()
        base, token = url.split("/#token=")
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event)
        self.sio.connect(base, auth={"token": token}, transports=["websocket"])
        self.wait(lambda e: (e.get("registration") or {}).get("state") == "registered")

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(match(e) for e in self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("event not seen")
                self._cond.wait(left)

    def command(self, name: str, **args: Any) -> dict[str, Any]:
        reply: dict[str, Any] = self.sio.call("command", {"name": name, "args": args}, timeout=20)
        assert reply["ok"], (name, reply)
        return reply

    def dial_connected(self, number: str) -> str:
        call_id: str = self.command("call.dial", number=number)["result"]["call_id"]
        self.wait(lambda e: e.get("type") == "call_changed" and e["call"]["id"] == call_id
                  and e["call"]["state"] == "connected")  # fmt: skip
        return call_id

    def cpu(self) -> float:
        return cpu_percent(lambda: _tree(self.proc.pid), WINDOW_S)

    def stop(self) -> None:
        self.sio.disconnect()
        self.proc.terminate()
        self.proc.wait(15)


def bench_call_cpu(pbx: Kamailio, work: Path, add: Add) -> None:
    peers = [
        PjPeer(pbx.port, ext, pbx.users[ext], work_dir=work / f"cpu-peer-{ext}", mode="tone",
               tone_hz=hz).start()
        for ext, hz in PEERS.items()
    ]  # fmt: skip
    try:
        app = AppProcess(pbx, work / "cpu-app")
        try:
            calls = [app.dial_connected(next(iter(PEERS)))]
            time.sleep(1.0)
            one = app.cpu()
            calls += [app.dial_connected(ext) for ext in list(PEERS)[1:]]  # earlier ones held
            time.sleep(1.0)
            four = app.cpu()
            app.command("call.conference")
            time.sleep(2.0)
            conference = app.cpu()
            for call_id in calls:
                app.command("call.hangup", call_id=call_id)
        finally:
            app.stop()
        time.sleep(1.0)
        b_one, b_four = _baresip_cpu(pbx, work)
    finally:
        for peer in peers:
            peer.stop()
    note = "app process + engine process; each pjsua2 peer plays a tone"
    add("CPU with 1 call (connected)", one, "% of a core", b_one, note)
    add("CPU with 4 calls (1 connected, 3 held)", four, "% of a core", b_four,
        note + "; baresip keeps its 4 calls streaming (no auto-hold)")  # fmt: skip
    add("CPU during a 4-party conference (user + 4 remotes)", conference, "% of a core", None,
        note + "; every remote mixed with every other")  # fmt: skip


def _baresip_cpu(pbx: Kamailio, work: Path) -> tuple[float, float]:
    """baresip (with its own audio file source) as the caller: 1 call, then 4."""
    with Baresip(pbx.port, BARESIP_USER, pbx.users[BARESIP_USER], work_dir=work / "cpu-bs") as bs:
        assert bs.pid is not None
        pid = bs.pid
        mark = bs.mark()
        bs.dial(next(iter(PEERS)))
        bs.wait_for_event("CALL_ESTABLISHED", start=mark)
        time.sleep(1.0)
        one = cpu_percent(lambda: _tree(pid), WINDOW_S)
        for ext in list(PEERS)[1:]:
            mark = bs.mark()
            bs.dial(ext)
            bs.wait_for_event("CALL_ESTABLISHED", start=mark)
        time.sleep(1.0)
        four = cpu_percent(lambda: _tree(pid), WINDOW_S)
    return one, four


if __name__ == "__main__":
    import tempfile

    with (
        tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp,
        Kamailio(work_dir=Path(tmp) / "kamailio", tls=False) as pbx,
    ):
        bench_call_cpu(
            pbx,
            Path(tmp),
            lambda n, v, u, peer, note: print(f"| {n} | {v:.1f} | {peer} | {u} | {note} |"),
        )
