"""Incoming INVITE to the ringing call in the UI (Chromium) and to the OS notification.

Real parts: baresip calls the app through Kamailio over loopback UDP. Three clocks, all
CLOCK_REALTIME on this machine:
- t0: the kernel's receive timestamp (SO_TIMESTAMPNS) of the caller's INVITE on `lo`,
  captured with an AF_PACKET socket (root only) and a BPF filter for UDP payloads starting
  "INVI". The INVITE that counts is the one Kamailio forwards: the caller's authenticated
  re-send after Kamailio's 407 (the challenge round trip is the PBX's, not ours).
- t1: in the page, a MutationObserver sees the Answer button of a ringing call; the time is
  taken in the next requestAnimationFrame (the frame that paints it), as
  performance.timeOrigin + performance.now() (epoch ms).
- t2: bench/notify_server.py, a minimal org.freedesktop.Notifications server on a private
  D-Bus session bus, timestamps the Notify method call as it handles it.

Registered in bench/run.py; standalone (prints the rows):
    .venv/bin/python bench/bench_incoming.py
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "bench"))

from playwright.sync_api import sync_playwright  # noqa: E402

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402

# (name, value, unit, note): how run.py's Row is filled without importing run.py here.
Add = Callable[[str, float, str, str], None]

CALLS = 20
WARMUP = 3
CALLEE, CALLER = "1008", "1002"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]

ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35
# Classic BPF on `lo` (14-byte Ethernet header): IPv4 UDP, not a fragment, payload "INVI".
_BPF = [
    (0x30, 0, 0, 23),  # ldb [23]          IP protocol
    (0x15, 0, 6, 17),  # jeq #17 (UDP)     else drop
    (0x28, 0, 0, 20),  # ldh [20]          flags + fragment offset
    (0x45, 4, 0, 0x1FFF),  # jset #0x1fff  a fragment: drop
    (0xB1, 0, 0, 14),  # ldxb 4*([14]&0xf) IP header length
    (0x40, 0, 0, 22),  # ld [x+22]         first 4 payload bytes (14 + 8 UDP)
    (0x15, 0, 1, 0x494E5649),  # jeq "INVI"
    (0x06, 0, 0, 0xFFFF),  # ret: keep
    (0x06, 0, 0, 0),  # ret: drop
]
_CALL_ID = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)", re.IGNORECASE)
_AUTHORIZED = re.compile(rb"\r\nproxy-authorization[ \t]*:", re.IGNORECASE)

_RING_OBSERVER = """() => {
    window.__rings = [];
    let was = false;
    new MutationObserver(() => {
        const now = !!document.querySelector('.call-card--ringing_in .button--success');
        if (now && !was) {
            const dom = performance.timeOrigin + performance.now();
            requestAnimationFrame(() => window.__rings.push(
                {dom, frame: performance.timeOrigin + performance.now()}));
        }
        was = now;
    }).observe(document.body, {childList: true, subtree: true, attributes: true});
}"""


@dataclass
class Invite:
    at_ns: int
    dport: int
    call_id: bytes
    authorized: bool


@dataclass
class InviteSniffer:
    """Every INVITE on loopback UDP with its kernel receive time (CLOCK_REALTIME)."""

    invites: list[Invite] = field(default_factory=list)
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        prog = (ctypes.c_ubyte * (8 * len(_BPF)))()
        for i, (code, jt, jf, k) in enumerate(_BPF):
            struct.pack_into("HBBI", prog, 8 * i, code, jt, jf, k)
        fprog = struct.pack("HL", len(_BPF), ctypes.addressof(prog))
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(("lo", ETH_P_IP))
        sock.settimeout(0.5)
        self._prog = prog  # the kernel copied it; kept only for clarity of lifetime
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="invite-sniffer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = self._sock
        while sock is not None and sock.fileno() >= 0:
            try:
                data, anc, _, _ = sock.recvmsg(65535, socket.CMSG_SPACE(16))
            except TimeoutError:
                continue
            except OSError:
                return
            at_ns = time.time_ns()  # fallback only; the kernel stamp below is the one used
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    at_ns = sec * 1_000_000_000 + nsec
            ihl = (data[14] & 0x0F) * 4
            dport = struct.unpack_from("!H", data, 14 + ihl + 2)[0]
            payload = data[14 + ihl + 8 :]
            match = _CALL_ID.search(payload)
            if match:
                self.invites.append(
                    Invite(
                        at_ns,
                        dport,
                        match.group(1).strip(),
                        bool(_AUTHORIZED.search(payload)),
                    )
                )

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)

    def sent_by_caller(self, pbx_port: int, after_ns: int, timeout: float = 5.0) -> Invite:
        """The caller's INVITE that Kamailio forwards (its first authorized one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [i for i in list(self.invites) if i.dport == pbx_port and i.at_ns >= after_ns]
            authorized = [i for i in mine if i.authorized]
            if authorized:
                return authorized[0]
            time.sleep(0.01)
        raise TimeoutError("no authorized INVITE from the caller was captured")

    def forwarded(self, pbx_port: int, call_id: bytes) -> Invite | None:
        hops = [i for i in self.invites if i.call_id == call_id and i.dport != pbx_port]
        return hops[0] if hops else None


