"""The timing CPU: one instruction at a time, latencies from the cache hierarchy.

Both timing models (this one and cpu.pipelined) share the atomic CPU's
semantics exactly: the compiled functional kernel (graphsim/cpu/kernel.py)
runs in record mode for a batch of instructions, writing per instruction
(hart, pc, instruction word, register write, fetch and data physical
addresses, size and kind of the data access); then a compiled timing model consumes the batch — the fetch
address goes to the hart's first instruction-side cache, the data access to
its first data-side cache, through the hierarchy of the machine graph
(graphsim/mem/hierarchy.py, cachemodel.py) down to the memory controller
(dram.py) — and computes each instruction's cycles.

Time feedback. The kernel advances a hart's time by one cycle per
instruction; the model's extra (stall) cycles are added to the hart's
`tick` and `mcycle` when a batch ends, so guest-visible time (mtime, cycle)
follows the timing model. Batches end at fixed points of the machine's total
instruction count (multiples of `BATCH`) and at exits the guest causes
(device accesses served in Python, m5ops, idleness) — never where the host
happens to split a run — so runs are deterministic and a run split anywhere
equals a straight run. Draining (checkpoints, CPU switches) applies what is
pending, writes back dirty lines and empties everything in flight.

The timing CPU's cost of an instruction is its fetch latency (an L1I hit:
`hit_latency`) plus, for loads, stores and AMOs, the data access latency;
nothing overlaps (as gem5's TimingSimpleCPU). Accesses outside RAM (devices)
are uncached and cost `mmio_latency` cycles.
"""

from __future__ import annotations

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit

from ..config.schema import Cycles, Int, Param
from ..config.units import TICKS_PER_SECOND
from ..isa import decoder_gen as D
from ..isa import state as S
from ..mem import _cachedir
from ..mem import cachemodel as CM
from ..mem import tlayout as T
from ..mem.dram import mem_access
from ..mem.hierarchy import Hierarchy, build_state
from . import layout as L
from .base import CPU
from .core import Core, Exit, _decoder_flags

_U = np.uint64  # record indices as unsigned: no negative-index wrap-around code
BATCH = 1 << 16  # instructions per timing batch (and records per kernel call)
MAX_HARTS = 127  # harts a timing model times (layout.TC_INFO: the hart in bits 56-63, signed)
INTRINSIC_EXITS = ("mmio", "m5op", "idle")  # exits the guest causes: batches end there

_cachedir.use()


@njit(cache=True)
def fetch_latency(t, h, pc, insn, now, tpc):
    """Cycles to fetch the instruction at physical address pc (-1: the fetch faulted, nothing was
    read); second value: it hit in the first level."""
    hc = t[T.H_HC] + h * T.HC_W
    ht = t[T.H_HSTAT] + h * T.NHS
    if pc < 0:
        return 1, True
    if pc < t[T.H_RAM_BASE] or pc >= t[T.H_RAM_END]:
        t[ht + T.HT_MMIO] += 1
        return t[hc + T.HC_MMIO_LAT], False
    line = pc >> t[T.H_SHIFT]
    c = t[hc + T.HC_L1I]
    if c < 0:
        lat = CM.cycles_of(mem_access(t, line, False, now) - now, tpc)
        return (lat if lat > 0 else 1), False
    hs = t[T.H_HS] + h * T.HS_W
    hit_lat = t[t[T.H_CC] + c * T.CC_W + T.CC_HIT]
    if line == t[hs + T.HS_LASTF]:
        t[t[T.H_CSTAT] + c * T.NCS + T.CS_RD_ACC] += 1
        lat = hit_lat
    else:
        lat = CM.access(t, h, c, line, 0, pc, now, tpc)
        t[hs + T.HS_LASTF] = line
    if (insn & 3) == 3 and ((pc + 3) >> t[T.H_SHIFT]) != line:
        lat += CM.access(t, h, c, line + 1, 0, pc, now + lat * tpc, tpc)
        t[hs + T.HS_LASTF] = line + 1
    hit = lat <= hit_lat
    if not hit:
        t[ht + T.HT_FETCH_STALL] += lat - hit_lat
    return lat, hit


