"""The engine process imports pjsua2 and what the engine needs, nothing of the app's stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).resolve().parents[1] / "support" / "engine_probe.py"

# Outside the standard library, the engine may hold only these top-level packages.
# (_distutils_hack: setuptools' .pth hook, loaded by `site` in every process of the venv.)
THIRD_PARTY_ALLOWED = {"pjsua2", "swig_runtime_data5", "psutil", "_distutils_hack"}
# The app's own packages the engine may import: the engine, the pure domain, call audio
# (PortAudio streams, ALSA settings from assets/) and the log file handler; nothing of the UI,
# web, directory or storage.
SOFTPHONE_ALLOWED = (
    "softphone.__main__",  # the console script's module, re-run by "spawn": light by design
    "softphone.engine",
    "softphone.domain",
    "softphone.audio.call_audio",
    "softphone.audio.devices",
    "softphone.audio.streams",
    "softphone.audio.portaudio",
    "softphone.resources",  # where assets/ is: the ALSA settings file
    "softphone.diagnostics.logfiles",
    "softphone.diagnostics.redact",
    "softphone.private_files",
    "softphone.settings.ca_bundle",
)
# Standard library packages that are heavy and belong to the app, not to the engine.
STDLIB_REFUSED = {"asyncio", "sqlite3", "email", "http", "unittest", "wsgiref", "pdb", "tkinter"}
ENGINE_PSS_MIB = 35.0  # issue 21; about 21 MiB measured when this test was written


def _outside_allow_list(modules: list[str]) -> list[str]:
    outside = []
    for name in modules:
        top = name.split(".")[0]
        if top in ("__main__", "__mp_main__"):
            continue
        if top == "softphone":
            allowed = name in ("softphone", "softphone.audio", "softphone.diagnostics") or (
                name == "softphone.settings"
                or any(name == p or name.startswith(p + ".") for p in SOFTPHONE_ALLOWED)
            )
        elif top in sys.stdlib_module_names:
            allowed = top not in STDLIB_REFUSED
        else:
            allowed = top in THIRD_PARTY_ALLOWED
        if not allowed:
            outside.append(name)
    return outside


def test_engine_started_like_the_console_script_imports_only_the_engines_modules() -> None:
    done = subprocess.run(
        [sys.executable, str(PROBE)], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    modules: list[str] = report["modules"]
    assert "pjsua2" in modules and "softphone.engine.worker" in modules
    outside = _outside_allow_list(modules)
    assert not outside, f"the engine imported {len(outside)} modules it does not need: {outside}"
    pss_mib = report["pss_kib"] / 1024
    assert pss_mib <= ENGINE_PSS_MIB, f"engine PSS {pss_mib:.1f} MiB"