@contextlib.contextmanager
def notification_server(work: Path) -> Iterator[tuple[list[tuple[int, str]], str]]:
    """A private session bus and bench/notify_server.py on it; yields (notifies, address)."""
    work.mkdir(parents=True, exist_ok=True)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server: subprocess.Popen[str] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "notify_server.py")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=(work / "notify_server.log").open("wb"),
            text=True,
        )
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("notify_server did not start: see notify_server.log")
        notifies: list[tuple[int, str]] = []

        def read(stream: object = server.stdout) -> None:
            for line in stream:  # type: ignore[attr-defined]
                _, ns, _, text = line.rstrip("\n").split(" ", 3)
                notifies.append((int(ns), text))

        threading.Thread(target=read, daemon=True).start()
        yield notifies, address
    finally:
        for proc in (server, bus):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Samples:
    ui_ms: list[float] = field(default_factory=list)
    ui_dom_ms: list[float] = field(default_factory=list)
    notify_ms: list[float] = field(default_factory=list)
    pbx_hop_ms: list[float] = field(default_factory=list)


def measure(pbx: Kamailio, work: Path, calls: int = CALLS, warmup: int = WARMUP) -> Samples:
    out = Samples()
    sniffer = InviteSniffer()
    sniffer.start()
    try:
        with notification_server(work / "notify") as (notifies, address):
            env = {"DBUS_SESSION_BUS_ADDRESS": address, "SOFTPHONE_NOTIFICATIONS": "1"}
            with (
                _environ(**env),
                running_app(work / "incoming-app", log_level=1) as app,
                Baresip(pbx.port, CALLER, pbx.users[CALLER], work_dir=work / "caller") as peer,
                sync_playwright() as pw,
            ):
                ui = UiClient(app)
                assert sign_in(ui, pbx.port, CALLEE, pbx.users[CALLEE])["ok"]
                assert ui.command("settings.update", language="en")["ok"]
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(app.url)
                page.get_by_text("Registered", exact=True).wait_for(timeout=15_000)
                page.evaluate(_RING_OBSERVER)
                for n in range(warmup + calls):
                    _one_call(pbx, ui, peer, page, sniffer, notifies, out if n >= warmup else None)
                browser.close()
                ui.close()
    finally:
        sniffer.stop()
    return out


def _one_call(  # noqa: PLR0917  (one call's parts, named at the only call site)
    pbx: Kamailio,
    ui: UiClient,
    peer: Baresip,
    page: object,
    sniffer: InviteSniffer,
    notifies: list[tuple[int, str]],
    out: Samples | None,
) -> None:
    rings = int(page.evaluate("window.__rings.length"))  # type: ignore[attr-defined]
    shown = len(notifies)
    mark, peer_mark = ui.mark(), peer.mark()
    before_ns = time.time_ns()
    peer.dial(CALLEE)
    call = ui.wait_call_state("ringing_in", start=mark)
    invite = sniffer.sent_by_caller(pbx.port, before_ns)
    deadline = time.monotonic() + 10.0
    while len(notifies) <= shown or int(page.evaluate("window.__rings.length")) <= rings:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError("no ringing UI or no notification within 10 s")
        time.sleep(0.01)
    ring = page.evaluate(f"window.__rings[{rings}]")  # type: ignore[attr-defined]
    notify_ns, text = notifies[shown]
    assert text.startswith("Incoming call|"), text
    # One clock (CLOCK_REALTIME) for all three: an effect before its cause means it is not.
    if min(float(ring["dom"]), notify_ns / 1e6) <= invite.at_ns / 1e6:
        raise RuntimeError(f"clocks disagree: INVITE {invite.at_ns}, ring {ring}, {notify_ns}")
    if out is not None:
        t0_ms = invite.at_ns / 1e6
        out.ui_ms.append(float(ring["frame"]) - t0_ms)
        out.ui_dom_ms.append(float(ring["dom"]) - t0_ms)
        out.notify_ms.append(notify_ns / 1e6 - t0_ms)
        hop = sniffer.forwarded(pbx.port, invite.call_id)
        if hop is not None:
            out.pbx_hop_ms.append((hop.at_ns - invite.at_ns) / 1e6)
    peer.hangup()
    peer.wait_for_event("CALL_CLOSED", start=peer_mark)
    ui.wait_for(lambda e: e == {"type": "call_removed", "call_id": call["id"]}, 10.0, mark)
    time.sleep(0.3)


def run_all(pbx: Kamailio, work: Path, add: Add) -> None:
    try:
        s = measure(pbx, work)
    except PermissionError as exc:  # AF_PACKET needs root (or CAP_NET_RAW)
        print(f"bench_incoming: skipped, no packet capture: {exc}", file=sys.stderr)
        return
    hop = f"Kamailio's own hop p50 {pct(s.pbx_hop_ms, 50):.1f} ms" if s.pbx_hop_ms else ""
    add(
        f"incoming INVITE to ringing UI painted (median of {len(s.ui_ms)})",
        statistics.median(s.ui_ms),
        "ms",
        f"p95 {pct(s.ui_ms, 95):.1f} ms; DOM insert p50 {pct(s.ui_dom_ms, 50):.1f} ms; t0 ="
        f" caller's INVITE on lo (kernel stamp), via Kamailio; {hop}; Chromium",
    )
    add(
        f"incoming INVITE to OS notification (Notify received, median of {len(s.notify_ms)})",
        statistics.median(s.notify_ms),
        "ms",
        f"p95 {pct(s.notify_ms, 95):.1f} ms; stamped in a minimal notification server's"
        " Notify handler (bench/notify_server.py), private D-Bus session",
    )


if __name__ == "__main__":
    import tempfile

    import keyring

    from support.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    with (
        tempfile.TemporaryDirectory(prefix="bench-incoming-") as tmp,
        Kamailio(work_dir=Path(tmp) / "kamailio", tls=False) as pbx,
    ):
        run_all(
            pbx,
            Path(tmp),
            lambda name, value, unit, note: print(f"{name}: {value:.1f} {unit} ({note})"),
        )
