"""The C API of the loaded pjsua2 module, for what its SWIG layer does not expose."""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import pjsua2 as pj


@functools.cache
def pjsua_library() -> ctypes.CDLL:
    # The SWIG module links pjproject statically and exports its C functions
    # (docs/pjsua2-facts.md); CDLL on the same file returns the already loaded copy.
    module = Path(pj.__file__).with_name("pjsua2.py")
    candidates = sorted(module.parent.glob("_pjsua2*.so")) + sorted(
        module.parent.glob("_pjsua2*.pyd")
    )
    return ctypes.CDLL(str(candidates[0]))
