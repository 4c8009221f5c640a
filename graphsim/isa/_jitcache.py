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


# --- one compilation per function -------------------------------------------------
# A call from compiled code with a constant argument (`f(st, 0)`) types that
# argument as a literal, and numba compiles a separate specialisation of the
# callee for each literal: the kernel's helpers (`csr_instruction`, ...) and the cache walk were
# each compiled two or three times. Constants still fold once LLVM inlines the
# callee, so graphsim's own functions are compiled for the plain types only.
def _install_plain_argument_types():
    from numba.core import types
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.get_call_template

    def get_call_template(self, args, kws):
        if getattr(self.py_func, "__module__", "").startswith("graphsim."):
            args = tuple(types.unliteral(a) for a in args)
            kws = {k: types.unliteral(v) for k, v in kws.items()}
        return original(self, args, kws)

    Dispatcher.get_call_template = get_call_template


_install_plain_argument_types()


# --- typing scalar operators without numpy's ufunc search ------------------------
# numba types every `a + b` by also trying the numpy array-operator rule, which
# searches the ufunc's loops and only then rejects the match because neither
# operand is an array: about a tenth of the kernel's compile time, spent on
# scalar integer code that never involves an array. Reject such calls first.
def _install_scalar_operator_shortcut():
    from numba.core import types
    from numba.core.typing import npydecl

    original = npydecl.NumpyRulesArrayOperator.generic

    def generic(self, args, kws):
        if not any(isinstance(a.type if isinstance(a, types.Optional) else a, types.ArrayCompatible)
                   for a in args):
            return None
        return original(self, args, kws)

    npydecl.NumpyRulesArrayOperator.generic = generic


_install_scalar_operator_shortcut()


# --- comparing compile flags without numba's per-option property calls -------------
# numba compares and hashes its compile flags (TargetConfig) many thousands of times per
# kernel (they key its tables of compiled subroutines): `values()` calls one property per
# option, and `__hash__`, a hash of the sorted option *names*, is the same for every set of
# flags, so each lookup compares flags again. Same results, computed directly: the values
# are the set options over the class's defaults, the hash the class's constant.
def _install_fast_flag_comparison():
    from numba.core.targetconfig import TargetConfig

    defaults = {}

    def class_defaults(cls):
        found = defaults.get(cls)
        if found is None:
            found = defaults[cls] = ({k: o.default for k, o in cls.options.items()},
                                     hash(tuple(sorted(cls.options))))
        return found

    def values(self):
        set_values = self._values
        return {k: set_values.get(k, d) for k, d in class_defaults(type(self))[0].items()}

    def __hash__(self):
        return class_defaults(type(self))[1]

    def __eq__(self, other):
        if not isinstance(other, TargetConfig):
            return NotImplemented
        if type(self) is type(other) and self._values == other._values:
            return True
        return values(self) == values(other)

    TargetConfig.values = values
    TargetConfig.__hash__ = __hash__
    TargetConfig.__eq__ = __eq__


_install_fast_flag_comparison()


# --- no numba event per LLVM call ---------------------------------------------------
# numba turns every call into LLVM (hundreds of thousands per kernel) into a pair of
# "numba:llvm_lock" events, which only numba's own compile-time profiling reads.
def _install_quiet_llvm_lock():
    from llvmlite.binding import ffi

    lock = getattr(ffi.lib, "_lock", None)  # (llvmlite's lock; absent in other versions: nothing to drop)
    for acquire, release in list(getattr(lock, "_cblist", ())):
        if getattr(acquire, "__module__", "") == "numba.core.base":
            ffi.unregister_lock_callback(acquire, release)


_install_quiet_llvm_lock()
