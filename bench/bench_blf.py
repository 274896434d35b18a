"""BLF at scale: 200 colleagues subscribed through Kamailio's presence server; time until every
line is known, engine CPU for it, idle CPU with 200 subscriptions, PUBLISH to UI event latency.

Registered in bench/run.py; standalone: `.venv/bin/python bench/bench_blf.py` (prints rows).
"""

from __future__ import annotations

import statistics
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
from pbx.sip_udp import SipUdpClient  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in, wait_lines  # noqa: E402

# (name, value, unit, note)
Add = Callable[[str, float, str, str], None]

COLLEAGUES = 200
CHANGED = "1004"  # the colleague whose presence flips between free and do-not-disturb
APP_USER = "1007"
FLIPS = 20
IDLE_S = 20.0


def _cpu_s(pids: list[int]) -> float:
    used = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        used += times.user + times.system
    return used


def _publish(phone: SipUdpClient, note: str, etag: str) -> str:
    """Presence of CHANGED as its phone would PUBLISH it: note "dnd" shows busy."""
    headers = ["Event: presence", "Expires: 60", "Content-Type: application/pidf+xml"]
    if etag:
        headers.append(f"SIP-If-Match: {etag}")
    pidf = (
        '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
        f'entity="sip:{CHANGED}@127.0.0.1"><tuple id="t1"><status><basic>open</basic>'
        f"</status><note>{note}</note></tuple></presence>"
    )
    uri = f"sip:{CHANGED}@127.0.0.1"
    reply = phone.request("PUBLISH", uri, uri, headers, body=pidf)
    return reply.header("SIP-ETag") or ""


def run_all(work: Path, add: Add) -> None:
    """On a Kamailio of its own: other benchmarks' clients registered and published as these
    users in the shared one, and a PUBLISH then changed nothing the panel could show."""
    with Kamailio(work_dir=work / "kamailio-blf", tls=False) as pbx:
        _measure(pbx, work, add)


def _measure(pbx: Kamailio, work: Path, add: Add) -> None:
    extensions = [CHANGED] + [str(3000 + i) for i in range(COLLEAGUES - 1)]
    with running_app(work / "blf-app") as app:
        ui = UiClient(app)
        try:
            assert sign_in(ui, pbx.port, APP_USER, pbx.users[APP_USER])["ok"]
            engine = app.engine.pid
            assert engine is not None
            pids = [psutil.Process().pid, engine]  # the app runs in this process
            cpu0, t0, mark = _cpu_s([engine]), time.monotonic(), ui.mark()
            users = [{"extension": e, "name": f"User {e}"} for e in extensions]
            assert ui.command("settings.update", blf_users=users)["ok"]
            wait_lines(ui, extensions, "free", start=mark, timeout=60.0)
            known_s, engine_cpu = time.monotonic() - t0, _cpu_s([engine]) - cpu0

            time.sleep(2.0)  # let the last NOTIFYs settle before the idle window
            idle0 = _cpu_s(pids)
            time.sleep(IDLE_S)
            idle = 100.0 * (_cpu_s(pids) - idle0) / IDLE_S

            latencies: list[float] = []
            with SipUdpClient(pbx.port, CHANGED, pbx.users[CHANGED]) as phone:
                etag = ""
                for i in range(FLIPS):
                    note, want = ("dnd", "busy") if i % 2 == 0 else ("online", "free")
                    mark, cause = ui.mark(), time.monotonic()
                    etag = _publish(phone, note, etag)
                    ui.wait_for(
                        lambda e, w=want: (
                            e.get("type") == "line_state"
                            and e["line"]["extension"] == CHANGED
                            and e["line"]["state"] == w
                        ),
                        timeout=10.0,
                        start=mark,
                    )
                    latencies.append((time.monotonic() - cause) * 1000)
        finally:
            ui.close()
    p95 = statistics.quantiles(latencies, n=20)[18]
    add(
        f"BLF: {COLLEAGUES} colleagues subscribed, every line known",
        known_s * 1000,
        "ms",
        f"from the settings change to the last line_state event; engine CPU {engine_cpu:.2f} s;"
        " Kamailio presence server on 127.0.0.1",
    )
    add(
        f"BLF: idle CPU with {COLLEAGUES} subscriptions",
        idle,
        "% of a core",
        f"app + engine process over {IDLE_S:.0f} s after all lines are known",
    )
    add(
        f"BLF: colleague's PUBLISH to line_state event (median of {FLIPS})",
        statistics.median(latencies),
        "ms",
        f"p95 {p95:.1f} ms; PUBLISH -> Kamailio -> NOTIFY -> engine -> Socket.IO event",
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        run_all(Path(tmp), lambda *row: print("|", " | ".join(map(str, row)), "|"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
