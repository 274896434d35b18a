"""Installed softphone (.deb) vs Linphone desktop: start to first paint, to registered, idle PSS.

Both programs are measured the same way, each on its own Xvfb, its own D-Bus session bus and
a fresh HOME/XDG tree (so every first launch is a first launch after install):
- first paint: the Xvfb framebuffer is read every 50 ms; the first frame in which at least
  1 % of the screen differs from the empty screen and the changed pixels hold at least 8
  distinct colours (text, icons: not a blank window background) counts. Time from the
  exec of the program.
- UI shown: a program may first paint a splash page (ours does, while its engine starts): the
  first frame after the first paint in which at least 10 % of the screen differs from the
  first-paint frame; if none comes within 10 s, the first paint was the UI. Same rule for both.
- registered: a packet socket on the loopback interface sees Kamailio send "200 OK" to the
  REGISTER of the test user (with a Contact, i.e. a binding), time from the same exec.
- idle memory: 20 s after both, the PSS (and RSS) sum over /proc/<pid>/smaps_rollup of the
  program and all its descendants (softphone: app, engine, Qt WebEngine processes).
The first launch is cold: a fresh process, fresh per-user dirs, and (as root, where the
kernel permits) an empty OS page cache (`echo 3 > /proc/sys/vm/drop_caches`), so both read
their files from disk as after a boot. Two more launches with fresh dirs give a warm median.

Needs root (or CAP_NET_RAW) for the packet socket, and `linphone-desktop` installed.
Run alone: `.venv/bin/python bench/bench_startup.py [--merge]` prints the rows (and puts
them into bench/results.md/json).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from e2e.window_harness import Display, write_png, xvfb_display  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from support import deb_package  # noqa: E402

LINPHONE = shutil.which("linphone") or "/usr/bin/linphone"
SCREEN = (1280, 800)
IDLE_SECONDS = 20.0
WARM_RUNS = 2
ETH_P_ALL = 0x0003

# (name, softphone value, Linphone value or None, unit, note)
RowSink = Callable[[str, float, float | None, str, str], None]


@dataclass
class Launch:
    """One launch of one program: times from exec, in ms, and idle memory in MiB."""

    first_paint_ms: float
    mapped_ms: float
    ui_ms: float
    registered_ms: float
    pss_mib: float = 0.0
    rss_mib: float = 0.0
    processes: int = 0
    screenshot: Path | None = None


@dataclass
class Program:
    """How to start one client: argv and environment, given its fresh home dir and user."""

    name: str
    user: str
    command: Callable[[Path], tuple[list[str], dict[str, str]]]
    is_peer: bool = False
    launches: list[Launch] = field(default_factory=list)
    cache_dropped: bool = False  # the cold launch began with an empty page cache
    error: str = ""


# -- Kamailio's 200 OK to REGISTER, seen on the loopback interface ----------------------------


class RegisterSniffer:
    """Records when Kamailio (UDP/TCP source port `pbx_port`) answers a REGISTER with a binding."""

    def __init__(self, pbx_port: int) -> None:
        self.pbx_port = pbx_port
        self.first_ok: dict[str, float] = {}  # user -> time.monotonic() of the first 200
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            now = time.monotonic()
            payload = self._sip_payload(frame)
            if payload is None or not payload.startswith(b"SIP/2.0 200"):
                continue
            head = payload.split(b"\r\n\r\n", 1)[0].lower()
            if b" register\r\n" not in head or (
                b"\r\ncontact:" not in head and b"\r\nm:" not in head
            ):
                continue
            for line in head.split(b"\r\n"):
                if line.startswith((b"to:", b"t:")) and b"sip:" in line:
                    user = line.split(b"sip:", 1)[1].split(b"@", 1)[0].decode(errors="replace")
                    with self._cond:
                        self.first_ok.setdefault(user, now)
                        self._cond.notify_all()

    def _sip_payload(self, frame: bytes) -> bytes | None:
        ip = frame[14:]  # loopback frames carry a zeroed 14-byte Ethernet header
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return None
        ihl = (ip[0] & 0x0F) * 4
        proto = ip[9]
        l4 = ip[ihl:]
        if len(l4) < 8 or struct.unpack(">H", l4[:2])[0] != self.pbx_port:
            return None
        if proto == 17:
            return l4[8:]
        if proto == 6 and len(l4) >= 20:
            return l4[(l4[12] >> 4) * 4 :]
        return None

    def reset(self, user: str) -> None:
        with self._cond:
            self.first_ok.pop(user, None)

    def wait(self, user: str, timeout: float, alive: Callable[[], bool]) -> float:
        deadline = time.monotonic() + timeout
        with self._cond:
            while user not in self.first_ok:
                if time.monotonic() > deadline or not alive():
                    raise TimeoutError(f"no REGISTER 200 for {user}")
                self._cond.wait(0.1)
            return self.first_ok[user]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


# -- first paint, seen in the Xvfb framebuffer ---------------------------------------------------


UI_CHANGE = 0.10  # share of the screen that must change after the first paint: a new page
UI_WAIT_S = 10.0  # no such change within this: the first paint was the UI itself


def _watch_paint(
    display: Display, baseline: np.ndarray, result: dict[str, float], stop: threading.Event
) -> None:
    """Fill result["mapped"] (screen changed), ["paint"] (changed with content), ["ui"]."""
    threshold = baseline.shape[0] * baseline.shape[1] // 100
    first: np.ndarray | None = None
    while not stop.is_set() and "ui" not in result:
        with contextlib.suppress(ValueError, OSError):  # a frame caught mid-update
            frame = display.grab()
            now = time.monotonic()
            if first is None:
                changed = np.any(frame != baseline, axis=-1)
                count = int(changed.sum())
                if count:
                    result.setdefault("mapped", now)
                if count >= threshold:
                    pixels = frame[changed][::3].astype(np.uint32)
                    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
                    if len(np.unique(packed)) >= 8:
                        result["paint"] = now
                        first = frame
            elif int(np.any(frame != first, axis=-1).sum()) >= threshold * UI_CHANGE * 100:
                result["ui"] = now
            elif now - result["paint"] > UI_WAIT_S:
                result["ui"] = result["paint"]
        stop.wait(0.05)


# -- process tree memory --------------------------------------------------------------------------


def tree_memory(pid: int) -> tuple[float, float, int]:
    """(PSS, RSS) in MiB summed over pid and its descendants from smaps_rollup, and the count."""
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    pss = rss = 0
    counted = 0
    for proc in procs:
        try:
            text = Path(f"/proc/{proc.pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        counted += 1
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss / 1024, rss / 1024, counted


def _stop_tree(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the program, then every descendant it had, by PID; SIGKILL what stays."""
    try:
        known = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        known = []
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    alive = [p for p in known if p.is_running()]
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, left = psutil.wait_procs(alive, timeout=5)
    for p in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


