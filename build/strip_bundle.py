"""Strip the shared libraries of a PyInstaller bundle in place, keeping only those that still load.

    python build/strip_bundle.py BUNDLE_DIR

`strip --strip-unneeded` (what Debian's dh_strip does to shared libraries) drops symbol tables
and debug info, never the dynamic symbols other objects link against. Some libraries of the
wheels were rewritten by patchelf (auditwheel) and `strip` can break their layout (OpenBLAS once
failed with "ELF load command address/offset not page-aligned"), so every stripped library is
loaded again with dlopen in a fresh process, in place (its $ORIGIN RPATH must hold), and put back
as it was if it does not load. Executables (the bootloader `softphone`, whose Python archive is
appended after the ELF image, and QtWebEngineProcess) are never touched.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
ET_DYN = 3
PT_INTERP = 3
# Loads one library in a fresh interpreter: a library whose constructor crashes fails alone.
LOAD_CHECK = "import ctypes, sys; ctypes.CDLL(sys.argv[1])"


def is_shared_library(path: Path) -> bool:
    """An ELF64 little-endian ET_DYN without a program interpreter (a PIE executable has one)."""
    with path.open("rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != ELF_MAGIC or head[4] != 2 or head[5] != 1:
            return False
        (e_type,) = struct.unpack_from("<H", head, 16)
        if e_type != ET_DYN:
            return False
        (e_phoff,) = struct.unpack_from("<Q", head, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", head, 54)
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
    for i in range(e_phnum):
        (p_type,) = struct.unpack_from("<I", table, i * e_phentsize)
        if p_type == PT_INTERP:
            return False
    return True


def loads(path: Path, env: dict[str, str]) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", LOAD_CHECK, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def strip_bundle(bundle: Path) -> tuple[int, int, list[Path]]:
    """Strip every shared library that still loads afterwards: (bytes before, after, reverted)."""
    internal = bundle / "_internal"
    lib_dirs = [internal, internal / "PyQt6" / "Qt6" / "lib"]
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(str(d) for d in lib_dirs))
    before = after = 0
    reverted: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="strip-bundle-") as tmp:
        backup = Path(tmp) / "original"
        for path in sorted(p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()):
            if not is_shared_library(path):
                continue
            size = path.stat().st_size
            before += size
            shutil.copy2(path, backup)
            subprocess.run(["strip", "--strip-unneeded", str(path)], check=True)
            gained = path.stat().st_size < size
            if gained and loads(path, env):
                after += path.stat().st_size
                continue
            shutil.copy2(backup, path)  # no gain, or it no longer loads: keep the wheel's file
            if path.stat().st_size != size:
                raise RuntimeError(f"could not restore {path}")
            after += size
            if gained:  # stripped it did not load (broken by strip, or never loads standalone)
                reverted.append(path)
    return before, after, reverted


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bundle = Path(sys.argv[1])
    before, after, reverted = strip_bundle(bundle)
    mib = 2**20
    print(
        f"strip_bundle: shared libraries {before / mib:.1f} MiB -> {after / mib:.1f} MiB"
        f" ({len(reverted)} kept as shipped: they did not load once stripped)"
    )
    for path in reverted:
        print(f"strip_bundle: kept unstripped: {path.relative_to(bundle)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
