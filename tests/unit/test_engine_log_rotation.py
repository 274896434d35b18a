"""engine.log rotates like softphone.log (1 MB x 4), and fd 1 follows the current file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from softphone.diagnostics.logfiles import BACKUPS, MAX_BYTES, rotated_files

# Runs in a child: the engine's log set-up re-points fd 1, which pytest's own process needs.
CHILD = r"""
import logging, os, sys
from pathlib import Path
from softphone.engine.config import EngineConfig
from softphone.engine.worker import _log_to_file

path = Path(sys.argv[1])
_log_to_file(EngineConfig(log_file=path))
log = logging.getLogger("softphone.engine.test")
line = "x" * 200
for i in range(30_000):  # ~7 MB of log: several rollovers past the backup count
    log.info("%06d %s", i, line)
    if i % 5000 == 0:
        os.write(1, b"pjlib-stdout %06d\n" % i)
os.write(1, b"pjlib-stdout-last\n")
"""


def _run_child(path: Path) -> None:
    subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, timeout=120)


def test_engine_log_is_bounded_to_four_files_of_about_a_megabyte(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "engine.log"
    _run_child(path)
    files = rotated_files(path)
    assert files == [path] + [Path(f"{path}.{i}") for i in range(1, BACKUPS + 1)]
    assert not Path(f"{path}.{BACKUPS + 1}").exists()
    total = sum(p.stat().st_size for p in tmp_path.joinpath("logs").iterdir())
    # One record may exceed the limit by its own length, never more.
    assert all(p.stat().st_size <= MAX_BYTES + 1000 for p in files)
    assert total <= (BACKUPS + 1) * (MAX_BYTES + 1000)
    # The newest records are kept, the oldest dropped.
    assert "029999" in path.read_text(encoding="utf-8")
    assert "000000 " not in "".join(p.read_text(encoding="utf-8") for p in files)


def test_stdout_of_the_engine_follows_the_current_log_after_rotation(tmp_path: Path) -> None:
    path = tmp_path / "engine.log"
    _run_child(path)
    current = path.read_text(encoding="utf-8")
    # Written after several rollovers: it must land in the live file, not a renamed copy.
    assert "pjlib-stdout-last" in current
    assert "pjlib-stdout 025000" in "".join(
        p.read_text(encoding="utf-8") for p in rotated_files(path)
    )