@contextlib.contextmanager
def session_bus(run_dir: Path) -> Iterator[str]:
    """A private D-Bus session bus (stopped by PID): both programs get the same one."""
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=run_dir,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        if not address:
            raise RuntimeError("dbus-daemon printed no address")
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


def _fresh_env(home: Path, display: Display, bus: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SOFTPHONE_FRONTEND_DIR", "QT_QPA_PLATFORM", "PULSE_SERVER"):
        env.pop(name, None)
    for name, value in display.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    runtime = home / "run"
    runtime.mkdir(parents=True, mode=0o700)
    # No PulseAudio daemon is spawned behind our back (it would outlive the run): the same
    # audio situation for both programs.
    pulse_conf = home / "pulse-client.conf"
    pulse_conf.write_text("autospawn = no\n")
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        DBUS_SESSION_BUS_ADDRESS=bus,
        PULSE_CLIENTCONFIG=str(pulse_conf),
    )
    return env


def launch(
    program: Program,
    sniffer: RegisterSniffer,
    work: Path,
    *,
    measure_memory: bool,
    screenshot: Path | None = None,
    timeout: float = 90.0,
) -> Launch:
    """Start the program once on a fresh display, bus and home; measure; stop it by PID."""
    home = work / "home"
    home.mkdir(parents=True)
    log_path = work / "program.log"
    with xvfb_display(size=SCREEN) as display, session_bus(work) as bus:
        env = _fresh_env(home, display, bus)
        argv, extra = program.command(home)
        env.update(extra)
        baseline = display.grab()
        paint: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(
            target=_watch_paint, args=(display, baseline, paint, stop), daemon=True
        )
        sniffer.reset(program.user)
        watcher.start()
        with log_path.open("wb") as log:
            started = time.monotonic()
            proc = subprocess.Popen(
                argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        try:
            registered = sniffer.wait(program.user, timeout, lambda: proc.poll() is None)
            deadline = time.monotonic() + timeout
            while "ui" not in paint:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{program.name}: no first paint or UI")
                time.sleep(0.05)
            result = Launch(
                first_paint_ms=(paint["paint"] - started) * 1000,
                mapped_ms=(paint["mapped"] - started) * 1000,
                ui_ms=(paint["ui"] - started) * 1000,
                registered_ms=(registered - started) * 1000,
            )
            if measure_memory:
                time.sleep(IDLE_SECONDS)
                if proc.poll() is not None:
                    raise RuntimeError(f"{program.name} exited while idle")
                result.pss_mib, result.rss_mib, result.processes = tree_memory(proc.pid)
            if screenshot is not None:
                write_png(screenshot, display.grab())
                result.screenshot = screenshot
            return result
        except BaseException as exc:
            tail = log_path.read_bytes()[-3000:].decode(errors="replace")
            raise RuntimeError(f"{program.name} launch failed: {exc}\n{tail}") from exc
        finally:
            stop.set()
            watcher.join(2)
            _stop_tree(proc)


# -- the two programs ----------------------------------------------------------------------------


def linphone_program(pbx: Kamailio, user: str) -> Program:
    """Linphone desktop (Debian package) with a linphonerc holding one account on the PBX."""

    def command(home: Path) -> tuple[list[str], dict[str, str]]:
        config = home / ".config" / "linphone"
        config.mkdir(parents=True)
        # Random local ports on 127.0.0.1 only; no update check, no STUN/ICE, no network
        # monitor that could hold REGISTER back. A configured account means no assistant.
        (config / "linphonerc").write_text(
            f"""[sip]
sip_port=-1
sip_tcp_port=-1
sip_tls_port=-1
bind_address=127.0.0.1
guess_hostname=0
register_only_when_network_is_up=0
auto_net_state_mon=0
ping_with_options=0
default_proxy=0

[net]
firewall_policy=0
stun_server=

[rtp]
audio_rtp_port=-1
video_rtp_port=-1

[misc]
version_check_url_root=

[ui]
check_for_update_enabled=0

[proxy_0]
reg_proxy=<sip:127.0.0.1:{pbx.port};transport=udp>
reg_identity="{user}" <sip:{user}@127.0.0.1>
reg_expires=600
reg_sendregister=1
publish=0
dial_escape_plus=0

[auth_info_0]
username={user}
passwd={pbx.users[user]}
domain=127.0.0.1
"""
        )
        return [LINPHONE], {}

    return Program("Linphone", user, command, is_peer=True)


def softphone_program(pbx: Kamailio, user: str, install_root: Path) -> Program:
    """The binary of the unpacked .deb, real Qt window, account given on the command line."""

    def command(home: Path) -> tuple[list[str], dict[str, str]]:
        argv = [
            str(install_root / deb_package.INSTALLED_BINARY),
            "--data-dir",
            str(home / "data"),
            "--server",
            f"127.0.0.1:{pbx.port}",
            "--user",
            user,
            "--password-env",
            "BENCH_PW",
            "--sip-bind",
            "127.0.0.1",
            "--log-level",
            "WARNING",
        ]
        # No OS keyring here: the frozen app keeps the password in memory (its fallback).
        extra = {
            "BENCH_PW": pbx.users[user],
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        return argv, extra

    return Program("softphone", user, command)


# -- the benchmark ------------------------------------------------------------------------------


def _depends_closure(packages: list[str]) -> set[str]:
    """Real packages these need, recursively (Depends/Pre-Depends, no Recommends)."""
    skip = ["--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks"]
    skip += ["--no-replaces", "--no-enhances"]
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", *skip, *packages],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line for line in out.splitlines() if line and line[0] not in " <"}


def linphone_installed_mib(deb: Path) -> tuple[float, float, int, str]:
    """Linphone's footprint comparable with our self-contained .deb: linphone-desktop itself
    plus every package it needs that our .deb's Depends do not already pull in (Qt5,
    liblinphone, mediastreamer...), from dpkg's Installed-Size. (package, extra deps, count,
    version)."""
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    ours = _depends_closure([d.strip().split(" ")[0] for d in depends.split(",") if d.strip()])
    extra = sorted(_depends_closure(["linphone-desktop"]) - ours - {"linphone-desktop"})
    fields = "-f=${Package}\t${Version}\t${Installed-Size}\t${db:Status-Status}\n"
    query = subprocess.run(
        ["dpkg-query", "-W", fields, "linphone-desktop", *extra],
        capture_output=True,
        text=True,
        check=False,  # a virtual or alternative name unknown to dpkg only prints a warning
    ).stdout
    package_kib = extra_kib = count = 0
    version = ""
    for line in query.splitlines():
        name, pkg_version, size, status = line.split("\t")
        if status != "installed" or not size:
            continue
        if name == "linphone-desktop":
            package_kib, version = int(size), pkg_version
        else:
            extra_kib += int(size)
            count += 1
    return package_kib / 1024, extra_kib / 1024, count, version


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_page_cache() -> bool:
    """Empty the OS page cache (root only), so the next launch reads its files from disk:
    a first launch after boot. False where not permitted (then the cold launch is only a
    first launch with fresh per-user directories)."""
    os.sync()
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def _launch_all(programs: list[Program], pbx: Kamailio, work: Path, artifacts: Path | None) -> None:
    """Cold launch of each (page cache dropped first, where permitted), then the warm ones,
    alternating so both see the same load.

    Our app failing fails the benchmark; a peer failing is recorded in its `error` and the
    rows show no peer value (never a made-up one)."""
    sniffer = RegisterSniffer(pbx.port)
    try:
        for run in range(1 + WARM_RUNS):
            for program in programs:
                if program.error:
                    continue
                shot = None
                if run == 0 and artifacts is not None:
                    shot = artifacts / f"bench-startup-{program.name.lower()}.png"
                if run == 0:
                    program.cache_dropped = drop_page_cache()
                try:
                    result = launch(
                        program,
                        sniffer,
                        work / f"{program.name}-{run}",
                        measure_memory=run == 0,
                        screenshot=shot,
                    )
                except (RuntimeError, TimeoutError, OSError) as exc:
                    if not program.is_peer:
                        raise
                    program.error = " ".join(str(exc).split())[:300]
                    print(f"bench_startup: {program.name} failed: {exc}", file=sys.stderr)
                    continue
                program.launches.append(result)
    finally:
        sniffer.close()


def run_all(work: Path, add: RowSink, artifacts: Path | None = None) -> None:
    """Build or reuse the .deb, unpack it, measure it and Linphone; add rows via `add`.

    Its own Kamailio with its own users: the bindings these launches leave behind (a stopped
    client may not unregister) cannot fork other benchmarks' calls to dead contacts.
    """
    built_at = time.monotonic()
    build = deb_package.ensure_deb()
    build_s = time.monotonic() - built_at
    install_root = work / "deb-root"
    installed_mib = deb_package.unpack(build.path, install_root)
    deb_mib = build.path.stat().st_size / 2**20

    users = {"2001": "startup-pw-2001", "2002": "startup-pw-2002"}
    with Kamailio(work_dir=work / "kamailio-startup", users=users, tls=False) as pbx:
        ours = softphone_program(pbx, "2001", install_root)
        peer = linphone_program(pbx, "2002")
        if not os.access(LINPHONE, os.X_OK):
            peer.error = f"{LINPHONE} not installed (apt-get install linphone-desktop)"
        _launch_all([ours, peer], pbx, work, artifacts)

    def figures(attr: str, fmt: str = "{:.0f}") -> tuple[float, str, str]:
        """(cold value of ours, "ours / Linphone" cold text, same for the warm medians)."""
        mine = [getattr(x, attr) for x in ours.launches]
        theirs = [getattr(x, attr) for x in peer.launches]
        cold = fmt.format(mine[0]) + " / " + (fmt.format(theirs[0]) if theirs else "-")
        warm = fmt.format(statistics.median(mine[1:])) + " / "
        warm += fmt.format(statistics.median(theirs[1:])) if theirs[1:] else "-"
        return mine[0], cold, warm

    def peer_cold(attr: str) -> float | None:
        return float(getattr(peer.launches[0], attr)) if peer.launches else None

    missing = f"; Linphone failed: {peer.error}" if peer.error else ""
    dropped = ours.cache_dropped and (peer.cache_dropped or not peer.launches)
    how = "first launch after install, fresh HOME, Xvfb; " + (
        "page cache dropped before each cold launch" if dropped else "page cache not dropped"
    )
    value, _, warm = figures("first_paint_ms")
    _, mapped, _ = figures("mapped_ms")
    add(
        "installed: cold start to first paint",
        value,
        peer_cold("first_paint_ms"),
        "ms",
        f"{how}; window mapped at {mapped} ms; warm median {warm} ms{missing}",
    )
    value, _, warm = figures("ui_ms")
    add(
        "installed: cold start to UI shown",
        value,
        peer_cold("ui_ms"),
        "ms",
        f"{how}; first paint after a splash page, if any: the next 10 %-of-screen change;"
        f" warm median {warm} ms{missing}",
    )
    value, _, warm = figures("registered_ms")
    add(
        "installed: cold start to registered (Kamailio's REGISTER 200)",
        value,
        peer_cold("registered_ms"),
        "ms",
        f"{how}; 200 OK seen on lo; warm median {warm} ms{missing}",
    )
    value, _, _ = figures("pss_mib")
    _, rss, _ = figures("rss_mib")
    _, procs, _ = figures("processes")
    add(
        f"installed: whole process tree, idle {IDLE_SECONDS:.0f} s, registered (PSS)",
        value,
        peer_cold("pss_mib"),
        "MiB",
        f"smaps_rollup of {procs} processes; RSS sum {rss} MiB; real Qt window on Xvfb" + missing,
    )
    largest = sorted(deb_package.size_breakdown(install_root), key=lambda g: -g[1])[:4]
    size_note = (
        f".deb {deb_mib:.0f} MiB ({'reused' if build.reused else 'built'} in {build_s:.0f} s);"
        " largest: " + ", ".join(f"{name} {mib:.0f}" for name, mib in largest)
    )
    lp_total: float | None = None
    if os.access(LINPHONE, os.X_OK):
        lp_package_mib, lp_deps_mib, lp_deps, version = linphone_installed_mib(build.path)
        lp_total = lp_package_mib + lp_deps_mib
        size_note += (
            f"; Linphone {version}: package {lp_package_mib:.0f} MiB + {lp_deps} Debian packages"
            f" it needs beyond our .deb's Depends (Qt5, liblinphone...) {lp_deps_mib:.0f} MiB"
            " (dpkg Installed-Size)"
        )
    add(
        "installed size (du of the unpacked .deb)", float(installed_mib), lp_total, "MiB", size_note
    )


def merge_into_results(
    rows: list[tuple[str, float, float | None, str, str]], stamp: str | None = None
) -> None:
    """Put rows measured by this script alone into bench/results.json and .md, replacing
    rows of the same name, without touching the other rows (`make bench` rewrites all)."""
    import run  # bench/run.py imports this module: imported here, not at the top

    stamp = stamp or time.strftime("%Y-%m-%d %H:%M")
    run.update_rows(
        [
            run.Row(
                name,
                ours,
                unit,
                peer,
                "Linphone" if peer is not None else "",
                f"{how}; standalone run of bench/bench_startup.py on {stamp}",
            )
            for name, ours, peer, unit, how in rows
        ]
    )


def main() -> int:
    """Run only this benchmark (own Kamailio), print its rows; --merge also updates
    bench/results.md/json."""
    rows: list[tuple[str, float, float | None, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        run_all(Path(tmp), lambda *row: rows.append(row), artifacts=ROOT / "tests" / "artifacts")
    for name, ours, peer, unit, note in rows:
        peer_text, ratio = ("", "") if peer is None else (f"{peer:.1f}", f"{ours / peer:.2f}")
        print(f"| {name} | {ours:.1f} | {peer_text} | {ratio} | {unit} | {note} |")
    if "--merge" in sys.argv[1:]:
        merge_into_results(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
