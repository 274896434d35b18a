"""Footprint at rest: the backend (browser mode) and the whole window process tree.

The app is launched as users launch it (the `softphone` console script, `--browser`, a
scripted account), registered at Kamailio with a UI client connected. After 20 s of rest:
PSS of each process (/proc/PID/smaps_rollup), then CPU of every thread (/proc/PID/task/*/stat)
over 60 s, so a polling loop shows up by its thread name. The engine's module count comes
from tests/support/engine_probe.py (the same console-script start, asked with ReportModules).

The window tree (`window_tree`): the app as users start it with a display (`python -m
softphone` from the source tree, real Qt window on a private Xvfb and D-Bus session bus, a
scripted account), registered and the UI connected, 20 s of rest; then the PSS of every
process of the tree split by mapping class (/proc/PID/smaps: anonymous memory, shared memory,
Qt WebEngine's library and resources, other Qt, numpy, other Python extensions, ...), then
CPU of every thread of the tree over 60 s.

Registered in bench/run.py; standalone: `.venv/bin/python bench/bench_footprint.py`
(`--window`: only the window tree, with its per-mapping table).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "tests", ROOT / "backend"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_startup import session_bus  # noqa: E402

from e2e.window_harness import (  # noqa: E402
    ANIMATED_PAGE,
    PageServer,
    open_window_and_wait_for,
    smoke_command,
    xdg_env,
    xvfb_display,
)
from pbx.kamailio import Kamailio  # noqa: E402
from support.app_harness import UiClient  # noqa: E402

# (name, value, unit, note)
Add = Callable[[str, float, str, str], None]

USER = "1006"
REST_S = 20.0
CPU_S = 60.0
TICK = os.sysconf("SC_CLK_TCK")


def rollup_mib(pid: int) -> dict[str, float]:
    """Pss, Pss_Anon, Pss_File and Rss of one process, MiB."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
                out[key] = int(rest.split()[0]) / 1024
    return out


def thread_ticks(pid: int) -> dict[str, int]:
    """utime + stime of each thread of `pid`, by 'name/tid'."""
    ticks: dict[str, int] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[f"{name}/{tid}"] = int(fields[11]) + int(fields[12])
    return ticks


def idle_cpu(pids: dict[str, int], seconds: float) -> tuple[float, list[str]]:
    """Percent of one core used by the processes over `seconds`; the busiest threads."""
    start = {role: thread_ticks(pid) for role, pid in pids.items()}
    time.sleep(seconds)
    used: list[tuple[int, str]] = []
    for role, pid in pids.items():
        for thread, ticks in thread_ticks(pid).items():
            used.append((ticks - start[role].get(thread, 0), f"{role}:{thread}"))
    total = sum(t for t, _ in used) / TICK
    busiest = [f"{name} {t / TICK:.2f} s" for t, name in sorted(used, reverse=True)[:4] if t]
    return 100.0 * total / seconds, busiest


def engine_modules() -> tuple[int, float]:
    """The engine's module count and PSS (MiB) when started as the console script does."""
    probe = ROOT / "tests" / "support" / "engine_probe.py"
    done = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return len(report["modules"]), report["pss_kib"] / 1024