@njit(cache=True)
def data_latency(t, h, pc, maddr, minfo, now, tpc):
    """Cycles of the data access of one record; second value: it hit in the first level."""
    hc = t[T.H_HC] + h * T.HC_W
    ht = t[T.H_HSTAT] + h * T.NHS
    size = minfo & 0xFF
    kind = (minfo >> 8) & 0xFF
    if maddr < t[T.H_RAM_BASE] or maddr + size > t[T.H_RAM_END]:
        t[ht + T.HT_MMIO] += 1
        return t[hc + T.HC_MMIO_LAT], False
    line = maddr >> t[T.H_SHIFT]
    c = t[hc + T.HC_L1D]
    if c < 0:
        if kind == 2:  # a store without caches is posted
            mem_access(t, line, True, now)
            return 1, True
        lat = CM.cycles_of(mem_access(t, line, False, now) - now, tpc)
        return (lat if lat > 0 else 1), False
    lat = CM.access(t, h, c, line, kind, pc, now, tpc)
    if ((maddr + size - 1) >> t[T.H_SHIFT]) != line:
        lat += CM.access(t, h, c, line + 1, kind, pc, now + lat * tpc, tpc)
    hit_lat = t[t[T.H_CC] + c * T.CC_W + T.CC_HIT]
    hit = lat <= hit_lat
    if not hit:
        t[ht + T.HT_DATA_STALL] += lat - hit_lat
    return lat, hit


@njit(cache=True)
def fetch_second_line(t, h, hs, c, line, pc, lastd, now, tpc):
    """The full path of the second line of an instruction across two lines (the first line hit
    in the first level): its cycles, and the hart's last data line after it (the full path may
    forget it)."""
    t[hs + T.HS_LASTF] = line
    t[hs + T.HS_LASTD] = lastd
    more = CM.access(t, h, c, line + 1, 0, pc, now, tpc)
    return more, t[hs + T.HS_LASTD]


