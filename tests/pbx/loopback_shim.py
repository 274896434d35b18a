"""Build (once, cached) the LD_PRELOAD shim that turns wildcard bind() into loopback."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

SOURCE = Path(__file__).with_name("loopback_bind.c")


def loopback_shim() -> Path | None:
    """Path of the compiled shim, or None (with a warning) when no C compiler exists."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    out = Path(tempfile.gettempdir()) / f"pbx-harness-{digest}" / "loopback_bind.so"
    if out.exists():
        return out
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        warnings.warn("no C compiler: baresip RTP will bind 0.0.0.0", stacklevel=2)
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    # Build to a private name then rename: parallel test workers may race here.
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    subprocess.run(
        [cc, "-shared", "-fPIC", "-O2", "-o", str(tmp), str(SOURCE), "-ldl"],
        check=True,
        capture_output=True,
    )
    tmp.replace(out)
    return out