def run_all(pbx: Kamailio, work: Path, add: Add) -> None:
    script = Path(sys.executable).parent / "softphone"
    env = dict(
        os.environ,
        BENCH_PW=pbx.users[USER],
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    argv = [str(script), "--browser", "--data-dir", str(work / "footprint")]
    argv += ["--server", f"127.0.0.1:{pbx.port}", "--user", USER, "--password-env", "BENCH_PW"]
    argv += ["--sip-bind", "127.0.0.1", "--log-level", "WARNING"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" ", 1)[1].strip()
        base, token = url.split("/#token=")
        ui = UiClient.at(int(base.rsplit(":", 1)[1]), token)
        ui.wait_for(
            lambda e: (e.get("registration") or {}).get("state") == "registered", timeout=15
        )
        time.sleep(REST_S)
        app = psutil.Process(proc.pid)
        # The engine runs softphone.engine.child (until 2026-12-05 multiprocessing's
        # spawn_main, with a resource tracker process beside it).
        children = {c.pid: " ".join(c.cmdline()) for c in app.children()}
        pids = {"app": proc.pid}
        for pid, line in children.items():
            if "softphone.engine.child" in line:
                pids["engine"] = pid
        mem = {role: rollup_mib(pid) for role, pid in pids.items()}
        cpu, busiest = idle_cpu(pids, CPU_S)
        ui.close()
    finally:
        proc.terminate()
        proc.wait(10)
    count, probe_pss = engine_modules()
    for role, m in mem.items():
        note = f"RSS {m['Rss']:.0f} MiB; anon {m['Pss_Anon']:.1f} + file {m['Pss_File']:.1f} MiB"
        if role == "engine":
            note += f"; {count} modules (unregistered probe: {probe_pss:.1f} MiB PSS)"
        add(f"{role} process, idle 20 s, registered (PSS)", m["Pss"], "MiB", note)
    add(
        f"idle CPU over {CPU_S:.0f} s, registered, UI connected (app + engine)",
        cpu,
        "% of a core",
        "`softphone --browser`, /proc/PID/task/*/stat; busiest threads: " + ", ".join(busiest),
    )


# -- the window process tree ---------------------------------------------------------------

WINDOW_USER = "1005"  # bench/run.py: no other benchmark of the shared Kamailio uses it
# Mapping classes of /proc/PID/smaps, first match wins: (class, substrings of the path).
MAPPING_CLASSES: list[tuple[str, tuple[str, ...]]] = [
    ("shared memory (shm, memfd)", ("/dev/shm/", "memfd:", "/SYSV", "/dev/zero")),
    ("GPU device", ("/dev/dri",)),
    ("libQt6WebEngineCore", ("libQt6WebEngineCore",)),
    ("WebEngine resources (.pak, ICU, V8 snapshot)", (".pak", "icudtl", "_snapshot", ".bin")),
    ("other Qt libraries and plugins", ("/Qt6/", "libQt6", "/PyQt6/")),
    ("numpy", ("/numpy", "numpy.libs")),
    ("other Python extensions", ("site-packages/", "/lib-dynload/")),
    ("python and libpython", ("libpython", "/bin/python")),
    ("fonts", ("/fonts/", ".ttf", ".otf", "fontconfig")),
]
ANON = "anonymous (malloc, Python objects, V8 and Blink heaps)"
OTHER_FILES = "system libraries, other files"


def mapping_class(path: str) -> str:
    if not path or (path.startswith("[") and path != "[vdso]"):
        return ANON  # [heap], [stack], [anon:...] and unnamed mappings
    for name, parts in MAPPING_CLASSES:
        if any(part in path for part in parts):
            return name
    return OTHER_FILES


def smaps_by_class(pid: int) -> dict[str, float]:
    """PSS of one process (MiB) by mapping class, from /proc/PID/smaps."""
    out: dict[str, float] = defaultdict(float)
    path = ""
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            head = line.split(None, 1)[0]
            if not head.endswith(
                ":"
            ):  # a mapping's header: "start-end perms offset dev inode path"
                fields = line.split(None, 5)
                path = fields[5].strip() if len(fields) > 5 else ""
            elif head == "Pss:":
                out[mapping_class(path)] += int(line.split()[1]) / 1024
    return dict(out)


def window_role(proc: psutil.Process, app_pid: int) -> str:
    """What a process of the window tree is, from its command line."""
    if proc.pid == app_pid:
        return "app (Python + Qt WebEngine browser side)"
    line = " ".join(proc.cmdline())
    if "softphone.engine.child" in line or "--engine-fd" in line:
        return "engine"
    for arg in proc.cmdline():
        if arg.startswith("--type="):
            return "WebEngine " + arg.split("=", 1)[1]
    return proc.name()


def window_tree_figures(pid: int) -> dict[str, dict[str, float]]:
    """{role: {mapping class: PSS MiB}} of a process and its descendants; roles numbered
    when a role has more than one process ("WebEngine zygote #2")."""
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    tree: dict[str, dict[str, float]] = {}
    for proc in procs:
        try:
            role = window_role(proc, pid)
            figures = smaps_by_class(proc.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            continue
        name, n = role, 1
        while name in tree:
            n += 1
            name = f"{role} #{n}"
        tree[name] = figures
    return tree


def tree_idle_cpu(pid: int, seconds: float) -> tuple[float, list[str]]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    pids = {window_role(p, pid) + f" {p.pid}": p.pid for p in procs}
    return idle_cpu(pids, seconds)


def window_tree(pbx: Kamailio, work: Path, add: Add) -> dict[str, dict[str, float]]:
    """The whole window tree, idle 20 s, registered, UI connected: rows; returns the figures."""
    home = work / "window-home"
    log_path = work / "window.log"
    argv = [sys.executable, "-m", "softphone", "--data-dir", str(home / "data")]
    argv += ["--server", f"127.0.0.1:{pbx.port}", "--user", WINDOW_USER]
    argv += ["--password-env", "BENCH_PW", "--sip-bind", "127.0.0.1", "--log-level", "INFO"]
    with xvfb_display(size=(1280, 800)) as display, session_bus(work) as bus:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
        env.update({k: v for k, v in display.env.items() if v is not None})
        env.update(xdg_env(home))
        env.update(
            DBUS_SESSION_BUS_ADDRESS=bus,
            BENCH_PW=pbx.users[WINDOW_USER],
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        with log_path.open("w") as log:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        spawned: list[psutil.Process] = []
        try:
            deadline = time.monotonic() + 60
            while not all(
                s in log_path.read_text() for s in ("UI connected", "registration registered")
            ):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("window app not up:\n" + log_path.read_text()[-3000:])
                time.sleep(0.2)
            time.sleep(REST_S)
            spawned = psutil.Process(proc.pid).children(recursive=True)
            tree = window_tree_figures(proc.pid)
            cpu, busiest = tree_idle_cpu(proc.pid, CPU_S)
        finally:
            spawned = spawned or psutil.Process(proc.pid).children(recursive=True)
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            _gone, alive = psutil.wait_procs(spawned, timeout=10)
            for left in alive:
                left.kill()
    total = sum(sum(m.values()) for m in tree.values())
    per_role = ", ".join(f"{r} {sum(m.values()):.1f}" for r, m in tree.items())
    add(
        f"window: whole process tree, idle {REST_S:.0f} s, registered (PSS)",
        total,
        "MiB",
        f"source tree, real Qt window on Xvfb, UI connected; {len(tree)} processes: {per_role}",
    )
    for role, mapping in tree.items():
        top = sorted(mapping.items(), key=lambda kv: -kv[1])[:3]
        add(
            f"window: {role} (PSS)",
            sum(mapping.values()),
            "MiB",
            "; ".join(f"{k} {v:.1f}" for k, v in top),
        )
    add(
        f"window: idle CPU over {CPU_S:.0f} s, registered, window shown (whole tree)",
        cpu,
        "% of a core",
        "/proc/PID/task/*/stat of every process; busiest threads: " + ", ".join(busiest),
    )
    return tree


def window_frame_rate(work: Path, add: Add) -> None:
    """requestAnimationFrame rate of a page moving a box in the app's window (AppWindow, so
    with its WebEngine setup), on the splash page first as the app is: 60 on Xvfb's 60 Hz."""
    with xvfb_display(size=(1280, 800)) as display, PageServer(ANIMATED_PAGE) as page:
        command = [*smoke_command(), "--url", page.url, "--splash", "en"]
        with open_window_and_wait_for(
            command,
            lambda w: w.event("window_loaded") is not None,
            display=display,
            log_path=work / "frame-rate.log",
            extra_env=xdg_env(work / "frame-rate"),
        ) as window:
            window.send_line("load")
            deadline = time.monotonic() + 30
            while not page.hits and time.monotonic() < deadline:
                time.sleep(0.1)
    if not page.hits:
        raise RuntimeError("the animated page never reported its frame rate")
    fps = float(page.hits[0].split("fps=", 1)[1])
    add(
        "window: animation frame rate (requestAnimationFrame over 3 s)",
        fps,
        "frames/s",
        "a box moved every frame in the app's window (AppWindow: no OpenGL, software"
        " composition), real Qt window on Xvfb at 60 Hz; tests/e2e/test_window_webengine.py",
    )


def breakdown_table(tree: dict[str, dict[str, float]]) -> str:
    """Markdown: mapping classes (rows) by process (columns), PSS MiB."""
    roles = list(tree)
    classes = sorted(
        {c for m in tree.values() for c in m},
        key=lambda c: -sum(m.get(c, 0) for m in tree.values()),
    )
    lines = ["| mapping class | " + " | ".join(roles) + " | total |"]
    lines.append("|---|" + "---:|" * (len(roles) + 1))
    for c in classes:
        cells = [tree[r].get(c, 0.0) for r in roles]
        lines.append(f"| {c} | " + " | ".join(f"{v:.1f}" for v in cells) + f" | {sum(cells):.1f} |")
    sums = [sum(tree[r].values()) for r in roles]
    lines.append("| **total** | " + " | ".join(f"{v:.1f}" for v in sums) + f" | {sum(sums):.1f} |")
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        work = Path(tmp)
        with Kamailio(work_dir=work / "kamailio", tls=False) as pbx:
            show: Add = lambda *row: print(" | ".join(str(c) for c in row))  # noqa: E731
            if "--window" not in sys.argv[1:]:
                run_all(pbx, work, show)
            tree = window_tree(pbx, work, show)
            print(breakdown_table(tree))
            window_frame_rate(work, show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