@njit(cache=True)
def _time_hart_run(t, work, i, n):
    """Time the records from i on while they belong to the same hart; returns the index of the
    first record of another hart (or n).

    The hart's hot state — its last fetch and data lines, cycle and instruction counts, the
    first-level hits of the fast paths — lives in locals for the run, the first levels'
    geometry too (cachemodel.l1_geometry). Fetches and data accesses that hit the first level
    are timed inline (the same bookkeeping as `fetch_latency` / `data_latency`); the rest take
    the full path, around which the last lines are written back to `t` and read again (the full
    path reads and resets them). The fast paths are written out here, not in helpers: inlined
    helpers returning tuples cost ~40% more."""
    trb = work[L.C_TRACE]
    shift = t[T.H_SHIFT]
    ram0 = t[T.H_RAM_BASE]
    ram1 = t[T.H_RAM_END]
    h = work[trb + i * L.TC_WORDS + L.TC_INFO] >> 56
    hs = t[T.H_HS] + h * T.HS_W
    hc = t[T.H_HC] + h * T.HC_W
    ci = t[hc + T.HC_L1I]
    cd = t[hc + T.HC_L1D]
    gi = CM.l1_geometry(t, ci)
    gd = CM.l1_geometry(t, cd)
    hit_i = gi[10]
    hit_d = gd[10]
    tpc = t[hc + T.HC_TPC]
    base = t[hs + T.HS_BASE]
    cyc = t[hs + T.HS_CYC]
    count = t[hs + T.HS_N]
    lastf = t[hs + T.HS_LASTF]
    lastd = t[hs + T.HS_LASTD]
    lastdw = t[hs + T.HS_LASTDW]
    same_f = 0  # first-level hits of the last lines, added to the caches' statistics at the end
    same_r = 0
    same_w = 0
    while i < n:
        if ci >= 0 and lastf >= 0:
            # the common case in a tight loop (few live values): a record of this hart fetched within
            # its last line, without a data access, is a first-level hit (as below, counted at once)
            j = i
            while j < n:
                r = _U(trb + j * L.TC_WORDS)
                pc = work[r + _U(L.TC_FETCH_PA)]
                if (pc >> shift) != lastf or ((pc + 3) >> shift) != lastf or work[r + _U(L.TC_MEM_ADDR)] >= 0 \
                        or (work[r + _U(L.TC_INFO)] >> 56) != h:
                    break
                j += 1
            same_f += j - i
            cyc += (j - i) * hit_i
            count += j - i
            i = j
            if i >= n:
                break
        r = _U(trb + i * L.TC_WORDS)
        info = work[r + _U(L.TC_INFO)]
        if (info >> 56) != h:
            break
        pc = work[r + _U(L.TC_FETCH_PA)]  # the physical address fetched (the record's pc may be virtual)
        insn = info & 0xFFFFFFFF
        # fetch: the last line again (the common case), else a plain first-level hit, else the full path
        line = pc >> shift
        lat = -1
        if ci >= 0 and pc >= 0:
            if line == lastf:
                same_f += 1
                lat = hit_i
            else:
                lat = CM.l1_hit_at(t, gi, line, False)
                if lat >= 0:
                    lastf = line
            if lat >= 0 and (insn & 3) == 3 and ((pc + 3) >> shift) != line:
                # across two lines: the second line's access follows the first's
                more = CM.l1_hit_at(t, gi, line + 1, False)
                if more < 0:
                    more, lastd = fetch_second_line(t, h, hs, ci, line, pc, lastd, base + (cyc + lat) * tpc, tpc)
                lastf = line + 1
                lat += more
                if lat > hit_i:
                    t[t[T.H_HSTAT] + h * T.NHS + T.HT_FETCH_STALL] += lat - hit_i
        if lat < 0:
            t[hs + T.HS_LASTF] = lastf
            t[hs + T.HS_LASTD] = lastd
            lat, _hit = fetch_latency(t, h, pc, insn, base + cyc * tpc, tpc)
            lastf = t[hs + T.HS_LASTF]
            lastd = t[hs + T.HS_LASTD]
        # data: the last data line again, else a plain first-level hit, else the full path
        maddr = work[r + _U(L.TC_MEM_ADDR)]
        if maddr >= 0:
            minfo = (info >> 32) & 0xFFFF
            size = minfo & 0xFF
            dl = -1
            dline = maddr >> shift
            write = (minfo >> 8) >= 2
            if cd >= 0 and maddr >= ram0 and maddr + size <= ram1 and ((maddr + size - 1) >> shift) == dline:
                if dline == lastd and (not write or lastdw):
                    # the line of this hart's last data hit, unchanged since: a hit, and already the
                    # most recently used way of its set
                    if write:
                        same_w += 1
                    else:
                        same_r += 1
                    dl = hit_d
                else:
                    dl = CM.l1_hit_at(t, gd, dline, write)
                    if dl >= 0:
                        lastd = dline
                        lastdw = 1 if write else 0
            if dl < 0:
                t[hs + T.HS_LASTF] = lastf
                t[hs + T.HS_LASTD] = -1
                dl, _dhit = data_latency(t, h, pc, maddr, minfo, base + (cyc + lat) * tpc, tpc)
                lastf = t[hs + T.HS_LASTF]
                lastd = t[hs + T.HS_LASTD]
            lat += dl
        cyc += lat
        count += 1
        i += 1
    t[hs + T.HS_CYC] = cyc
    t[hs + T.HS_N] = count
    t[hs + T.HS_LASTF] = lastf
    t[hs + T.HS_LASTD] = lastd
    t[hs + T.HS_LASTDW] = lastdw
    CM.count_last_line_hits(t, gi, gd, same_f, same_r, same_w)
    return i


@njit(cache=True)
def timing_batch(t0, work, n):
    """Time n records of the kernel's trace buffer, one instruction at a time."""
    t = CM.raw_view(t0)
    i = 0
    while i < n:
        i = _time_hart_run(t, work, i, n)


@njit(cache=True)
def feedback(t, harts):
    """Add every hart's stall cycles to its time and mcycle; start a new batch."""
    for h in range(t[T.H_NHARTS]):
        hs = t[T.H_HS] + h * T.HS_W
        stall = t[hs + T.HS_CYC] - t[hs + T.HS_N]
        ht = t[T.H_HSTAT] + h * T.NHS
        t[ht + T.HT_INSTS] += t[hs + T.HS_N]
        t[ht + T.HT_CYCLES] += t[hs + T.HS_CYC]
        if stall != 0:
            harts[h, S.TICK] += stall * t[t[T.H_HC] + h * T.HC_W + T.HC_TPC]
            if (harts[h, S.MCOUNTINHIBIT] & 1) == 0:
                harts[h, S.MCYCLE] += stall
        t[hs + T.HS_CYC] = 0
        t[hs + T.HS_N] = 0
        t[hs + T.HS_BASE] = harts[h, S.TICK]


