"""The compiled cache hierarchy: tag lookups, replacement, fills, write-backs,
prefetchers, MSHR occupancy and snooping coherence, over the packed array `t`
(graphsim/mem/tlayout.py).

The model serves a *blocking* CPU: one demand access at a time, whose latency
in CPU cycles `access` returns. Semantics:

* Latency. A hit at a level costs its `hit_latency`. A miss costs the level's
  `hit_latency` (the tag check), then the level below, then the level's
  `response_latency` (the fill). Below the last cache the memory controller
  (graphsim/mem/dram.py) answers in ticks, converted to the requesting CPU's
  cycles (rounded up).
* Writes. Write-back levels mark the line dirty; write-through levels pass the
  write down (posted: the CPU does not wait). A write miss in a write-allocate
  level fetches the line (read for ownership); in a no-write-allocate level the
  write is posted to the level below. Dirty victims are written back to the
  level below (posted), allocating there when it is a write-allocate,
  write-back level.
* Replacement. Invalid ways first; then LRU (per-way stamps), tree-PLRU or a
  seeded xorshift random choice.
* Prefetchers (per level): `next_line` fetches lines L+1..L+degree after a
  demand miss on L or the first demand hit on a prefetched line L (tagged
  prefetching); `stride` keeps a 64-entry table indexed by the instruction's pc
  and, after two equal strides, fetches degree lines ahead along the stride.
  A prefetched line arrives at a future tick; a demand access that finds it
  still in flight waits for the rest (a "late" prefetch).
* MSHRs. A blocking CPU has at most one demand miss outstanding; one MSHR is
  kept for it, so demand misses never wait. Prefetches occupy the other MSHRs
  until their data arrives and are dropped when none is free. (Not modelled:
  MSHR merging of several CPU requests, write buffers filling up.)
* Coherence: snooping MSI or MESI among the caches marked coherent (the private
  ones, graphsim/mem/hierarchy.py). When a request leaves hart h's coherent
  levels (a miss in all of them), or writes a line it holds shared (an
  upgrade), every coherent cache *not* on h's path is snooped: a write
  invalidates other copies (counted as invalidations; a dirty copy is handed
  over: an intervention); a read downgrades E/M copies to S, a dirty one
  supplying the data (intervention) and writing it back to the point of
  coherence. The requester gets the line exclusive (E) if nobody else had it
  (MESI), else shared (S); a write always gets it modified (M). Data supplied
  by an intervention costs the point of coherence's hit latency instead of the
  trip below it. The harts' accesses are snooped in the order the functional
  kernel interleaves them (quanta of `quantum` instructions per hart).
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit
from numba.core import types
from numba.extending import intrinsic

from . import _cachedir
from . import tlayout as T
from .dram import mem_access

_cachedir.use()

_LOW57 = (1 << 57) - 1


@intrinsic
def _int64_pointer(typingctx, address):
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.int64)))

    return types.CPointer(types.int64)(address), codegen


@njit(cache=True)
def raw_view(t):
    """The memory of `t` as a bare int64 pointer, indexed like the array. An array passed to a
    compiled function costs reference-count calls (also into inlined helpers: one pair per
    helper use, even for an array without a reference count) and every index a negative-index
    check; a pointer costs neither. The hot loops (the models' batches and everything below
    them) take this instead of `t`. Valid while `t` lives (the caller holds it)."""
    return _int64_pointer(t.ctypes.data)


@njit(cache=True)
def cycles_of(ticks, tpc):
    if ticks <= 0:
        return 0
    return (ticks + tpc - 1) // tpc


@njit(cache=True)
def lookup(t, c, line):
    """Global line index of `line` in cache c, or -1."""
    cc = t[T.H_CC] + c * T.CC_W
    assoc = t[cc + T.CC_ASSOC]
    base = t[cc + T.CC_L0] + (line & t[cc + T.CC_SETMASK]) * assoc
    tg = t[T.H_TAGS] + base
    for w in range(assoc):
        if t[tg + w] == line:
            return base + w
    return -1


@njit(cache=True)
def touch(t, c, idx):
    cc = t[T.H_CC] + c * T.CC_W
    repl = t[cc + T.CC_REPL]
    if repl == T.REPL_LRU:
        r = t[T.H_REPL] + t[cc + T.CC_R0]
        t[r] += 1
        t[t[T.H_LRU] + idx] = t[r]
    elif repl == T.REPL_PLRU:
        assoc = t[cc + T.CC_ASSOC]
        rel = idx - t[cc + T.CC_L0]
        s = rel // assoc
        w = rel - s * assoc
        levels = t[cc + T.CC_LOGASSOC]
        slot = t[T.H_REPL] + t[cc + T.CC_R0] + 1 + s
        bits = t[slot]
        node = 1
        for lv in range(levels):
            b = (w >> (levels - 1 - lv)) & 1
            if b:
                bits &= ~(1 << node)  # victim side: left
            else:
                bits |= 1 << node  # victim side: right
            node = 2 * node + b
        t[slot] = bits


@njit(cache=True, inline="always")
def l1_hit(t, c, line, is_write):
    """The common case, small enough to be inlined into the hot loops: a demand access that hits
    cache c with nothing else to do (no prefetch tag, nothing in flight, no ownership request,
    a write-back level for writes). Does its bookkeeping and returns the hit latency, else -1
    (the caller then takes the full path, `access`)."""
    cc = t[T.H_CC] + c * T.CC_W
    assoc = t[cc + T.CC_ASSOC]
    base = t[cc + T.CC_L0] + (line & t[cc + T.CC_SETMASK]) * assoc
    tg = t[T.H_TAGS] + base
    idx = -1
    for w in range(assoc):
        if t[tg + w] == line:
            idx = base + w
            break
    if idx < 0:
        return -1
    fa = t[T.H_FLAGS] + idx
    fl = t[fa]
    if (fl & T.F_PREF) != 0 or t[t[T.H_READY] + idx] != 0 or t[cc + T.CC_PF] == T.PF_STRIDE:
        return -1
    st = t[T.H_CSTAT] + c * T.NCS
    if is_write:
        if t[cc + T.CC_WB] == 0 or (t[cc + T.CC_COH] != T.COH_NONE and (fl & T.F_EXCL) == 0):
            return -1
        t[fa] = fl | T.F_DIRTY
        t[st + T.CS_WR_ACC] += 1
    else:
        t[st + T.CS_RD_ACC] += 1
    repl = t[cc + T.CC_REPL]
    if repl == T.REPL_LRU:
        r = t[T.H_REPL] + t[cc + T.CC_R0]
        t[r] += 1
        t[t[T.H_LRU] + idx] = t[r]
    elif repl == T.REPL_PLRU:
        touch(t, c, idx)
    return t[cc + T.CC_HIT]


@njit(cache=True)
def l1_hit_call(t, c, line, is_write):
    """`l1_hit`, not inlined (the rare policies' path out of the hot loops)."""
    return l1_hit(t, c, line, is_write)


_U = np.uint64  # indices as unsigned: no negative-index wrap-around code in the hot paths


@njit(cache=True, inline="always")
def l1_geometry(t, c):
    """What `l1_hit_at` needs of cache c (-1: none), read once per run of records instead of per
    access: (c, plain LRU without a stride prefetcher, tags, set mask, ways, flags, ready, LRU
    stamps, LRU clock, statistics, hit latency, write check: 0 write-through, 1 writable,
    2 writable when held exclusive)."""
    if c < 0:
        return (c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    cc = t[T.H_CC] + c * T.CC_W
    l0 = t[cc + T.CC_L0]
    plain = 1 if t[cc + T.CC_REPL] == T.REPL_LRU and t[cc + T.CC_PF] != T.PF_STRIDE else 0
    wcheck = 0 if t[cc + T.CC_WB] == 0 else (1 if t[cc + T.CC_COH] == T.COH_NONE else 2)
    return (c, plain, t[T.H_TAGS] + l0, t[cc + T.CC_SETMASK], t[cc + T.CC_ASSOC], t[T.H_FLAGS] + l0,
            t[T.H_READY] + l0, t[T.H_LRU] + l0, t[T.H_REPL] + t[cc + T.CC_R0], t[T.H_CSTAT] + c * T.NCS,
            t[cc + T.CC_HIT], wcheck)


@njit(cache=True, inline="always")
def count_last_line_hits(t, gi, gd, fetches, reads, writes):
    """Add the first-level hits a hart run counted on its last lines (taken without touching the
    caches) to the statistics of the L1I (geometry gi) and the L1D (gd)."""
    if fetches:
        t[gi[9] + T.CS_RD_ACC] += fetches
    if reads:
        t[gd[9] + T.CS_RD_ACC] += reads
    if writes:
        t[gd[9] + T.CS_WR_ACC] += writes


@njit(cache=True, inline="always")
def l1_hit_at(t, g, line, is_write):
    """`l1_hit` of the cache whose `l1_geometry` is g: the same checks and bookkeeping, with the
    geometry in registers (other replacement policies and stride prefetchers: `l1_hit`)."""
    c, plain, tg0, setmask, assoc, fl0, rd0, lru0, rslot, st, hit, wcheck = g
    if plain == 0:
        return l1_hit_call(t, c, line, is_write)
    base = (line & setmask) * assoc
    idx = -1
    for w in range(assoc):
        if t[_U(tg0 + base + w)] == line:
            idx = base + w
            break
    if idx < 0:
        return -1
    fl = t[_U(fl0 + idx)]
    if (fl & T.F_PREF) != 0 or t[_U(rd0 + idx)] != 0:
        return -1
    if is_write:
        if wcheck == 0 or (wcheck == 2 and (fl & T.F_EXCL) == 0):
            return -1
        t[_U(fl0 + idx)] = fl | T.F_DIRTY
        t[_U(st + T.CS_WR_ACC)] += 1
    else:
        t[_U(st + T.CS_RD_ACC)] += 1
    stamp = t[_U(rslot)] + 1
    t[_U(rslot)] = stamp
    t[_U(lru0 + idx)] = stamp
    return hit


@njit(cache=True)
def reset_fetch_lines(t):
    """Forget every hart's last-fetched line (its L1I lost a line)."""
    hs = t[T.H_HS]
    for h in range(t[T.H_NHARTS]):
        t[hs + h * T.HS_W + T.HS_LASTF] = -1


@njit(cache=True)
def reset_data_lines(t):
    """Forget every hart's last data line (an L1D lost a line or a line's state changed)."""
    hs = t[T.H_HS]
    for h in range(t[T.H_NHARTS]):
        t[hs + h * T.HS_W + T.HS_LASTD] = -1


@njit(cache=True)
def lost_line(t, c):
    """Cache c lost (or changed the state of) a line: drop the harts' fast-path memories of it."""
    cc = t[T.H_CC] + c * T.CC_W
    if t[cc + T.CC_ISL1I]:
        reset_fetch_lines(t)
    if t[cc + T.CC_ISL1D]:
        reset_data_lines(t)


@njit(cache=True)
def victim(t, c, line):
    cc = t[T.H_CC] + c * T.CC_W
    assoc = t[cc + T.CC_ASSOC]
    s = line & t[cc + T.CC_SETMASK]
    base = t[cc + T.CC_L0] + s * assoc
    fl = t[T.H_FLAGS] + base
    for w in range(assoc):
        if (t[fl + w] & T.F_VALID) == 0:
            return base + w
    repl = t[cc + T.CC_REPL]
    if repl == T.REPL_LRU:
        lru = t[T.H_LRU] + base
        best = 0
        for w in range(1, assoc):
            if t[lru + w] < t[lru + best]:
                best = w
        return base + best
    if repl == T.REPL_PLRU:
        bits = t[t[T.H_REPL] + t[cc + T.CC_R0] + 1 + s]
        node = 1
        for _ in range(t[cc + T.CC_LOGASSOC]):
            node = 2 * node + ((bits >> node) & 1)
        return base + node - assoc
    r = t[T.H_REPL] + t[cc + T.CC_R0]
    x = t[r]
    x ^= x << 13
    x ^= (x >> 7) & _LOW57
    x ^= x << 17
    t[r] = x
    return base + ((x >> 11) & 0xFFFFFFFF) % assoc


@njit(cache=True)
def replace(t, c, line):
    """Make room for `line` in cache c: returns (index, line address of a dirty victim or 0).
    The way is left holding `line` with no flags; the caller sets them."""
    idx = victim(t, c, line)
    st = t[T.H_CSTAT] + c * T.NCS
    fl = t[T.H_FLAGS] + idx
    wb = 0
    if t[fl] & T.F_VALID:
        t[st + T.CS_EVICTIONS] += 1
        if t[fl] & T.F_DIRTY:
            t[st + T.CS_WRITEBACKS] += 1
            wb = t[t[T.H_TAGS] + idx]
        lost_line(t, c)
    t[t[T.H_TAGS] + idx] = line
    t[fl] = 0
    t[t[T.H_READY] + idx] = 0
    return idx, wb


@njit(cache=True)
def post_write(t, c, line, now):
    """A posted write of a whole line into level c (a write-back, or written-through data)."""
    while True:
        if c < 0:
            mem_access(t, line, True, now)
            return
        cc = t[T.H_CC] + c * T.CC_W
        st = t[T.H_CSTAT] + c * T.NCS
        t[st + T.CS_WB_ACC] += 1
        idx = lookup(t, c, line)
        own = T.F_EXCL if t[cc + T.CC_COH] != T.COH_NONE else 0
        if idx >= 0:
            if t[cc + T.CC_WB]:
                t[t[T.H_FLAGS] + idx] |= T.F_DIRTY | own
                touch(t, c, idx)
                return
            c = t[cc + T.CC_NEXT]
            continue
        t[st + T.CS_WB_MISS] += 1
        if t[cc + T.CC_WB] and t[cc + T.CC_WALLOC]:
            idx, wb = replace(t, c, line)
            t[t[T.H_FLAGS] + idx] = T.F_VALID | T.F_DIRTY | own
            touch(t, c, idx)
            if wb == 0:
                return
            line = wb
        c = t[cc + T.CC_NEXT]


@njit(cache=True)
def snoop(t, h, line, for_write, now):
    """Every coherent cache not on hart h's path answers h's request for `line`.
    Returns (another cache had it, a dirty copy was handed over)."""
    shared = False
    dirty = False
    nc = t[T.H_NCACHE]
    lst = t[T.H_COH]
    onp = t[T.H_ONPATH] + h * nc
    for i in range(t[T.H_NCOH]):
        c = t[lst + i]
        if t[onp + c]:
            continue
        idx = lookup(t, c, line)
        if idx < 0:
            continue
        st = t[T.H_CSTAT] + c * T.NCS
        t[st + T.CS_SNOOP_HITS] += 1
        fa = t[T.H_FLAGS] + idx
        fl = t[fa]
        if fl & T.F_DIRTY:
            t[st + T.CS_INTERV] += 1
            dirty = True
        if for_write:
            t[t[T.H_TAGS] + idx] = 0
            t[fa] = 0
            t[st + T.CS_INVAL] += 1
            lost_line(t, c)
        else:
            lost_line(t, c)
            shared = True
            if fl & T.F_DIRTY:
                t[st + T.CS_WRITEBACKS] += 1
                post_write(t, t[t[T.H_CC] + c * T.CC_W + T.CC_CPOINT], line, now)
            t[fa] = fl & ~(T.F_DIRTY | T.F_EXCL)
    return shared, dirty


@njit(cache=True)
def coherence_latency(t, c, tpc):
    """Cycles of a transaction at the point of coherence c (a cache, or -1: the memory bus)."""
    if c >= 0:
        return t[t[T.H_CC] + c * T.CC_W + T.CC_HIT]
    n = cycles_of(t[T.H_BUS_TICKS], tpc)
    return n if n > 0 else 1


@njit(cache=True)
def walk(t, h, c, line, is_write, top, now, tpc):
    """Hart h's request for `line` entering level c at tick `now` (`top`: a CPU demand access,
    else a prefetch's request from the level above). Looks up level after level, snoops when
    leaving h's coherent levels, fills the levels that missed. Returns (cycles, levels that
    missed as a bit mask by depth, levels that hit a prefetched line, number of levels that missed)."""
    start = c
    lat = 0
    depth = 0
    missmask = 0
    prefmask = 0
    private = False
    snooped = False
    shared = False
    excl_grant = False
    while True:
        coh = T.COH_NONE
        cc = 0
        if c >= 0:
            cc = t[T.H_CC] + c * T.CC_W
            coh = t[cc + T.CC_COH]
        if private and coh == T.COH_NONE and not snooped:
            snooped = True
            shared, dirty = snoop(t, h, line, is_write, now + lat * tpc)
            proto = t[t[T.H_CC] + start * T.CC_W + T.CC_COH]
            excl_grant = is_write or (proto == T.COH_MESI and not shared)
            if dirty:
                lat += coherence_latency(t, c, tpc)
                break
        if c < 0:
            issue = now + lat * tpc
            lat += cycles_of(mem_access(t, line, False, issue) - issue, tpc)
            break
        st = t[T.H_CSTAT] + c * T.NCS
        writing = is_write and top and c == start
        if writing:
            t[st + T.CS_WR_ACC] += 1
        else:
            t[st + T.CS_RD_ACC] += 1
        idx = lookup(t, c, line)
        if idx >= 0:
            lat += t[cc + T.CC_HIT]
            fa = t[T.H_FLAGS] + idx
            ready = t[t[T.H_READY] + idx]
            if ready > 0:
                tn = now + lat * tpc
                if ready > tn:
                    lat += cycles_of(ready - tn, tpc)
                    if top:
                        t[st + T.CS_PF_LATE] += 1
                t[t[T.H_READY] + idx] = 0
            if t[fa] & T.F_PREF:
                t[fa] &= ~T.F_PREF
                prefmask |= 1 << depth
                t[st + T.CS_PF_USEFUL] += 1
            if coh != T.COH_NONE:
                if is_write and (t[fa] & T.F_EXCL) == 0:
                    t[st + T.CS_UPGRADES] += 1
                    snoop(t, h, line, True, now + lat * tpc)
                    lat += coherence_latency(t, t[cc + T.CC_CPOINT], tpc)
                    t[fa] |= T.F_EXCL
                excl_grant = (t[fa] & T.F_EXCL) != 0
            touch(t, c, idx)
            break
        if writing:
            t[st + T.CS_WR_MISS] += 1
        else:
            t[st + T.CS_RD_MISS] += 1
        missmask |= 1 << depth
        lat += t[cc + T.CC_HIT]
        if coh != T.COH_NONE:
            private = True
        c = t[cc + T.CC_NEXT]
        depth += 1
    nmiss = depth
    down = lat  # cycles until the level that had the line (or memory) sends it up
    # fill the levels that missed, top down; each adds its response latency
    c = start
    for d in range(nmiss):
        cc = t[T.H_CC] + c * T.CC_W
        nxt = t[cc + T.CC_NEXT]
        idx, wb = replace(t, c, line)
        f = T.F_VALID
        if t[cc + T.CC_COH] != T.COH_NONE and excl_grant:
            f |= T.F_EXCL
        if is_write and top and d == 0:
            if t[cc + T.CC_WB]:
                f |= T.F_DIRTY
            else:
                post_write(t, nxt, line, now + lat * tpc)
        t[t[T.H_FLAGS] + idx] = f
        touch(t, c, idx)
        if wb != 0:
            post_write(t, nxt, wb, now + lat * tpc)
        lat += t[cc + T.CC_RESP]
        c = nxt
    # each level that missed is charged the cycles from the request reaching it to the line
    # arriving there (so every level's overallAvgMissLatency covers its own misses)
    c = start
    entry = 0
    resp_above = 0
    resp_total = lat - down
    for d in range(nmiss):
        cc = t[T.H_CC] + c * T.CC_W
        t[t[T.H_CSTAT] + c * T.NCS + T.CS_MISS_CYC] += down - entry + resp_total - resp_above
        entry += t[cc + T.CC_HIT]
        resp_above += t[cc + T.CC_RESP]
        c = t[cc + T.CC_NEXT]
    if is_write and top and nmiss == 0:
        # a write hit at the first level
        cc = t[T.H_CC] + start * T.CC_W
        idx = lookup(t, start, line)
        if t[cc + T.CC_WB]:
            t[t[T.H_FLAGS] + idx] |= T.F_DIRTY
        else:
            post_write(t, t[cc + T.CC_NEXT], line, now + lat * tpc)
    return lat, missmask, prefmask, nmiss


@njit(cache=True)
def prefetch(t, h, c, line, now, tpc):
    """Level c fetches `line` ahead of use, if it lacks it and an MSHR is free."""
    if line <= 0 or (line << t[T.H_SHIFT]) >= t[T.H_RAM_END] or (line << t[T.H_SHIFT]) < t[T.H_RAM_BASE]:
        return
    cc = t[T.H_CC] + c * T.CC_W
    st = t[T.H_CSTAT] + c * T.NCS
    if lookup(t, c, line) >= 0:
        t[st + T.CS_PF_HITS] += 1
        return
    m0 = t[T.H_MSHR] + t[cc + T.CC_M0]
    slot = -1
    for i in range(t[cc + T.CC_MSHRS] - 1):  # one MSHR stays free for the CPU's demand miss
        if t[m0 + i] <= now:
            slot = i
            break
    if slot < 0:
        t[st + T.CS_PF_DROPPED] += 1
        return
    lat = t[cc + T.CC_HIT]
    excl = False
    coh = t[cc + T.CC_COH]
    nxt = t[cc + T.CC_NEXT]
    if coh != T.COH_NONE and (nxt < 0 or t[t[T.H_CC] + nxt * T.CC_W + T.CC_COH] == T.COH_NONE):
        shared, dirty = snoop(t, h, line, False, now)
        excl = coh == T.COH_MESI and not shared
        if dirty:
            lat += coherence_latency(t, nxt, tpc)
            nxt = -2  # served by the snoop
    if nxt >= 0:
        below, _m, _p, _n = walk(t, h, nxt, line, False, False, now + lat * tpc, tpc)
        lat += below
        if coh != T.COH_NONE and t[t[T.H_CC] + nxt * T.CC_W + T.CC_COH] != T.COH_NONE:
            j = lookup(t, nxt, line)
            excl = j >= 0 and (t[t[T.H_FLAGS] + j] & T.F_EXCL) != 0
    elif nxt == -1:
        issue = now + lat * tpc
        lat += cycles_of(mem_access(t, line, False, issue) - issue, tpc)
    lat += t[cc + T.CC_RESP]
    done = now + lat * tpc
    idx, wb = replace(t, c, line)
    f = T.F_VALID | T.F_PREF
    if excl:
        f |= T.F_EXCL
    t[t[T.H_FLAGS] + idx] = f
    t[t[T.H_READY] + idx] = done
    touch(t, c, idx)
    if wb != 0:
        post_write(t, t[cc + T.CC_NEXT], wb, now)
    t[m0 + slot] = done
    t[st + T.CS_PF_ISSUED] += 1


@njit(cache=True)
def stride_train(t, h, c, line, pc, now, tpc):
    cc = t[T.H_CC] + c * T.CC_W
    e = t[T.H_PFT] + t[cc + T.CC_P0] + ((pc >> 1) & (T.PF_ENTRIES - 1)) * T.PF_W
    if t[e] != pc:
        t[e] = pc
        t[e + 1] = line
        t[e + 2] = 0
        t[e + 3] = 0
        return
    stride = line - t[e + 1]
    if stride == 0:
        return
    t[e + 1] = line
    if stride == t[e + 2]:
        if t[e + 3] < 3:
            t[e + 3] += 1
    else:
        t[e + 2] = stride
        t[e + 3] = 0
        return
    if t[e + 3] >= 1:
        for k in range(1, t[cc + T.CC_PFDEG] + 1):
            prefetch(t, h, c, line + k * stride, now, tpc)


@njit(cache=True)
def access(t, h, c0, line, kind, pc, now, tpc):
    """Hart h's demand access (kind 0 fetch, 1 load, 2 store, 3 AMO) to `line` at cache c0,
    issued at tick `now`. Returns its latency in cycles."""
    is_write = kind >= 2
    cc0 = t[T.H_CC] + c0 * T.CC_W
    if is_write and t[cc0 + T.CC_WALLOC] == 0:
        st = t[T.H_CSTAT] + c0 * T.NCS
        idx = lookup(t, c0, line)
        if idx < 0:
            t[st + T.CS_WR_ACC] += 1
            t[st + T.CS_WR_MISS] += 1
            post_write(t, t[cc0 + T.CC_NEXT], line, now)
            return t[cc0 + T.CC_HIT]
    lat, missmask, prefmask, nmiss = walk(t, h, c0, line, is_write, True, now, tpc)
    c = c0
    d = 0
    while c >= 0 and d <= nmiss:
        cc = t[T.H_CC] + c * T.CC_W
        pf = t[cc + T.CC_PF]
        if pf == T.PF_NEXT_LINE:
            if ((missmask | prefmask) >> d) & 1:
                for k in range(1, t[cc + T.CC_PFDEG] + 1):
                    prefetch(t, h, c, line + k, now, tpc)
        elif pf == T.PF_STRIDE:
            stride_train(t, h, c, line, pc, now, tpc)
        c = t[cc + T.CC_NEXT]
        d += 1
    return lat


@njit(cache=True)
def drain_caches(t):
    """Write back every dirty line (counted), keep clean lines; forget everything in flight."""
    nc = t[T.H_NCACHE]
    ms = t[T.H_MSTAT]
    for c in range(nc):
        cc = t[T.H_CC] + c * T.CC_W
        st = t[T.H_CSTAT] + c * T.NCS
        l0 = t[cc + T.CC_L0]
        n = t[cc + T.CC_SETS] * t[cc + T.CC_ASSOC]
        fl = t[T.H_FLAGS] + l0
        rd = t[T.H_READY] + l0
        for i in range(n):
            if t[fl + i] & T.F_DIRTY:
                t[fl + i] &= ~T.F_DIRTY
                t[st + T.CS_WRITEBACKS] += 1
                t[st + T.CS_DRAIN_WB] += 1
                if t[cc + T.CC_NEXT] < 0:
                    t[ms + T.MS_WRITES] += 1
            t[rd + i] = 0
            t[fl + i] &= ~T.F_PREF
        m0 = t[T.H_MSHR] + t[cc + T.CC_M0]
        for i in range(t[cc + T.CC_MSHRS]):
            t[m0 + i] = 0
    mb = t[T.H_MBUSY]
    for i in range(1 + t[t[T.H_MC] + T.MC_BANKS]):
        t[mb + i] = 0
    # (through the pointer, as the models' loops call them: one compilation of each, not two)
    reset_fetch_lines(raw_view(t))
    reset_data_lines(raw_view(t))


@njit(cache=True)
def cold_cache(t, c, seed):
    """Cache c with nothing in it."""
    cc = t[T.H_CC] + c * T.CC_W
    l0 = t[cc + T.CC_L0]
    n = t[cc + T.CC_SETS] * t[cc + T.CC_ASSOC]
    for base in (t[T.H_TAGS], t[T.H_FLAGS], t[T.H_LRU], t[T.H_READY]):
        for i in range(n):
            t[base + l0 + i] = 0
    r = t[T.H_REPL] + t[cc + T.CC_R0]
    for i in range(1 + t[cc + T.CC_SETS]):
        t[r + i] = 0
    t[r] = seed if seed != 0 else 0x9E3779B97F4A7C15
    p = t[T.H_PFT] + t[cc + T.CC_P0]
    for i in range(T.PF_ENTRIES * T.PF_W):
        t[p + i] = 0
    m0 = t[T.H_MSHR] + t[cc + T.CC_M0]
    for i in range(t[cc + T.CC_MSHRS]):
        t[m0 + i] = 0


@njit(cache=True)
def normalise_restored(t, c):
    """After warm state was loaded into cache c: nothing in flight, no stale prefetch tags, and
    exclusive bits only where this cache's protocol has them."""
    cc = t[T.H_CC] + c * T.CC_W
    l0 = t[cc + T.CC_L0]
    n = t[cc + T.CC_SETS] * t[cc + T.CC_ASSOC]
    coh = t[cc + T.CC_COH]
    for i in range(n):
        t[t[T.H_READY] + l0 + i] = 0
        f = t[t[T.H_FLAGS] + l0 + i] & (T.F_VALID | T.F_DIRTY | T.F_EXCL)
        if (f & T.F_VALID) == 0:
            f = 0
            t[t[T.H_TAGS] + l0 + i] = 0
        elif coh == T.COH_NONE:
            f &= ~T.F_EXCL
        elif coh == T.COH_MSI and (f & T.F_DIRTY) == 0:
            f &= ~T.F_EXCL
        t[t[T.H_FLAGS] + l0 + i] = f
    m0 = t[T.H_MSHR] + t[cc + T.CC_M0]
    for i in range(t[cc + T.CC_MSHRS]):
        t[m0 + i] = 0
    r = t[T.H_REPL] + t[cc + T.CC_R0]
    if t[cc + T.CC_REPL] == T.REPL_RANDOM and t[r] == 0:
        t[r] = 0x9E3779B97F4A7C15


_cachedir.done()
