"""Starts the engine as the `softphone` console script does and prints its modules and PSS.

Run as a script (`python tests/support/engine_probe.py`), never imported by tests. The engine
process runs softphone.engine.child (until 2026-12-05 it was a multiprocessing "spawn" child,
which re-ran its parent's main script: the console script's only import,
`softphone.__main__.main`, is kept at the top so that the probe stays what real use is).
Prints one JSON line: {"modules": [...], "pss_kib": N, "pid": N}.
"""

import json
import sys

from softphone.__main__ import main  # noqa: F401  (as the console script: see the docstring)

if __name__ == "__main__":
    import time

    from softphone.bus import EventBus
    from softphone.domain import commands as cmd
    from softphone.engine.config import EngineConfig
    from softphone.engine.supervisor import EngineSupervisor

    engine = EngineSupervisor(EngineConfig(bind_address="127.0.0.1"), EventBus())
    engine.start()
    try:
        modules = engine.request(cmd.ReportModules).result["modules"]
        time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
        pss_kib = 0
        with open(f"/proc/{engine.pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss_kib = int(line.split()[1])
        print(json.dumps({"modules": modules, "pss_kib": pss_kib, "pid": engine.pid}))
    finally:
        engine.stop()
