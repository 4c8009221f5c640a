"""Where numba caches the compiled timing models: a directory keyed by their sources.

The compiled memory-hierarchy and CPU-timing code (graphsim/mem/*.py,
graphsim/cpu/timing.py, graphsim/cpu/pipelined.py) inlines constants and
functions across modules, and numba invalidates a cached function only when
its *own* file changes. So, like graphsim/isa/_jitcache.py does for the
functional kernel, the timing code is cached in a directory whose name hashes
every source it depends on (the kernel's sources included).

Usage in a module with compiled code, after its imports::

    from . import _cachedir
    _cachedir.use()
    ... @njit(cache=True) definitions ...
    _cachedir.done()

numba picks the cache directory when a function is decorated, so `use`
points it at the timing directory and `done` restores the kernel's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from numba.core import config

from ..isa import _jitcache

_PKG = Path(__file__).resolve().parent.parent
_SOURCES = ("mem", "cpu/timing.py", "cpu/pipelined.py")


def _hash() -> str:
    h = hashlib.sha256(_jitcache.source_hash().encode())
    for entry in _SOURCES:
        p = _PKG / entry
        files = sorted(p.glob("*.py")) if p.is_dir() else ([p] if p.exists() else [])
        for f in files:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


_KERNEL_DIR = config.CACHE_DIR
_DIR = _jitcache.cache_dir().parent / f"timing-{_hash()}"
try:
    _DIR.mkdir(parents=True, exist_ok=True)
    _OK = True
except OSError:
    _OK = False


def use():
    if _OK:
        config.CACHE_DIR = str(_DIR)


def done():
    config.CACHE_DIR = _KERNEL_DIR
