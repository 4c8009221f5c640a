"""Where numba caches the compiled kernel: a directory keyed by the source.

numba's on-disk cache is invalidated only when the *defining* file of a
function changes, but our kernels bake in constants imported from other
modules (hart-state offsets, op numbers, layout slots). A stale cache would
silently run with old offsets. So every module with compiled code imports
this first: it points numba at ``<cache root>/graphsim-<hash>``, where the
hash covers every source file the compiled code depends on and the numba
version. An explicit NUMBA_CACHE_DIR is honoured as the cache root.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from numba.core import config

_PKG = Path(__file__).resolve().parent.parent
_SOURCES = ("isa", "cpu", "devices/clint.py", "devices/plic.py", "devices/uart16550.py")


def source_hash() -> str:
    h = hashlib.sha256((numba.__version__ + ":wrapping-int").encode())
    for entry in _SOURCES:
        p = _PKG / entry
        files = sorted(p.glob("*.py")) if p.is_dir() else [p]
        for f in files:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    root = os.environ.get("NUMBA_CACHE_DIR") or os.environ.get("GRAPHSIM_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graphsim" / "numba"
    return base / f"graphsim-{source_hash()}"


_DIR = cache_dir()
try:
    _DIR.mkdir(parents=True, exist_ok=True)
    config.CACHE_DIR = str(_DIR)
except OSError:  # unwritable: numba falls back to its own locations
    pass


# --- wrapping integer arithmetic ------------------------------------------------
# numba marks signed add/sub/mul `nsw` (signed overflow is undefined behaviour
# for LLVM), which lets LLVM "prove" facts that wrapping guest arithmetic
# breaks: e.g. sext32(((a & M32) * (b & M32)) >> 32) was folded to a no-op.
# A simulator relies on two's-complement wrap-around, so drop the flag for
# every function compiled in this process. (It only removes an optimisation
# hint; code that never overflows is unaffected.)
def _wrapping_flags(rettype):
    return []


def _install_wrapping_arithmetic():
    from numba.cpython import numbers

    numbers._int_arith_flags = _wrapping_flags


_install_wrapping_arithmetic()
