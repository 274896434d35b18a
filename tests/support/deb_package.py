"""The .deb of `make package`: build it (or reuse a fresh one) and unpack it into a temp root.

Shared by tests/package/test_deb.py and the startup benchmark (bench/bench_startup.py).
The .deb is built as `make package` builds it (PyInstaller one-folder bundle, then
build/package-deb.sh), except that it is zstd-compressed by default (16 s instead of 3 min
of xz). A .deb in build/out newer than every source it is made from is reused.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "out"
VENV_BIN = ROOT / ".venv" / "bin"
# Everything the .deb is made from: a .deb older than any of these is rebuilt.
SOURCES = [
    ROOT / "backend",
    ROOT / "frontend" / "dist",
    ROOT / "assets",
    ROOT / "build" / "softphone.spec",
    ROOT / "build" / "entry.py",
    ROOT / "build" / "package-deb.sh",
    ROOT / "build" / "strip_bundle.py",
    ROOT / "build" / "trim_icu.py",
    ROOT / "build" / "rthook_no_qt_in_children.py",
    ROOT / "build" / "deb",
    ROOT / "build" / "softphone.desktop",
    ROOT / "build" / "60-softphone-headsets.rules",
    ROOT / "pyproject.toml",
]
INSTALLED_BINARY = Path("opt") / "softphone" / "softphone"  # relative to the install root


@dataclass
class DebBuild:
    """The .deb and how it was obtained (reused, or built and how long each step took)."""

    path: Path
    reused: bool
    timings: dict[str, float] = field(default_factory=dict)


def newest_source_mtime() -> float:
    newest = 0.0
    for src in SOURCES:
        if src.is_file():
            newest = max(newest, src.stat().st_mtime)
            continue
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                newest = max(newest, (Path(dirpath) / name).stat().st_mtime)
    return newest


def existing_deb() -> Path | None:
    debs = sorted(OUT.glob("softphone_*.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1] if debs else None


def _run(cmd: list[str], **kw: Any) -> None:
    subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def ensure_deb(compress: str | None = None) -> DebBuild:
    """The .deb: reused when newer than its sources, else built (frontend, bundle, package)."""
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / ".package.lock").open("w") as lock:  # one build at a time in this tree
        fcntl.flock(lock, fcntl.LOCK_EX)
        _run(["make", "-s", "frontend"])
        existing = existing_deb()
        if existing and existing.stat().st_mtime > newest_source_mtime():
            return DebBuild(existing, reused=True)
        started = time.monotonic()
        _run(
            [
                str(VENV_BIN / "pyinstaller"),
                "--noconfirm",
                "--clean",
                "--log-level",
                "WARN",
                "--distpath",
                str(OUT / "dist"),
                "--workpath",
                str(OUT / "work"),
                "build/softphone.spec",
            ]
        )
        bundled = time.monotonic()
        compress = compress or os.environ.get("SOFTPHONE_TEST_DEB_COMPRESS", "zstd")
        env = dict(os.environ, DEB_COMPRESS=compress)
        _run(["bash", "build/package-deb.sh", str(OUT / "dist" / "softphone"), str(OUT)], env=env)
        built = existing_deb()
        assert built is not None
        return DebBuild(
            built,
            reused=False,
            timings={
                "pyinstaller_seconds": round(bundled - started, 1),
                "package_deb_seconds": round(time.monotonic() - bundled, 1),
            },
        )


def unpack(deb: Path, root: Path) -> int:
    """`dpkg-deb -x` the package into root (no dpkg database, no root rights); MiB used."""
    root.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(deb), str(root)])
    du = subprocess.run(["du", "-sm", str(root)], capture_output=True, text=True, check=True)
    return int(du.stdout.split()[0])


# Where an installed package's bytes go, in groups (first match wins); fnmatch patterns on the
# path relative to the install root.
SIZE_GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("libQt6WebEngineCore (Chromium)", ("*/Qt6/lib/libQt6WebEngineCore.so*",)),
    ("Qt's ICU (libicudata/uc/i18n)", ("*/Qt6/lib/libicu*",)),
    ("Qt Quick/QML libraries (linked by WebEngine)", ("*/Qt6/lib/libQt6Q[mu]*",)),
    ("other Qt libraries", ("*/Qt6/lib/*",)),
    (
        "Qt WebEngine data (icudtl, .pak, V8 snapshot), translations, QtWebEngineProcess",
        ("*/Qt6/resources/*", "*/Qt6/translations/*", "*/Qt6/libexec/*"),
    ),
    ("Qt plugins", ("*/Qt6/plugins/*",)),
    ("PyQt6 bindings", ("*/_internal/PyQt6/*",)),
    ("numpy + OpenBLAS", ("*/_internal/numpy/*", "*/_internal/numpy.libs/*")),
    ("pjsua2 + its OpenSSL/Kerberos", ("*/_internal/pjsua2/*", "*/_internal/pjsua2_python.libs/*")),
    ("cryptography", ("*/_internal/cryptography/*",)),
    (
        "Python: interpreter, stdlib, app and pure-Python packages (archive in the executable)",
        (
            "opt/softphone/softphone",
            "*/_internal/libpython*",
            "*/_internal/python3*/*",
            "*/_internal/base_library.zip",
        ),
    ),
    ("frontend + assets", ("*/_internal/frontend/*", "*/_internal/assets/*")),
    ("other Python packages (extensions, data, metadata)", ("opt/softphone/*",)),
    ("outside /opt (launcher, icons, .desktop, udev rule, doc)", ("*",)),
]


def size_breakdown(root: Path) -> list[tuple[str, float]]:
    """MiB per SIZE_GROUPS group under an install root, as `du` counts them (blocks used)."""
    totals = dict.fromkeys((name for name, _ in SIZE_GROUPS), 0)
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        name = next(n for n, pats in SIZE_GROUPS if any(fnmatch(rel, p) for p in pats))
        totals[name] += path.stat().st_blocks * 512
    return [(name, round(size / 2**20, 1)) for name, size in totals.items()]