_cachedir.done()


# --- the core the machine drives ------------------------------------------------

CACHE_STATS = (
    # name, description, unit, function of the counters row
    ("overallAccesses", "demand accesses (reads, writes, fills requested from above)", "count",
     lambda s: s[T.CS_RD_ACC] + s[T.CS_WR_ACC]),
    ("overallHits", "demand hits", "count",
     lambda s: s[T.CS_RD_ACC] + s[T.CS_WR_ACC] - s[T.CS_RD_MISS] - s[T.CS_WR_MISS]),
    ("overallMisses", "demand misses", "count", lambda s: s[T.CS_RD_MISS] + s[T.CS_WR_MISS]),
    ("overallMissRate", "demand misses per demand access", "ratio",
     lambda s: _ratio(s[T.CS_RD_MISS] + s[T.CS_WR_MISS], s[T.CS_RD_ACC] + s[T.CS_WR_ACC])),
    ("ReadReq.accesses", "read accesses (fetches, loads, fills)", "count", lambda s: s[T.CS_RD_ACC]),
    ("ReadReq.misses", "read misses", "count", lambda s: s[T.CS_RD_MISS]),
    ("WriteReq.accesses", "write accesses (stores, AMOs)", "count", lambda s: s[T.CS_WR_ACC]),
    ("WriteReq.misses", "write misses", "count", lambda s: s[T.CS_WR_MISS]),
    ("WritebackDirty.accesses", "write-backs and written-through lines arriving from above", "count",
     lambda s: s[T.CS_WB_ACC]),
    ("WritebackDirty.misses", "of which missed", "count", lambda s: s[T.CS_WB_MISS]),
    ("overallAvgMissLatency", "average cycles from a miss reaching this cache to the line arriving here", "cycle",
     lambda s: _ratio(s[T.CS_MISS_CYC], s[T.CS_RD_MISS] + s[T.CS_WR_MISS])),
    ("writebacks", "dirty lines written to the level below (evictions, snoops, drains)", "count",
     lambda s: s[T.CS_WRITEBACKS]),
    ("drainWritebacks", "dirty lines written back by drains (checkpoints, CPU switches)", "count",
     lambda s: s[T.CS_DRAIN_WB]),
    ("replacements", "valid lines evicted", "count", lambda s: s[T.CS_EVICTIONS]),
    ("prefetcher.pfIssued", "prefetches issued", "count", lambda s: s[T.CS_PF_ISSUED]),
    ("prefetcher.pfUseful", "prefetched lines later used by a demand access", "count",
     lambda s: s[T.CS_PF_USEFUL]),
    ("prefetcher.pfLate", "demand accesses that waited for a prefetch in flight", "count",
     lambda s: s[T.CS_PF_LATE]),
    ("prefetcher.pfInCache", "prefetches not issued: the line was present", "count",
     lambda s: s[T.CS_PF_HITS]),
    ("prefetcher.pfDropped", "prefetches dropped: no free MSHR", "count", lambda s: s[T.CS_PF_DROPPED]),
    ("coherence.invalidations", "lines invalidated by other harts' writes", "count", lambda s: s[T.CS_INVAL]),
    ("coherence.interventions", "dirty lines supplied to other harts' requests", "count",
     lambda s: s[T.CS_INTERV]),
    ("coherence.upgrades", "ownership requests for lines held shared", "count", lambda s: s[T.CS_UPGRADES]),
    ("coherence.snoopHits", "snoops that found the line here", "count", lambda s: s[T.CS_SNOOP_HITS]),
)


def _ratio(a, b):
    return round(float(a) / float(b), 6) if b else 0.0


@njit(cache=True)
def decode_words(words, harts, flags):
    """Each instruction word decoded under its hart's decoder flags."""
    out = np.empty(len(words), np.int64)
    for i in range(len(words)):
        out[i] = D.decode(words[i], flags[harts[i]])
    return out


