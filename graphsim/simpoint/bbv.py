"""Basic-block vectors: counted inside the compiled kernel, written and read in the
format of gem5's SimPoint probe and SimPoint 3.2 (`T:bb:count ...`, one line per
interval, gzipped).

Counting (graphsim/cpu/kernel.py, `bbv_step`): while `work[C_BBV]` points at a
profile area, every executed instruction whose pc is not the previous one's
fall-through starts a new block, and the block that ends adds its instruction
count to an open-addressing table keyed by its first pc. A normal run pays one
test of a loop-invariant local per instruction. `BlockCounter` owns that area:
it appends it to the core's `work` array, empties the table after every kernel
call (a call of n instructions adds at most n entries, so the run's slices are
capped at half the table), and closes the block in progress at interval
boundaries so that each interval's vector sums to the instructions it executed
(the m5ops, which Python retires, are not counted).
"""

from __future__ import annotations

import gzip

import numpy as np

from ..cpu import layout as L
from ..errors import GraphsimError

TABLE_ENTRIES = 1 << 20  # 24 MiB while profiling; slices of up to 512 Ki instructions


class BlockCounter:
    """Turns on the kernel's block counting for ``core`` (an atomic Core) and harvests it."""

    def __init__(self, core, entries: int = TABLE_ENTRIES):
        self.core = core
        self.entries = entries
        nharts = core.config.nharts
        base = len(core.work)
        keys = base + L.BV_WORDS
        counts = keys + entries
        used = counts + entries
        harts = used + entries
        area = np.zeros(L.BV_WORDS + 3 * entries + nharts * L.BVH_WORDS, np.int64)
        area[L.BV_CAP] = entries
        area[L.BV_KEYS], area[L.BV_COUNTS], area[L.BV_LIST], area[L.BV_HARTS] = keys, counts, used, harts
        area[keys - base:counts - base] = -1
        for h in range(nharts):
            area[harts - base + h * L.BVH_WORDS + L.BVH_NEXT] = -1
        # The kernel receives `work` on every call, so a longer array replaces it for the profile.
        core.work = np.concatenate([core.work, area])
        core.work[L.C_BBV] = base
        self.base, self.keys, self.counts, self.used, self.harts = base, keys, counts, used, harts
        self.slice_insts = entries // 2

    def harvest(self, into: dict[int, int]):
        """Add the table's blocks (start pc -> instructions) to ``into`` and empty the table."""
        w = self.core.work
        n = int(w[self.base + L.BV_USED])
        if not n:
            return
        slots = w[self.used:self.used + n]
        pcs = w[self.keys + slots]
        counts = w[self.counts + slots]
        for pc, count in zip(pcs.tolist(), counts.tolist()):
            into[pc] = into.get(pc, 0) + count
        w[self.keys + slots] = -1
        w[self.counts + slots] = 0
        w[self.base + L.BV_USED] = 0

    def close_interval(self, into: dict[int, int]):
        """Harvest, and count the block in progress so far in this interval (it goes on counting
        under the same start pc in the next one)."""
        self.harvest(into)
        w = self.core.work
        for h in range(self.core.config.nharts):
            row = self.harts + h * L.BVH_WORDS
            count = int(w[row + L.BVH_COUNT])
            if count:
                pc = int(w[row + L.BVH_START])
                into[pc] = into.get(pc, 0) + count
                w[row + L.BVH_COUNT] = 0

    def stop(self):
        self.core.work[L.C_BBV] = 0


def write_bbv(path: str, intervals: list[dict[int, int]]) -> list[int]:
    """Write the intervals (block start pc -> instructions) as gem5 does: blocks numbered from 1
    in order of first execution, one `T:id:count :id:count ...` line per interval, gzipped.
    Returns the block start pcs, index i holding block i + 1."""
    ids: dict[int, int] = {}
    with gzip.open(path, "wt", encoding="ascii") as f:
        for interval in intervals:
            parts = []
            for pc, count in interval.items():
                if pc not in ids:
                    ids[pc] = len(ids) + 1
                parts.append(f":{ids[pc]}:{count} ")
            f.write("T" + "".join(parts) + "\n")
    return list(ids)


def read_bbv(path: str) -> list[dict[int, int]]:
    """Read a gem5/SimPoint basic-block-vector file (gzipped or plain): one {block id: count}
    per interval."""
    opener = gzip.open if _is_gzip(path) else open
    intervals = []
    try:
        with opener(path, "rt", encoding="ascii") as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                if not line.startswith("T"):
                    raise GraphsimError(f"{path}:{number}: a basic-block vector line starts with 'T'")
                vector = {}
                for field in line[1:].split():
                    _, bb, count = field.split(":")
                    vector[int(bb)] = vector.get(int(bb), 0) + int(count)
                intervals.append(vector)
    except (ValueError, OSError, EOFError) as exc:
        raise GraphsimError(f"{path}: not a basic-block vector file ({exc})") from None
    return intervals


def _is_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"\x1f\x8b"
    except OSError as exc:
        raise GraphsimError(f"{path}: {exc.strerror}") from None


def matrix(intervals: list[dict[int, int]]) -> np.ndarray:
    """Intervals × blocks matrix of counts (block id b in column b - 1)."""
    width = max((max(v) for v in intervals if v), default=0)
    out = np.zeros((len(intervals), width), np.float64)
    for row, vector in enumerate(intervals):
        for bb, count in vector.items():
            out[row, bb - 1] = count
    return out
