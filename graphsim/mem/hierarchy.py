"""The memory hierarchy of a machine graph, as the compiled timing models see it.

`Hierarchy.of(graph)` follows each CPU's `icache_port` and `dcache_port`
through the caches' `mem_side` bindings down to the memory bus, at any depth
(private L1I/L1D, private or shared L2, optional L3, ...). It resolves each
cache's coherence protocol and numbers the caches. `check_hierarchy` reports
the configurations the model cannot honour, naming the key:

* caches of one machine with different line sizes (the model, like gem5, has
  one line size per system);
* a coherence protocol on a machine with a single hart, on a cache every hart
  shares (there is nothing to keep coherent with), or two protocols mixed;
* a DRAM row smaller than a cache line.

`build_state` lays the hierarchy out in the packed int64 array the compiled
code runs on (graphsim/mem/tlayout.py) and returns it with the numpy views
that the cache and memory components save as warm state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config.units import TICKS_PER_SECOND
from ..errors import ConfigError, Problem
from . import tlayout as T
from .cache import PREFETCHERS, REPLACEMENT

DEFAULT_LINE = 64


@dataclass
class Hierarchy:
    caches: list = field(default_factory=list)  # cache components, in index order
    next: list = field(default_factory=list)  # index of the level below, -1: memory
    l1i: list = field(default_factory=list)  # per hart: first cache of its fetches, -1: none
    l1d: list = field(default_factory=list)
    harts_of: list = field(default_factory=list)  # per cache: set of hart indices whose path includes it
    coherence: list = field(default_factory=list)  # per cache: T.COH_*
    line_size: int = DEFAULT_LINE
    memory: object = None
    bus_ticks: int = 0  # memory bus latency
    problems: list = field(default_factory=list)  # (component, param, message)

    @classmethod
    def of(cls, graph) -> "Hierarchy":
        h = cls()
        index: dict[str, int] = {}
        comps = graph.components

        def chain(start: str | None, hart: int) -> int:
            """Index of the first cache from ``start`` on, adding every cache below it."""
            first = -1
            prev = -1
            name = start
            seen = set()
            while name is not None and name in comps and comps[name].role == "cache" and name not in seen:
                seen.add(name)
                if name not in index:
                    index[name] = len(h.caches)
                    h.caches.append(comps[name])
                    h.next.append(-1)
                    h.harts_of.append(set())
                i = index[name]
                h.harts_of[i].add(hart)
                if prev >= 0:
                    h.next[prev] = i
                if first < 0:
                    first = i
                prev = i
                below = graph.peers(name, "mem_side")
                name = below[0][0] if below else None
            if name is not None and name in comps and comps[name].role == "bus" and h.bus_ticks == 0:
                bus = comps[name]
                h.bus_ticks = bus.params.latency * (TICKS_PER_SECOND // bus.params.frequency)
            return first

        for hart, cpu in enumerate(graph.cpus):
            for port, out in (("icache_port", h.l1i), ("dcache_port", h.l1d)):
                peers = graph.peers(cpu, port)
                out.append(chain(peers[0][0] if peers else None, hart))
        memories = graph.of_role("memory")
        h.memory = memories[0] if memories else None
        nharts = len(graph.cpus)
        sizes = {}
        for c in h.caches:
            sizes.setdefault(c.params.line_size, []).append(c)
        if sizes:
            h.line_size = h.caches[0].params.line_size
            for size, members in sizes.items():
                if size != h.line_size:
                    for c in members:
                        h.problems.append((c, "line_size", f"{size}B differs from {h.caches[0].name}'s "
                                                           f"{h.line_size}B: every cache of a machine has "
                                                           "the same line size"))
        protocols = set()
        for i, c in enumerate(h.caches):
            wanted = c.params.coherence
            shared_by_all = len(h.harts_of[i]) == nharts
            if wanted == "auto":
                h.coherence.append(T.COH_MESI if nharts > 1 and not shared_by_all else T.COH_NONE)
                continue
            if wanted == "none":
                h.coherence.append(T.COH_NONE)
                continue
            if nharts < 2:
                h.problems.append((c, "coherence", f"{wanted} needs caches of several harts to keep coherent; "
                                                   "this machine has one hart"))
            elif shared_by_all:
                h.problems.append((c, "coherence", f"{wanted}: {c.name} is shared by every hart, so there is "
                                                   "no other cache to keep coherent with"))
            protocols.add(wanted)
            h.coherence.append(T.COH_MSI if wanted == "msi" else T.COH_MESI)
        if len(protocols) > 1:
            first = next(c for c in h.caches if c.params.coherence in protocols)
            for c in h.caches:
                if c.params.coherence in protocols and c.params.coherence != first.params.coherence:
                    h.problems.append((c, "coherence", f"{c.params.coherence} mixed with "
                                                       f"{first.params.coherence} ({first.name}): one protocol "
                                                       "per machine"))
        if h.memory is not None and h.memory.params.model == "dram" and \
                h.memory.params.dram_row_size < h.line_size:
            h.problems.append((h.memory, "dram_row_size", f"{h.memory.params.dram_row_size}B is smaller than "
                                                          f"a cache line ({h.line_size}B)"))
        return h

    def raise_problems(self, graph):
        if not self.problems:
            return
        problems = []
        for component, param, message in self.problems:
            table = graph.declared_as.get(component.name, component.name)
            key = ("components", table, param)
            problem = Problem(graph.source.origin(*key), ".".join(key), message)
            if problem not in problems:  # members of an array share their parameters: report once
                problems.append(problem)
        raise ConfigError(problems)


def check_hierarchy(graph):
    """Raise ConfigError naming every key of a hierarchy the timing models cannot honour."""
    Hierarchy.of(graph).raise_problems(graph)


def _log2(n: int) -> int:
    return n.bit_length() - 1


@dataclass
class TimingState:
    """The packed array and the views the components save."""

    t: np.ndarray
    hierarchy: Hierarchy
    cache_views: list  # per cache: {field: view}
    memory_views: dict
    bp_views: list  # per hart: {field: view} (pipelined only)
    regions: dict


def build_state(graph, hierarchy: Hierarchy, tpc: list, ram_base: int, ram_size: int, hart_params: list,
                decoder_flags: list, with_predictors: bool = False) -> TimingState:
    """Lay out the packed array. ``hart_params`` are the CPU components' resolved params."""
    h = hierarchy
    nc = len(h.caches)
    nh = len(tpc)
    regions = {}
    words = T.HDR

    def region(name: str, n: int):
        nonlocal words
        regions[name] = (words, n)
        words += n

    region("cc", nc * T.CC_W)
    nlines = [max(1, c.params.size // c.params.line_size) for c in h.caches]
    total_lines = sum(nlines)
    for name in ("tags", "flags", "lru", "ready"):
        region(name, total_lines)
    repl_words = [1 + c.sets for c in h.caches]
    region("repl", sum(repl_words))
    region("pft", nc * T.PF_ENTRIES * T.PF_W)
    region("mshr", sum(c.params.mshrs for c in h.caches))
    region("cstat", nc * T.NCS)
    region("hc", nh * T.HC_W)
    region("hs", nh * T.HS_W)
    region("hstat", nh * T.NHS)
    region("onpath", nh * max(1, nc))
    region("mc", T.MC_W)
    mem = h.memory
    banks = mem.params.dram_banks if mem is not None else 1
    region("mbusy", 1 + banks)
    region("mrow", banks)
    region("mgeom", 4)
    region("mstat", T.NMS)
    coherent = [i for i in range(nc) if h.coherence[i] != T.COH_NONE]
    region("coh", max(1, len(coherent)))
    bp_sizes = []
    for p in hart_params:
        if with_predictors:
            bp_sizes.append(T.bp_region_words(p.bp_entries, p.btb_entries, p.ras_entries))
        else:
            bp_sizes.append(0)
    region("bp", max(1, sum(bp_sizes)))
    region("dec", 2 * T.DEC_ENTRIES if with_predictors else 2)
    region("ops", 256)
    region("geom", nc * T.GEOM_W)

    t = np.zeros(words, np.int64)
    for key, slot in (("cc", T.H_CC), ("tags", T.H_TAGS), ("flags", T.H_FLAGS), ("lru", T.H_LRU),
                      ("ready", T.H_READY), ("repl", T.H_REPL), ("pft", T.H_PFT), ("mshr", T.H_MSHR),
                      ("cstat", T.H_CSTAT), ("hc", T.H_HC), ("hs", T.H_HS), ("hstat", T.H_HSTAT),
                      ("onpath", T.H_ONPATH), ("mc", T.H_MC), ("mbusy", T.H_MBUSY), ("mrow", T.H_MROW),
                      ("mstat", T.H_MSTAT), ("coh", T.H_COH), ("bp", T.H_BP), ("dec", T.H_DEC),
                      ("ops", T.H_OPS), ("geom", T.H_GEOM)):
        t[slot] = regions[key][0]
    t[T.H_NCACHE] = nc
    t[T.H_NHARTS] = nh
    t[T.H_SHIFT] = _log2(h.line_size)
    t[T.H_RAM_BASE] = ram_base
    t[T.H_RAM_END] = ram_base + ram_size
    t[T.H_NCOH] = len(coherent)
    t[T.H_BUS_TICKS] = h.bus_ticks
    for k, c in enumerate(coherent):
        t[regions["coh"][0] + k] = c

    # --- caches ---
    l0 = r0 = m0 = 0
    l1i_set = {i for i in h.l1i if i >= 0}
    l1d_set = {i for i in h.l1d if i >= 0}
    cache_views = []
    for i, c in enumerate(h.caches):
        p = c.params
        row = regions["cc"][0] + i * T.CC_W
        sets = c.sets
        values = {
            T.CC_SETS: sets, T.CC_ASSOC: p.assoc, T.CC_SETMASK: sets - 1, T.CC_HIT: p.hit_latency,
            T.CC_RESP: p.response_latency, T.CC_REPL: REPLACEMENT.index(p.replacement),
            T.CC_WB: 1 if p.write_policy == "write_back" else 0, T.CC_WALLOC: 1 if p.write_allocate else 0,
            T.CC_MSHRS: p.mshrs, T.CC_PF: PREFETCHERS.index(p.prefetcher), T.CC_PFDEG: p.prefetch_degree,
            T.CC_NEXT: h.next[i], T.CC_COH: h.coherence[i], T.CC_L0: l0, T.CC_R0: r0,
            T.CC_P0: i * T.PF_ENTRIES * T.PF_W, T.CC_M0: m0, T.CC_ISL1I: 1 if i in l1i_set else 0,
            T.CC_LOGASSOC: _log2(p.assoc), T.CC_ISL1D: 1 if i in l1d_set else 0,
        }
        below = h.next[i]
        while below >= 0 and h.coherence[below] != T.COH_NONE:
            below = h.next[below]
        values[T.CC_CPOINT] = below
        for k, v in values.items():
            t[row + k] = v
        geom = c.warm_geometry()
        g0 = regions["geom"][0] + i * T.GEOM_W
        t[g0:g0 + T.GEOM_W] = geom
        n = nlines[i]
        views = {
            "warm_geometry": t[g0:g0 + T.GEOM_W],
            "tags": t[regions["tags"][0] + l0:regions["tags"][0] + l0 + n],
            "flags": t[regions["flags"][0] + l0:regions["flags"][0] + l0 + n],
            "lru": t[regions["lru"][0] + l0:regions["lru"][0] + l0 + n],
            "repl": t[regions["repl"][0] + r0:regions["repl"][0] + r0 + repl_words[i]],
            "prefetch": t[regions["pft"][0] + values[T.CC_P0]:
                          regions["pft"][0] + values[T.CC_P0] + T.PF_ENTRIES * T.PF_W],
        }
        cache_views.append(views)
        l0 += n
        r0 += repl_words[i]
        m0 += p.mshrs
    for hart in range(nh):
        for i in range(nc):
            if hart in h.harts_of[i]:
                t[regions["onpath"][0] + hart * max(1, nc) + i] = 1

    # --- memory ---
    mc = regions["mc"][0]
    memory_views = {}
    if mem is not None:
        p = mem.params
        t[mc + T.MC_MODEL] = 1 if p.model == "dram" else 0
        t[mc + T.MC_LATENCY] = p.latency
        t[mc + T.MC_BURST] = max(1, -(-h.line_size * TICKS_PER_SECOND // p.bandwidth))
        t[mc + T.MC_BANKS] = p.dram_banks
        t[mc + T.MC_ROW] = p.dram_row_size
        t[mc + T.MC_TRCD] = p.dram_tRCD
        t[mc + T.MC_TCAS] = p.dram_tCAS
        t[mc + T.MC_TRP] = p.dram_tRP
        t[mc + T.MC_STATIC] = p.dram_static_latency
        t[mc + T.MC_CLOSED] = 1 if p.dram_page_policy == "closed" else 0
        t[mc + T.MC_LINE] = h.line_size
        g = regions["mgeom"][0]
        t[g:g + 4] = mem.warm_geometry()
        memory_views = {"dram_rows": t[regions["mrow"][0]:regions["mrow"][0] + banks], "warm_geometry": t[g:g + 4]}
    else:
        t[mc + T.MC_BANKS] = 1
        t[mc + T.MC_ROW] = 1 << 30
        t[mc + T.MC_BURST] = 1

    # --- harts ---
    bp_views = []
    b0 = 0
    for hart in range(nh):
        row = regions["hc"][0] + hart * T.HC_W
        p = hart_params[hart]
        t[row + T.HC_L1I] = h.l1i[hart]
        t[row + T.HC_L1D] = h.l1d[hart]
        t[row + T.HC_TPC] = tpc[hart]
        t[row + T.HC_MMIO_LAT] = p.mmio_latency
        t[row + T.HC_DFLAGS] = decoder_flags[hart]
        t[row + T.HC_BP0] = b0
        views = {}
        if with_predictors:
            t[row + T.HC_MUL_LAT] = p.mul_latency
            t[row + T.HC_DIV_LAT] = p.div_latency
            for itype, param in (("FloatAdd", "fadd_latency"), ("FloatMult", "fmul_latency"),
                                 ("FloatMultAcc", "fma_latency"), ("FloatDiv", "fdiv_latency"),
                                 ("FloatSqrt", "fsqrt_latency"), ("FloatCvt", "fcvt_latency"),
                                 ("FloatCmp", None), ("FloatMisc", None)):
                t[row + T.HC_ITYPE_LAT + T.ITYPES.index(itype)] = p[param] if param else 1
            t[row + T.HC_PENALTY] = p.mispredict_penalty
            t[row + T.HC_BP_KIND] = T.PREDICTORS.index(p.predictor)
            t[row + T.HC_BP_ENTRIES] = p.bp_entries
            t[row + T.HC_BTB_ENTRIES] = p.btb_entries
            t[row + T.HC_RAS_ENTRIES] = p.ras_entries
            t[row + T.HC_HIST_BITS] = _log2(p.bp_entries)
            base = regions["bp"][0] + b0
            tables = base + T.BPR_TABLES
            e, b, r = p.bp_entries, p.btb_entries, p.ras_entries
            views = {
                "warm_geometry": t[base + T.BPR_GEOM:base + T.BPR_GEOM + T.GEOM_W],
                "bp_history": t[base + T.BPR_HIST:base + T.BPR_HIST + 1],
                "ras_top": t[base + T.BPR_RAS_TOP:base + T.BPR_RAS_TOP + 1],
                "bp_counters": t[tables:tables + e],
                "btb_tags": t[tables + e:tables + e + b],
                "btb_targets": t[tables + e + b:tables + e + 2 * b],
                "ras": t[tables + e + 2 * b:tables + e + 2 * b + r],
            }
        bp_views.append(views)
        b0 += bp_sizes[hart]
    return TimingState(t, h, cache_views, memory_views, bp_views, regions)