def compact_records(rows: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Full trace records (layout.TR_*, one row each) as the kernel's compact ones (TC_*), decoded
    under the harts' decoder flags `flags` (as the kernel, for instructions that did not trap)."""
    out = np.empty((len(rows), L.TC_WORDS), np.int64)
    out[:, L.TC_DECODED] = decode_words(rows[:, L.TR_INSN].copy(), rows[:, L.TR_HART].copy(), flags)
    out[:, L.TC_PC] = rows[:, L.TR_PC]
    out[:, L.TC_FETCH_PA] = rows[:, L.TR_FETCH_PA]
    out[:, L.TC_MEM_ADDR] = rows[:, L.TR_MEM_ADDR]
    no_write = (rows[:, L.TR_RD] < 0).astype(np.int64)  # (the kernel sets it only when the instruction trapped)
    out[:, L.TC_INFO] = (rows[:, L.TR_INSN] | (rows[:, L.TR_MEM_INFO] << 32) | (no_write << 48)
                         | (rows[:, L.TR_HART] << 56))
    return out


class TimedCore(Core):
    """What both timing models share: batching over the kernel's record mode, time feedback,
    drain, warm state and statistics. Subclasses provide `_consume` (the compiled model)."""

    with_predictors = False
    records_trace = True

    def __init__(self, config, ram, harts=None, graph=None):
        if graph is None:
            raise ValueError("a timing core needs the machine graph (its caches and memory)")
        self.graph = graph
        self.cpu_components = [graph.components[n] for n in graph.cpus]
        self.hierarchy = Hierarchy.of(graph)
        if len(self.cpu_components) > MAX_HARTS:  # (the compact record carries the hart in 7 bits)
            cpu = self.cpu_components[0]
            self.hierarchy.problems.append((cpu, "type", f"{cpu.kind} times at most {MAX_HARTS} harts; "
                                                         f"this machine has {len(self.cpu_components)}"))
        self.hierarchy.raise_problems(graph)
        self.batch = BATCH
        config.quantum = self.cpu_components[0].params.quantum
        self._timing = None
        self._captured = None
        super().__init__(config, ram, harts)
        self._reset_stats_marks()

    # --- layout -----------------------------------------------------------------
    def _build_work(self) -> np.ndarray:
        w = super()._build_work()
        start = len(w)
        w = np.concatenate([w, np.zeros(self.batch * L.TR_WORDS, np.int64)])  # (room for full records: run_trace)
        w[L.C_TRACE] = start
        w[L.C_TRACECAP] = self.batch
        w[L.C_TRACE_ON] = L.TRACE_COMPACT
        self._offs["trace"] = start
        if self._timing is None:
            self._build_timing(w)
        return w

    def _build_timing(self, w):
        c = self.config
        tpc = [TICKS_PER_SECOND // f for f in self.freqs]
        flags = [_decoder_flags(isa) for isa in self.isas]
        self._timing = build_state(self.graph, self.hierarchy, tpc, c.ram_base, c.ram_size,
                                   [cpu.params for cpu in self.cpu_components], flags, self.with_predictors)
        self.t = self._timing.t
        for i, cache in enumerate(self.hierarchy.caches):
            cache.state_arrays = self._timing.cache_views[i]
            cache.warm_state = True
            CM.cold_cache(self.t, i, int(cache.params.seed))
        mem = self.hierarchy.memory
        if mem is not None and self._timing.memory_views:
            mem.state_arrays.update(self._timing.memory_views)
            mem.warm_state = True
        self._prepare_model()

    def _prepare_model(self):
        """Subclasses fill their own regions of `t` (op tables, predictor geometry)."""

    def hart_views(self, h: int) -> dict:
        views = super().hart_views(h)
        if self._timing is not None:
            views.update(self._timing.bp_views[h])
        return views

    # --- state ------------------------------------------------------------------
    def reset(self):
        super().reset()
        if self._timing is not None:
            for i, cache in enumerate(self.hierarchy.caches):
                CM.cold_cache(self.t, i, int(cache.params.seed))
            self._cold_model()
            self._reset_transient()

    def after_restore(self):
        super().after_restore()
        if self._timing is not None:
            for i in range(len(self.hierarchy.caches)):
                CM.normalise_restored(self.t, i)
            self._reset_transient()

    def _cold_model(self):
        """Subclasses: forget predictor state."""

    def _reset_transient(self):
        """Everything in flight forgotten; a new batch starts at each hart's current time."""
        t = self.t
        r0, n = self._timing.regions["hs"]
        t[r0:r0 + n] = 0
        for h in range(self.config.nharts):
            hs = r0 + h * T.HS_W
            t[hs + T.HS_LASTF] = -1
            t[hs + T.HS_LASTD] = -1
            t[hs + T.HS_BASE] = self.harts[h, S.TICK]
        r0, n = self._timing.regions["mbusy"]
        t[r0:r0 + n] = 0
        r0, n = self._timing.regions["mshr"]
        t[r0:r0 + n] = 0

    # --- running ----------------------------------------------------------------
    def run(self, max_insts: int, until_tick: int = -1) -> Exit:
        w = self.work
        done = 0
        while True:
            total = sum(self.harts[:, S.ICOUNT].tolist())  # (a numpy sum costs ~4 us a batch)
            n = self.batch - total % self.batch
            if max_insts - done < n:
                n = max_insts - done
            if n <= 0:
                return Exit("budget")
            # the models read compact records; run_trace's caller gets full ones, compacted for the model
            w[L.C_TRACE_ON] = L.TRACE_COMPACT if self._captured is None else L.TRACE_FULL
            ex = Core.run(self, n, until_tick)
            count = int(w[L.C_TRACECOUNT])
            if self._captured is not None:
                start = w[L.C_TRACE]
                rows = w[start:start + count * L.TR_WORDS].reshape(count, L.TR_WORDS).copy()
                self._captured.append(rows)
                flags = np.array([_decoder_flags(isa) for isa in self.isas], np.int64)
                w[start:start + count * L.TC_WORDS] = compact_records(rows, flags).reshape(-1)
            if count:
                self._consume(count)
                w[L.C_TRACECOUNT] = 0
            after = sum(self.harts[:, S.ICOUNT].tolist())
            done += after - total
            if ex.reason in INTRINSIC_EXITS or after % self.batch == 0:
                if ex.reason == "m5op":
                    self._settle(ex.hart)
                feedback(self.t, self.harts)
            if ex.reason != "budget" or done >= max_insts:
                return ex

    def _consume(self, count: int):
        raise NotImplementedError

    def run_trace(self, max_insts: int, until_tick: int = -1):
        """Like run, also returning every instruction's record (see Core.run_trace)."""
        self._captured = []
        try:
            ex = self.run(max_insts, until_tick)
            rows = self._captured
        finally:
            self._captured = None
        return ex, np.concatenate(rows) if rows else np.zeros((0, L.TR_WORDS), np.int64)

    def _settle(self, hart: int):
        """Subclasses: finish the hart's instruction whose successor is not known yet."""

    def drain(self):
        """Apply pending time, write back every dirty line (counted), empty what is in flight."""
        for h in range(self.config.nharts):
            self._settle(h)
        feedback(self.t, self.harts)
        CM.drain_caches(self.t)
        self._reset_transient()

    @property
    def tick(self) -> int:
        t = self.t
        best = 0
        for h in range(self.config.nharts):
            hs = t[T.H_HS] + h * T.HS_W
            tpc = t[t[T.H_HC] + h * T.HC_W + T.HC_TPC]
            best = max(best, int(self.harts[h, S.TICK] + (t[hs + T.HS_CYC] - t[hs + T.HS_N]) * tpc))
        return best

    @tick.setter
    def tick(self, value: int):
        self.harts[:, S.TICK] = int(value)
        if self._timing is not None:
            self._reset_transient()

    def hart_tick(self, h: int) -> int:
        t = self.t
        hs = t[T.H_HS] + h * T.HS_W
        tpc = t[t[T.H_HC] + h * T.HC_W + T.HC_TPC]
        return int(self.harts[h, S.TICK] + (t[hs + T.HS_CYC] - t[hs + T.HS_N]) * tpc)

    # --- statistics -------------------------------------------------------------
    def _reset_stats_marks(self):
        self._stats_marks = [(self.hart_tick(h), int(self.harts[h, S.ICOUNT])) for h in range(self.config.nharts)]

    def reset_stats(self):
        super().reset_stats()
        for key in ("cstat", "hstat", "mstat"):
            r0, n = self._timing.regions[key]
            self.t[r0:r0 + n] = 0
        self._reset_stats_marks()

    def stats(self) -> list[tuple]:
        out = list(super().stats())
        t = self.t
        spans = []
        for h, cpu in enumerate(self.cpu_components):
            prefix = f"system.{cpu.name}"
            tick0, insts0 = self._stats_marks[h]
            tpc = TICKS_PER_SECOND // self.freqs[h]
            spans.append(self.hart_tick(h) - tick0)
            cycles = spans[-1] // tpc
            insts = int(self.harts[h, S.ICOUNT]) - insts0
            ht = self._timing.regions["hstat"][0] + h * T.NHS
            row = t[ht:ht + T.NHS]
            out += [
                (f"{prefix}.numCycles", int(cycles), "Number of cpu cycles simulated", "cycle"),
                (f"{prefix}.ipc", _ratio(insts, cycles), "IPC: instructions per cycle", "inst/cycle"),
                (f"{prefix}.cpi", _ratio(cycles, insts), "CPI: cycles per instruction", "cycle/inst"),
                (f"{prefix}.fetchStallCycles", int(row[T.HT_FETCH_STALL]),
                 "cycles waiting for instruction fetch beyond a first-level hit", "cycle"),
                (f"{prefix}.dataStallCycles", int(row[T.HT_DATA_STALL]),
                 "cycles waiting for data beyond a first-level hit", "cycle"),
                (f"{prefix}.uncachedAccesses", int(row[T.HT_MMIO]), "device (uncached) accesses", "count"),
            ]
            out += self._cpu_stats(prefix, row, insts)
        cs0 = self._timing.regions["cstat"][0]
        for i, cache in enumerate(self.hierarchy.caches):
            row = t[cs0 + i * T.NCS:cs0 + (i + 1) * T.NCS]
            for name, desc, unit, fn in CACHE_STATS:
                value = fn(row)
                out.append((f"system.{cache.name}.{name}", value if isinstance(value, float) else int(value),
                            desc, unit))
        mem = self.hierarchy.memory
        if mem is not None:
            m0 = self._timing.regions["mstat"][0]
            m = t[m0:m0 + T.NMS]
            line = self.hierarchy.line_size
            prefix = f"system.{mem.name}"
            reads, writes = int(m[T.MS_READS]), int(m[T.MS_WRITES])
            out += [
                (f"{prefix}.readReqs", reads, "line reads", "count"),
                (f"{prefix}.writeReqs", writes, "line writes (write-backs)", "count"),
                (f"{prefix}.bytesRead", reads * line, "bytes read", "byte"),
                (f"{prefix}.bytesWritten", writes * line, "bytes written", "byte"),
                (f"{prefix}.avgReadLatency", _ratio(m[T.MS_READ_TICKS], reads), "average read latency", "tick"),
                (f"{prefix}.avgQueueLatency", _ratio(m[T.MS_QUEUE_TICKS], reads),
                 "average ticks a read waited for a bank or the data channel", "tick"),
                (f"{prefix}.busUtilisation", _ratio(m[T.MS_BUSY_TICKS], max(spans, default=0)),
                 "fraction of the time the data channel transferred", "ratio"),
            ]
            if mem.params.model == "dram":
                out += [
                    (f"{prefix}.rowHits", int(m[T.MS_ROW_HITS]), "accesses to the open row", "count"),
                    (f"{prefix}.rowEmpty", int(m[T.MS_ROW_EMPTY]), "accesses to a precharged bank", "count"),
                    (f"{prefix}.rowConflicts", int(m[T.MS_ROW_CONFLICTS]),
                     "accesses that closed another open row", "count"),
                ]
        return out

    def _cpu_stats(self, prefix, row, insts) -> list[tuple]:
        return []


class TimingCore(TimedCore):
    def _consume(self, count: int):
        timing_batch(self.t, self.work, count)


class TimingCPU(CPU):
    kind = "cpu.timing"
    doc = ("Timing CPU: the atomic CPU's semantics, timed one instruction at a time through the machine's "
           "caches and memory (fetch latency + data latency per instruction; nothing overlaps).")

    mmio_latency = Param(Cycles, 10, "cycles of an uncached access to a device", min=1)
    quantum = Param(Int, 1000, "instructions a hart runs before another is scheduled: the grain at which the "
                               "harts' accesses interleave in the caches", min=1)

    @staticmethod
    def core_class():
        return TimingCore
