"""Test suite wall time: `make test` on a fresh clone of HEAD, whole and its pytest part.

A fresh clone has no .venv, no node_modules and no built frontend, so the run pays what CI
pays on a clean checkout (apt packages already installed on this machine are not reinstalled,
as on CI's reused machine). The pytest part is read from pytest's own summary line.

Registered in bench/run.py; standalone (updates only its rows of results.md/json):
`.venv/bin/python bench/bench_suite.py`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (name, value, unit, note)
Add = Callable[[str, float, str, str], None]

WHOLE = "test suite wall time: fresh `make test` (installs, lint, frontend, pytest)"
PYTEST = "test suite wall time: its pytest part"
# Issue 19's starting point, measured on this machine before the suite ran in parallel.
BEFORE_WHOLE_MIN = 24.6
BEFORE_PYTEST_MIN = 22.6
_SUMMARY = re.compile(r"(\d+) passed.* in ([\d.]+)s")


def run_all(add: Add, log: Path | None = None) -> None:
    """Clone HEAD into a temporary directory and time `make test` there (its output to
    `log` when given)."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        head = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        env = {**os.environ, "CI": "true"}
        env.pop("PYTEST_ADDOPTS", None)
        start = time.monotonic()
        done = subprocess.run(
            ["make", "test"], cwd=clone, env=env, capture_output=True, text=True, check=False
        )
        whole_s = time.monotonic() - start
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    found = _SUMMARY.findall(done.stdout)
    if done.returncode != 0 or not found:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RuntimeError(f"`make test` failed (exit {done.returncode}):\n{tail}")
    passed, pytest_s = found[-1]
    workers = os.environ.get("PYTEST_WORKERS", "") or "tests/run-pytest.sh's default"
    note = (
        f"commit {head}, {passed} tests passed, workers: {workers}; apt packages present,"
        " pip and npm caches warm"
    )
    add(WHOLE, whole_s / 60, "min", f"{note}; before issue 19: {BEFORE_WHOLE_MIN} min")
    add(PYTEST, float(pytest_s) / 60, "min", f"{note}; before issue 19: {BEFORE_PYTEST_MIN} min")


def update_results(rows: list[tuple[str, float, str, str]]) -> None:
    """Replace (or add) these rows in results.json and results.md, leaving the others."""
    import run  # bench/run.py imports this module: imported here, not at the top

    run.update_rows([run.Row(name, value, unit, note=note) for name, value, unit, note in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="write the output of `make test` there")
    args = parser.parse_args()
    rows: list[tuple[str, float, str, str]] = []
    run_all(lambda *row: rows.append(row), args.log)
    for row in rows:
        print(" | ".join(str(c) for c in row))
    update_results(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
