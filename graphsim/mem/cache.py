"""Caches: tag/state models for timing and statistics.

Data never lives in a cache (the functional memory is the truth); a cache keeps
tags, valid/dirty bits and replacement state, so draining it for a checkpoint
only counts write-backs and a checkpoint restores onto any hierarchy.
"""

from ..config.schema import (REQUESTER, RESPONDER, Bool, Choice, Component, Cycles, Int, Param, Port,
                             Size)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


class Cache(Component):
    kind = "cache"
    role = "cache"
    doc = "Set-associative cache (timing and tag model)."

    size = Param(Size, "32KiB", "capacity", min=64)
    assoc = Param(Int, 8, "associativity (ways per set)", min=1)
    line_size = Param(Size, "64B", "line size", min=4)
    hit_latency = Param(Cycles, 2, "cycles for a hit", min=1)
    response_latency = Param(Cycles, 2, "cycles to return a miss's data upwards", min=1)
    replacement = Param(Choice("lru", "tree_plru", "random"), "lru", "replacement policy")
    write_policy = Param(Choice("write_back", "write_through"), "write_back", "when writes reach the next level")
    write_allocate = Param(Bool, True, "allocate a line on a write miss")
    mshrs = Param(Int, 4, "outstanding misses", min=1)
    prefetcher = Param(Choice("none", "next_line", "stride"), "none", "hardware prefetcher")
    seed = Param(Int, 1, "seed of the random replacement policy (runs stay deterministic)")
    cpu_side = Port(RESPONDER, "mem", "towards the CPU (several upper-level caches may share it)", vector=True)
    mem_side = Port(REQUESTER, "mem", "towards memory")

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
        return problems

    @property
    def sets(self) -> int:
        return self.params.size // (self.params.line_size * self.params.assoc)
