"""`make bench`: measure the softphone (and baresip where comparable), write results.md/json."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import bench_blf  # noqa: E402  (bench/ is on sys.path when run.py runs)
import bench_call_cpu  # noqa: E402
import bench_echo  # noqa: E402
import bench_echo_drift  # noqa: E402
import bench_footprint  # noqa: E402
import bench_history_browser  # noqa: E402
import bench_incoming  # noqa: E402
import bench_latency  # noqa: E402
import bench_startup  # noqa: E402
import bench_suite  # noqa: E402
import keyring  # noqa: E402

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402
from support.memory_keyring import MemoryKeyring  # noqa: E402

RESULTS_MD = ROOT / "bench" / "results.md"
RESULTS_JSON = ROOT / "bench" / "results.json"
BARESIP_IDLE: dict[str, object] = {}  # baresip's idle figures, measured once, shown beside ours


@dataclass
class Row:
    name: str
    ours: float
    unit: str
    peer: float | None = None
    peer_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> str:
        if self.peer in (None, 0):
            return ""
        return f"{self.ours / self.peer:.2f}"  # type: ignore[operator]


def _tree(pid: int) -> list[psutil.Process]:
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


def cpu_percent_over(pids: Callable[[], list[psutil.Process]], seconds: float) -> float:
    """CPU of a process tree over `seconds`, in percent of one core."""
    procs = pids()
    start = {p.pid: sum(p.cpu_times()[:2]) for p in procs}
    time.sleep(seconds)
    used = 0.0
    for p in procs:
        try:
            used += sum(p.cpu_times()[:2]) - start[p.pid]
        except psutil.NoSuchProcess:
            pass
    return 100.0 * used / seconds


def memory_mib(procs: list[psutil.Process]) -> tuple[float, float]:
    """(RSS, PSS) of the processes, MiB."""
    rss = pss = 0.0
    for p in procs:
        info = p.memory_full_info()
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


def bench_call_setup(pbx: Kamailio, work: Path, rows: list[Row]) -> None:
    """Dial -> connected against an auto-answering pjsua2 peer, median of 20; baresip too."""
    with (
        PjPeer(pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=work / "echo"),
        running_app(work / "app") as app,
    ):
        ui = UiClient(app)
        assert sign_in(ui, pbx.port, "1001", pbx.users["1001"])["ok"]
        samples = []
        for _ in range(20):
            mark = ui.mark()
            start = time.perf_counter()
            call_id = ui.command("call.dial", number="1009")["result"]["call_id"]
            ui.wait_call_state("connected", start=mark)
            samples.append((time.perf_counter() - start) * 1000)
            ui.command("call.hangup", call_id=call_id)
            ui.wait_for(
                lambda e, c=call_id: e == {"type": "call_removed", "call_id": c}, start=mark
            )
        ours = statistics.median(samples)
        ui.close()

        caller = Baresip(pbx.port, "1003", pbx.users["1003"], work_dir=work / "baresip")
        with caller:
            peer_samples = []
            for _ in range(20):
                mark = caller.mark()
                start = time.perf_counter()
                caller.dial("1009")
                caller.wait_for_event("CALL_ESTABLISHED", start=mark)
                peer_samples.append((time.perf_counter() - start) * 1000)
                caller.hangup()
                caller.wait_for_event("CALL_CLOSED", start=mark)
            BARESIP_IDLE.update(
                cpu=cpu_percent_over(lambda: _tree(caller.pid or 0), 30.0),
                memory=memory_mib(_tree(caller.pid or 0)),
            )
    rows.append(
        Row(
            "call setup, dial to connected (median of 20)",
            ours,
            "ms",
            statistics.median(peer_samples),
            "baresip",
            "auto-answering pjsua2 peer, via Kamailio",
        )
    )


def bench_start_to_registered(pbx: Kamailio, work: Path, rows: list[Row]) -> None:
    """Process start (the CLI) to 'registered' seen by a UI client, median of 5."""
    samples = []
    idle = rss = pss = 0.0
    for i in range(5):
        env = dict(
            os.environ,
            BENCH_PW=pbx.users["1004"],
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "softphone",
                "--browser",
                "--data-dir",
                str(work / f"start{i}"),
                "--server",
                f"127.0.0.1:{pbx.port}",
                "--user",
                "1004",
                "--password-env",
                "BENCH_PW",
                "--sip-bind",
                "127.0.0.1",
                "--log-level",
                "WARNING",
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            url = line.split(" ", 1)[1].strip()
            import socketio

            base, token = url.split("/#token=")
            seen = []
            client = socketio.Client()
            client.on("event", lambda e, s=seen: s.append(e))
            client.connect(base, auth={"token": token}, transports=["websocket"])
            while True:
                reg = [e for e in seen if e.get("type") in ("snapshot", "registration_changed")]
                state = (reg[-1].get("registration") or {}).get("state") if reg else None
                if state == "registered":
                    break
                time.sleep(0.002)
            samples.append((time.perf_counter() - start) * 1000)
            if i == 4:
                pid = proc.pid
                idle = cpu_percent_over(lambda p=pid: _tree(p), 30.0)  # type: ignore[misc]
                rss, pss = memory_mib(_tree(pid))
            client.disconnect()
        finally:
            proc.terminate()
            proc.wait(10)
    rows.append(
        Row(
            "process start to registered (median of 5)",
            statistics.median(samples),
            "ms",
            note="`softphone --browser` with a scripted account",
        )
    )
    b_cpu = float(BARESIP_IDLE["cpu"])  # type: ignore[arg-type]
    b_rss, b_pss = BARESIP_IDLE["memory"]  # type: ignore[misc]
    note = "app process + engine process"
    rows.append(
        Row(
            "idle CPU over 30 s, registered, UI connected",
            idle,
            "% of a core",
            b_cpu,
            "baresip",
            note,
        )
    )
    rows.append(Row("backend memory, idle (RSS)", rss, "MiB", b_rss, "baresip", note))
    rows.append(Row("backend memory, idle (PSS)", pss, "MiB", b_pss, "baresip", note))


def bench_audio(pbx: Kamailio, work: Path, rows: list[Row]) -> None:
    """Real device paths (private PulseAudio): delay, drift, glitches, CPU (bench/audio_*)."""
    import audio_calls
    import audio_drift

    # Round trip beside baresip, first second, audio sent per second in each device rig.
    bench_latency.run_all(
        pbx,
        work,
        lambda name, value, unit, peer, peer_name, note: rows.append(
            Row(name, value, unit, peer, peer_name, note)
        ),
    )
    for drift in audio_drift.measure():
        rows.append(
            Row(
                f"mic-to-call delay after {drift.minutes:.0f} min at {drift.ppm:+.0f} ppm drift",
                drift.last_10min_median_ms,
                "ms",
                note=f"first 10 min {drift.first_10min_median_ms:.0f} ms, max {drift.max_ms:.0f}"
                " ms (target < 60)",
            )
        )
    cpu = audio_calls.call_cpu(pbx, work / "cpu")
    rows.append(
        Row(
            "CPU of one call, echo cancellation on (engine process)",
            cpu.ec_on,
            "% core",
            cpu.baresip_on,
            "baresip",
            "sound devices running; baresip is the other party (sine source, no device)",
        )
    )
    rows.append(
        Row(
            "CPU of one call, echo cancellation off (engine process)",
            cpu.ec_off,
            "% core",
            cpu.baresip_off,
            "baresip",
        )
    )
    minutes = float(os.environ.get("BENCH_CALL_MINUTES", "10"))
    glitch = audio_calls.glitches(pbx, work / "glitch", minutes)
    rows.append(
        Row(
            f"audio underruns in a {glitch.minutes:.0f}-minute call, UI busy",
            glitch.underruns,
            "count",
            note=f"overruns {glitch.overruns}; speaker clock"
            f" {glitch.frames / (glitch.minutes * 60):.1f} frames/s (50 expected);"
            f" {glitch.ui_commands} UI commands meanwhile",
        )
    )


def write(rows: list[Row]) -> None:
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "python": platform.python_version(),
    }
    RESULTS_JSON.write_text(json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=2))
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {meta['date']} ({meta['machine']}, Python {meta['python']}).",
        "Loopback only; Kamailio as PBX. 'Peer' is the same measurement of another client"
        " in the same run.",
        "",
        "| measurement | softphone | peer | ratio | unit | note |",
        "|---|---:|---:|---:|---|---|",
    ]
    lines += [_md_row(r) for r in rows]
    RESULTS_MD.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def update_rows(rows: list[Row]) -> None:
    """Replace these rows (by name) in results.md and results.json, add the new ones at the
    end of the main table, leave the others as they are: for a bench part run on its own
    (bench_latency.py, bench_startup.py, bench_suite.py)."""
    data = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"rows": []}
    fresh = {r.name: asdict(r) for r in rows}
    kept = [fresh.pop(r["name"], r) for r in data["rows"]]
    data["rows"] = kept + list(fresh.values())
    RESULTS_JSON.write_text(json.dumps(data, indent=2) + "\n")
    lines = RESULTS_MD.read_text().splitlines()
    by_name = {r.name: r for r in rows}
    out = []
    for line in lines:
        name = line.split(" | ", 1)[0].removeprefix("| ") if line.startswith("| ") else ""
        row = by_name.pop(name, None)
        out.append(_md_row(row) if row is not None else line)
    last = next(i for i, line in enumerate(out) if line.startswith("| measurement |"))
    while last + 1 < len(out) and out[last + 1].startswith("|"):
        last += 1
    out[last + 1 : last + 1] = [_md_row(r) for r in by_name.values()]
    RESULTS_MD.write_text("\n".join(out) + "\n")


def _md_row(r: Row) -> str:
    peer = f"{r.peer:.1f} ({r.peer_name})" if r.peer is not None else ""
    return f"| {r.name} | {r.ours:.1f} | {peer} | {r.ratio} | {r.unit} | {r.note} |"


def main() -> int:
    keyring.set_keyring(MemoryKeyring())
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        with Kamailio(work_dir=work / "kamailio", tls=False) as pbx:
            bench_call_setup(pbx, work, rows)
            # Incoming INVITE (captured on lo) to the ringing UI in Chromium and to Notify.
            bench_incoming.run_all(
                pbx,
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
            bench_start_to_registered(pbx, work, rows)
            # Engine / app PSS and idle CPU per thread, console-script start.
            bench_footprint.run_all(
                pbx,
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
            # The whole window tree (real Qt window on Xvfb): PSS per process, idle CPU.
            bench_footprint.window_tree(
                pbx,
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
            bench_footprint.window_frame_rate(
                work, lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note))
            )
            # The installed .deb beside Linphone desktop: start to paint/registered, tree PSS.
            bench_startup.run_all(
                work,
                lambda name, value, peer, unit, note: rows.append(
                    Row(name, value, unit, peer, "Linphone" if peer is not None else "", note)
                ),
                artifacts=ROOT / "tests" / "artifacts",
            )
            # History paging (100k entries) and directory keystroke-to-results in Chromium.
            bench_history_browser.run_all(
                pbx,
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
            # 200 colleagues on the BLF panel: time until known, idle CPU, PUBLISH -> UI.
            bench_blf.run_all(
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
            # CPU with 1 and 4 calls and in a 4-party conference, baresip beside it.
            bench_call_cpu.bench_call_cpu(
                pbx,
                work,
                lambda name, value, unit, peer, note: rows.append(
                    Row(name, value, unit, peer, "baresip" if peer is not None else "", note)
                ),
            )
            bench_audio(pbx, work, rows)
            # Echo cancellation: ERLE by delay, a delay jump, double talk (an echoing rig).
            bench_echo.run_all(
                pbx,
                work,
                lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note)),
            )
    # The same canceller with two devices' clocks apart (offline: no server here runs two).
    bench_echo_drift.run_all(
        lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note))
    )
    # Last, alone on the machine: a fresh clone's `make test`, whole and its pytest part.
    bench_suite.run_all(
        lambda name, value, unit, note: rows.append(Row(name, value, unit, note=note))
    )
    write(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
