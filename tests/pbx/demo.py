"""`make demo`: a local PBX with colleagues to call, and the softphone signed in as 1001."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402

DEMO_DIR = ROOT / ".demo"
USER = "1001"

EXTENSIONS = {
    "1002": "baresip, answers by itself and plays a 700 Hz tone",
    "1009": "echo test: answers and sends back what you say",
}


def main() -> int:
    DEMO_DIR.mkdir(exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    with Kamailio(work_dir=DEMO_DIR / "kamailio", tls=False) as pbx:
        tone_peer = Baresip(
            pbx.port,
            "1002",
            pbx.users["1002"],
            answermode="auto",
            work_dir=DEMO_DIR / "baresip-1002",
        )
        echo_peer = PjPeer(
            pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=DEMO_DIR / "echo-1009"
        )
        with tone_peer, echo_peer:
            print(f"Demo PBX (Kamailio) on 127.0.0.1:{pbx.port}; you are {USER}.")
            for ext, what in EXTENSIONS.items():
                print(f"  {ext}: {what}")
            print("  1003-1008, 1010: free extensions (password pw<ext>) for your own SIP client")
            print("Ctrl-C stops everything.", flush=True)
            env = dict(os.environ, SOFTPHONE_DEMO_PASSWORD=pbx.users[USER])
            app = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "softphone",
                    "--data-dir",
                    str(DEMO_DIR / "app"),
                    "--server",
                    f"127.0.0.1:{pbx.port}",
                    "--user",
                    USER,
                    "--display-name",
                    "Demo User",
                    "--password-env",
                    "SOFTPHONE_DEMO_PASSWORD",
                    "--sip-bind",
                    "127.0.0.1",
                    "--log-level",
                    "WARNING",
                ],
                env=env,
            )
            try:
                while not stop.wait(0.5):
                    if app.poll() is not None:
                        break
            finally:
                if app.poll() is None:
                    app.send_signal(signal.SIGTERM)
                    try:
                        app.wait(10)
                    except subprocess.TimeoutExpired:
                        app.kill()
                        app.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
