"""Zifencei: FENCE.I.

graphsim's decode cache is keyed by the raw instruction word (not by pc),
so it can never hold a stale decoding: every fetch reads memory, and code
rewritten by a store, DMA or another hart is seen at once. FENCE.I is
therefore architecturally a no-op here; the CPU step still ends its slice
so that timing models see a serialising instruction.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit


@njit(cache=True)
def fence_i():
    return 0
