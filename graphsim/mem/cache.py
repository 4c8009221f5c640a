"""Caches: tag/state models for timing and statistics.

Data never lives in a cache (the functional memory is the truth); a cache keeps
tags, valid/dirty/exclusive bits and replacement state, so draining it for a
checkpoint only counts write-backs and a checkpoint restores onto any hierarchy.
The timing CPU models (graphsim/cpu/timing.py, pipelined.py) drive the compiled
model in graphsim/mem/cachemodel.py; the atomic CPU ignores caches.

The tags, flags and replacement state are declared below as non-architectural
state: a checkpoint taken on a timing model carries them ("warm state") and a
restore loads them only where the geometry (`warm_geometry`) matches, else the
cache starts cold.
"""

import numpy as np

from ..config.schema import (REQUESTER, RESPONDER, Bool, Choice, Component, Cycles, Int, Param, Port, Size,
                             StateField)
from . import tlayout as T

REPLACEMENT = ("lru", "tree_plru", "random")
PREFETCHERS = ("none", "next_line", "stride")
COHERENCE = ("auto", "none", "msi", "mesi")


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _lines(p) -> tuple:
    return (max(1, p.size // p.line_size),)


def _repl_words(p) -> tuple:
    return (1 + max(1, p.size // (p.line_size * p.assoc)),)


class Cache(Component):
    kind = "cache"
    role = "cache"
    doc = ("Set-associative cache (timing and tag model): tags, valid/dirty/exclusive bits and replacement "
           "state, no data. Latencies are in cycles of the requesting CPU's clock: a hit costs `hit_latency`; "
           "a miss costs `hit_latency` (the tag check), the level below, then `response_latency` (the fill). "
           "Used by the timing and pipelined CPU models; the atomic model ignores caches.")

    size = Param(Size, "32KiB", "capacity", min=64)
    assoc = Param(Int, 8, "associativity (ways per set)", min=1, max=64)
    line_size = Param(Size, "64B", "line size (every cache of a machine has the same)", min=4)
    hit_latency = Param(Cycles, 2, "cycles for a hit", min=1)
    response_latency = Param(Cycles, 2, "cycles to return a miss's data upwards", min=1)
    replacement = Param(Choice(*REPLACEMENT), "lru", "replacement policy")
    write_policy = Param(Choice("write_back", "write_through"), "write_back", "when writes reach the next level")
    write_allocate = Param(Bool, True, "allocate a line on a write miss")
    mshrs = Param(Int, 4, "miss status holding registers: one is kept for the (blocking) CPU's demand miss, "
                          "prefetches may use the others", min=1, max=256)
    prefetcher = Param(Choice(*PREFETCHERS), "none", "hardware prefetcher")
    prefetch_degree = Param(Int, 4, "lines a prefetcher fetches ahead", min=1, max=64)
    coherence = Param(Choice(*COHERENCE), "auto", "snooping coherence among private caches of several harts: "
                                                  "auto is MESI when the machine has several harts and this "
                                                  "cache is not shared by all of them, else none")
    seed = Param(Int, 1, "seed of the random replacement policy (runs stay deterministic)")
    cpu_side = Port(RESPONDER, "mem", "towards the CPU (several upper-level caches may share it)", vector=True)
    mem_side = Port(REQUESTER, "mem", "towards memory")

    state_version = 1
    state = (
        StateField("warm_geometry", "int64", (T.GEOM_W,), "geometry the warm state was recorded with "
                   "(all zero: no warm state)", architectural=False),
        StateField("tags", "int64", _lines, "line address held by each way (0: invalid)", architectural=False),
        StateField("flags", "int64", _lines, "valid, dirty, exclusive and prefetched bits of each way",
                   architectural=False),
        StateField("lru", "int64", _lines, "last-use stamp of each way (lru)", architectural=False),
        StateField("repl", "int64", _repl_words, "replacement clock or random state, then tree-PLRU bits per set",
                   architectural=False),
        StateField("prefetch", "int64", (T.PF_ENTRIES * T.PF_W,), "stride prefetcher table",
                   architectural=False),
    )

    def check(self):
        p = self.params
        problems = []
        if not _is_power_of_two(p.line_size):
            problems.append(("line_size", f"{p.line_size}B is not a power of two"))
        elif p.size % (p.line_size * p.assoc):
            problems.append(("size", f"{p.size}B is not a multiple of line_size x assoc "
                                     f"({p.line_size} x {p.assoc} = {p.line_size * p.assoc}B)"))
        elif not _is_power_of_two(p.size // (p.line_size * p.assoc)):
            sets = p.size // (p.line_size * p.assoc)
            problems.append(("size", f"gives {sets} sets, which is not a power of two"))
        if p.replacement == "tree_plru" and not _is_power_of_two(p.assoc):
            problems.append(("assoc", f"tree_plru needs a power-of-two associativity, not {p.assoc}"))
        if p.prefetcher != "none" and p.mshrs < 2:
            problems.append(("mshrs", f"a {p.prefetcher} prefetcher needs at least 2 MSHRs "
                                      "(one is kept for the CPU's demand miss)"))
        return problems

    @property
    def sets(self) -> int:
        return self.params.size // (self.params.line_size * self.params.assoc)

    def warm_geometry(self) -> np.ndarray:
        """What warm state must have been recorded with to be restored here (see Machine.load_state)."""
        p = self.params
        g = np.zeros(T.GEOM_W, np.int64)
        g[:5] = (1, self.sets, p.assoc, p.line_size, REPLACEMENT.index(p.replacement))
        return g
