"""Backend footprint at rest: engine and app PSS, the engine's modules, idle CPU per thread.

The app is launched as users launch it (the `softphone` console script, `--browser`, a
scripted account), registered at Kamailio with a UI client connected. After 20 s of rest:
PSS of each process (/proc/PID/smaps_rollup), then CPU of every thread (/proc/PID/task/*/stat)
over 60 s, so a polling loop shows up by its thread name. The engine's module count comes
from tests/support/engine_probe.py (the same console-script start, asked with ReportModules).

Registered in bench/run.py; standalone: `.venv/bin/python bench/bench_footprint.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "tests", ROOT / "backend"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

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
        # The engine runs spawn_main; multiprocessing's resource tracker is a child too.
        children = {c.pid: " ".join(c.cmdline()) for c in app.children()}
        pids = {"app": proc.pid}
        for pid, line in children.items():
            if "spawn_main" in line:
                pids["engine"] = pid
            elif "resource_tracker" in line:
                pids["tracker"] = pid
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
        if role == "tracker":
            note += "; multiprocessing's resource tracker, started with the engine"
        add(f"{role} process, idle 20 s, registered (PSS)", m["Pss"], "MiB", note)
    add(
        f"idle CPU over {CPU_S:.0f} s, registered, UI connected (app + engine + tracker)",
        cpu,
        "% of a core",
        "`softphone --browser`, /proc/PID/task/*/stat; busiest threads: " + ", ".join(busiest),
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        work = Path(tmp)
        with Kamailio(work_dir=work / "kamailio", tls=False) as pbx:
            run_all(pbx, work, lambda *row: print(" | ".join(str(c) for c in row)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
