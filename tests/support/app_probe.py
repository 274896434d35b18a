"""Starts the app as `softphone` does, registers it, and prints the modules it has loaded.

Run as a script (`python tests/support/app_probe.py PORT USER`, password in PROBE_PW), never
imported by tests: a test process has imported numpy, requests... itself, so only a fresh
interpreter shows what the app's own start imports. The app is built and started as
`softphone --browser` builds it (SoftphoneApp with a scripted account), then waits until the
account is registered and the first REGISTER's answer handled, plus `rest` seconds.
Prints one JSON line: {"modules": [...], "registration": "...", "pss_kib": N} (this, the
app's, process; bench/bench_footprint.py reports it).
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from softphone.__main__ import main  # noqa: F401  (the engine child re-runs this script)

if __name__ == "__main__":
    from softphone.app import SoftphoneApp
    from softphone.domain.account import AccountConfig
    from softphone.engine.config import EngineConfig
    from softphone.options import AppOptions, ScriptedAccount
    from softphone.paths import AppPaths

    port, user = sys.argv[1], sys.argv[2]
    rest = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    with tempfile.TemporaryDirectory(prefix="app-probe-") as tmp:
        account = AccountConfig(server=f"127.0.0.1:{port}", user=user)
        options = AppOptions(
            paths=AppPaths.for_data_dir(Path(tmp)),
            engine=EngineConfig(bind_address="127.0.0.1"),
            scripted_account=ScriptedAccount(account, os.environ["PROBE_PW"]),
        )
        app = SoftphoneApp(options)
        app.start()
        try:
            deadline = time.monotonic() + 20
            while app.accounts.registration.state.value != "registered":
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            time.sleep(rest)
            state = app.accounts.registration.state.value
            with open("/proc/self/smaps_rollup") as rollup:
                pss = next(int(x.split()[1]) for x in rollup if x.startswith("Pss:"))
            report = {"modules": sorted(sys.modules), "registration": state, "pss_kib": pss}
            print(json.dumps(report))
        finally:
            app.stop()
