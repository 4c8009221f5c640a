"""The in-order pipelined CPU: a classic 5-stage pipeline (IF, ID, EX, MEM, WB)
timed from the functional kernel's records (see graphsim/cpu/timing.py for
the record/feedback scheme both timing models share).

Each instruction's stage entry cycles follow the in-order recurrences, with
full forwarding:

    IF  f = max(fetch unit free, previous left IF (its ID), redirect)
    ID  d = max(f + fetch latency, previous ID + 1, previous left ID (its EX))
    EX  x = max(d + 1, previous left EX (its MEM), operands ready)
    MEM m = max(x + EX latency, previous left MEM (its WB))
    WB  w = max(m + MEM occupancy, previous WB + 1)

An ALU result can be used by the next instruction's EX (x + 1); a load's at
m + its data latency, so a dependent instruction right behind a load waits
(load-use stall; with a 1-cycle L1D hit, one bubble). `mul_latency` and
`div_latency` are EX latencies (not pipelined: EX stays busy). The FP unit
reads and writes the f registers (scoreboarded like the x registers): add,
multiply, fused multiply-add and conversions are pipelined (EX is free the
next cycle, the result ready after `fadd_latency` etc.), divide and square
root are not (EX stays busy for `fdiv_latency` / `fsqrt_latency`);
comparisons, sign injection, classify and moves take one cycle. The caches are
pipelined on a hit (IF and MEM take one cycle per access, the data arriving
after `hit_latency`) and block on a miss (the stage stays busy for the whole
latency). An instruction's cycles are w minus the previous w, so CPI ≥ 1.

Branches are predicted at fetch: a direction predictor (`bimodal`: 2-bit
counters indexed by pc; `gshare`: indexed by pc XOR global history; `static`:
backward taken), a direct-mapped BTB for targets and a return-address stack
for returns (jalr through ra/t0; calls push). A taken direct branch or jal
whose target the BTB lacks is redirected at decode (one bubble); a wrong
direction or target is found in EX and costs `mispredict_penalty` cycles. A
trap, interrupt or xRET redirects from WB; ecall, ebreak, fence.i, wfi and
sfence.vma serialise the pipeline.

The predictor tables are warm state declared on the CPU (restored only onto
the same predictor geometry); the pipeline itself is empty after a drain.
"""

from __future__ import annotations

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit

from ..config.schema import Choice, Cycles, Int, Param, StateField
from ..isa import decoder_gen as D
from ..isa.state import HART_FIELDS, PC
from ..mem import _cachedir
from ..mem import cachemodel as CM
from ..mem import tlayout as T
from . import layout as L
from .timing import TimedCore, TimingCPU, _ratio, _U, data_latency, fetch_latency, fetch_second_line

STALL_STATS = (T.HT_LOAD_USE, T.HT_MULDIV_STALL, T.HT_FP_STALL, T.HT_STALL_FETCH, T.HT_STALL_MEM,
               T.HT_STALL_BRANCH, T.HT_STALL_SERIAL)

_cachedir.use()


@njit(cache=True, inline='always')  # inlined into the batch loops (pipelined, atomic_warm's predictor training)
def cached_decode(t, dec, insn, dflags):
    """The decoded form of `insn` under the hart's decode flags, from the model's decode cache
    (keyed by instruction word and flags; filled on a miss)."""
    key = (insn & 0xFFFFFFFF) | (dflags << 32) | (1 << 40)
    e = dec + 2 * (((insn >> 2) ^ (insn >> 15) ^ dflags) & (T.DEC_ENTRIES - 1))
    if t[e] == key:
        return t[e + 1]
    d = D.decode(insn, dflags)
    t[e] = key
    t[e + 1] = d
    return d


@njit(cache=True, inline='always')  # inlined into the batch loop: calls cost ~10% here
def predict_and_train(t, h, pc, ilen, ob, rd, rs1, imm, npc):
    """Predict the successor of the control instruction at pc, then train on the actual one (npc).
    Returns (predicted pc, redirected at decode)."""
    hc = t[T.H_HC] + h * T.HC_W
    ht = t[T.H_HSTAT] + h * T.NHS
    bp = t[T.H_BP] + t[hc + T.HC_BP0]
    entries = t[hc + T.HC_BP_ENTRIES]
    btbn = t[hc + T.HC_BTB_ENTRIES]
    rasn = t[hc + T.HC_RAS_ENTRIES]
    ctr0 = bp + T.BPR_TABLES
    btag = ctr0 + entries
    btgt = btag + btbn
    ras = btgt + btbn
    fall = pc + ilen
    bi = (pc >> 1) & (btbn - 1)
    btb_hit = t[btag + bi] == pc
    t[ht + T.HT_BP_LOOKUPS] += 1
    t[ht + T.HT_BTB_LOOKUPS] += 1
    if btb_hit:
        t[ht + T.HT_BTB_HITS] += 1
    pred = fall
    redirect = False
    if ob & T.OPB_COND:
        target = pc + imm
        kind = t[hc + T.HC_BP_KIND]
        t[ht + T.HT_BP_COND] += 1
        hist = t[bp + T.BPR_HIST]
        if kind == T.BP_GSHARE:
            idx = ((pc >> 1) ^ hist) & (entries - 1)
        else:
            idx = (pc >> 1) & (entries - 1)
        if kind == T.BP_STATIC:
            taken_pred = imm < 0
        else:
            taken_pred = t[ctr0 + idx] >= 2
        # (free of branches on what the guest's branch did: the host would mispredict them as often)
        bt = t[btgt + bi]
        if taken_pred:
            pred = bt if btb_hit else target
        redirect = taken_pred and not btb_hit
        taken = npc == target and target != fall
        t[ht + T.HT_BP_COND_WRONG] += 1 if taken != taken_pred else 0
        if kind != T.BP_STATIC:
            c = t[ctr0 + idx]
            t[ctr0 + idx] = (c + 1 if c < 3 else 3) if taken else (c - 1 if c > 0 else 0)
            if kind == T.BP_GSHARE:
                t[bp + T.BPR_HIST] = ((hist << 1) | (1 if taken else 0)) & ((1 << t[hc + T.HC_HIST_BITS]) - 1)
        t[btag + bi] = pc if taken else t[btag + bi]  # (a taken branch enters the BTB)
        t[btgt + bi] = target if taken else bt
        return pred, redirect
    link = rd == 1 or rd == 5
    if ob & T.OPB_JAL:
        target = pc + imm
        if btb_hit:
            pred = t[btgt + bi]
        else:
            pred = target
            redirect = True
        t[btag + bi] = pc
        t[btgt + bi] = target
    else:  # jalr
        is_ret = (rs1 == 1 or rs1 == 5) and rs1 != rd
        top = bp + T.BPR_RAS_TOP
        if is_ret:
            t[ht + T.HT_RAS_USED] += 1
            pred = t[ras + t[top]]
            t[top] = (t[top] - 1) % rasn
            if pred != npc:
                t[ht + T.HT_RAS_WRONG] += 1
        else:
            t[ht + T.HT_INDIRECT] += 1
            pred = t[btgt + bi] if btb_hit else fall
            if pred != npc:
                t[ht + T.HT_INDIRECT_WRONG] += 1
            t[btag + bi] = pc
            t[btgt + bi] = npc
    if link:
        top = bp + T.BPR_RAS_TOP
        t[top] = (t[top] + 1) % rasn
        t[ras + t[top]] = fall
    return pred, redirect


@njit(cache=True)
def _pipe_hart_run(t, work, h, i, n, settle, settle_pc):
    """Time hart h's records from i on while they are its own; returns the index of the first
    record of another hart (or n). With `settle` (and no records): finish the hart's pending
    instruction, whose successor is at settle_pc.

    A record's cache accesses are made at once (in the interleaved order of the harts); its
    pipeline timing when the hart's next record tells where it went (the pending instruction).
    The hart's pipeline state, pending instruction, last fetch and data lines and the first
    levels' geometry live in locals for the run and are written back to `t` at its end; around
    the caches' full paths the last lines are written back and read again (as in
    timing._time_hart_run, whose fast paths these are)."""
    trb = work[L.C_TRACE]
    shift = t[T.H_SHIFT]
    ram0 = t[T.H_RAM_BASE]
    ram1 = t[T.H_RAM_END]
    dec = t[T.H_DEC]
    ops = t[T.H_OPS]
    hs = t[T.H_HS] + h * T.HS_W
    hc = t[T.H_HC] + h * T.HC_W
    ht = t[T.H_HSTAT] + h * T.NHS
    rdy = hs + T.HS_READY  # the scoreboard stays in t: cycle at which each register can be forwarded
    ci = t[hc + T.HC_L1I]
    cd = t[hc + T.HC_L1D]
    gi = CM.l1_geometry(t, ci)
    gd = CM.l1_geometry(t, cd)
    hit_i = gi[10]
    hit_d = gd[10]
    tpc = t[hc + T.HC_TPC]
    dflags = t[hc + T.HC_DFLAGS]
    mul_lat = t[hc + T.HC_MUL_LAT]
    div_lat = t[hc + T.HC_DIV_LAT]
    penalty = t[hc + T.HC_PENALTY]
    base = t[hs + T.HS_BASE]
    cyc = t[hs + T.HS_CYC]
    count = t[hs + T.HS_N]
    lastf = t[hs + T.HS_LASTF]
    lastd = t[hs + T.HS_LASTD]
    lastdw = t[hs + T.HS_LASTDW]
    fnext = t[hs + T.HS_FNEXT]
    dprev = t[hs + T.HS_DPREV]
    xprev = t[hs + T.HS_XPREV]
    mprev = t[hs + T.HS_MPREV]
    wprev = t[hs + T.HS_WPREV]
    fcause = t[hs + T.HS_FCAUSE]
    xcause = t[hs + T.HS_XCAUSE]
    loadmask = t[hs + T.HS_LOADMASK]
    mulmask = t[hs + T.HS_MULMASK]
    fpmask = t[hs + T.HS_FPMASK]
    p_valid = t[hs + T.HS_P_VALID]
    p_pc = t[hs + T.HS_P_PC]
    p_insn = t[hs + T.HS_P_INSN]
    p_dec = t[hs + T.HS_P_DEC]
    p_lf = t[hs + T.HS_P_LF]
    p_fhit = t[hs + T.HS_P_FHIT]
    p_ld = t[hs + T.HS_P_LD]
    p_dhit = t[hs + T.HS_P_DHIT]
    p_rd = t[hs + T.HS_P_RD]
    same_f = 0  # first-level hits of the last lines, added to the caches' statistics at the end
    same_r = 0
    same_w = 0
    while True:
        r = _U(trb + i * L.TC_WORDS)
        if i < n and (work[r + _U(L.TC_INFO)] >> 56) == h:
            npc = work[r + _U(L.TC_PC)]
        elif settle:
            npc = settle_pc
        else:
            break
        if p_valid:
            # ---- time the pending instruction, now that its successor (npc) is known ----
            p_valid = 0
            d = p_dec
            op = d & 0xFF
            rs1 = (d >> 13) & 31
            rs2 = (d >> 18) & 31
            drd = (d >> 8) & 31
            ilen = 2 if (d >> 23) & 1 else 4
            imm = d >> 32
            ob = t[ops + op]
            itype = (ob >> T.OPB_ITYPE_SHIFT) & 15
            t[ht + T.HT_ITYPE + itype] += 1
            pc = p_pc
            lf = p_lf
            ld = p_ld
            rd = p_rd
            # IF
            f = fnext
            if dprev > f:
                f = dprev
            focc = 1 if p_fhit else lf
            # ID
            dd = f + lf
            if dprev + 1 > dd:
                dd = dprev + 1
            if xprev > dd:
                dd = xprev
            # EX
            x = dd + 1
            if mprev > x:
                x = mprev
            xr = x
            src = 0
            s1 = rs1 + (32 if ob & T.OPB_F1 else 0)  # register index: x0..x31, f0..f31 as 32..63
            s2 = rs2 + (32 if ob & T.OPB_F2 else 0)
            if (ob & T.OPB_RS1) and s1 != 0 and t[rdy + s1] > xr:
                xr = t[rdy + s1]
                src = s1
            if (ob & T.OPB_RS2) and s2 != 0 and t[rdy + s2] > xr:
                xr = t[rdy + s2]
                src = s2
            if ob & T.OPB_RS3:
                s3 = 32 + ((imm >> 3) & 31)
                if t[rdy + s3] > xr:
                    xr = t[rdy + s3]
                    src = s3
            xbusy = x - (dd + 1)  # EX still held by the previous instruction
            xwait = 0  # waiting for an operand
            xwho = T.HT_STALL_FETCH
            if xr > x:
                xwait = xr - x
                if (loadmask >> src) & 1:
                    xwho = T.HT_LOAD_USE
                elif (mulmask >> src) & 1:
                    xwho = T.HT_MULDIV_STALL
                elif (fpmask >> src) & 1:
                    xwho = T.HT_FP_STALL
                else:
                    xwho = T.HT_STALL_MEM
                x = xr
            exlat = 1
            ready = 0  # a pipelined FP result: ready this many cycles after EX entry
            if ob & T.OPB_MUL:
                exlat = mul_lat
            elif ob & T.OPB_DIV:
                exlat = div_lat
            elif itype >= T.ITYPE_FP_FIRST:
                if ob & T.OPB_UNPIPELINED:
                    exlat = t[hc + T.HC_ITYPE_LAT + itype]
                else:
                    ready = t[hc + T.HC_ITYPE_LAT + itype]
            excause = T.HT_FP_STALL if itype >= T.ITYPE_FP_FIRST else T.HT_MULDIV_STALL  # who a long EX is charged to
            # MEM, WB
            m = x + exlat
            if wprev > m:
                m = wprev
            mocc = 1
            if ld > 0 and not p_dhit:
                mocc = ld
            w = m + mocc
            if wprev + 1 > w:
                w = wprev + 1
            # stall accounting: the cycles this instruction commits after wprev + 1, charged from WB
            # backwards to the first stage that explains them
            lost = w - wprev - 1
            if lost > 0:
                part = min(mocc - 1, lost)
                t[ht + T.HT_STALL_MEM] += part
                lost -= part
                part = min(exlat - 1, lost)
                t[ht + excause] += part
                lost -= part
                part = min(xwait, lost)
                t[ht + xwho] += part
                lost -= part
                part = min(xbusy, lost) if xbusy > 0 else 0
                t[ht + (xcause if xcause else T.HT_STALL_FETCH)] += part  # 0: nothing recorded since a drain
                lost -= part
                part = min(lf - 1, lost) if lf > 1 else 0
                t[ht + T.HT_STALL_FETCH] += part
                lost -= part
                t[ht + (fcause if fcause else T.HT_STALL_FETCH)] += lost
            # what holds EX for the next instruction
            if exlat > 1:
                xcause = excause
            elif m > x + exlat or xwait > 0:
                xcause = T.HT_STALL_MEM if m > x + exlat else xwho
            else:
                xcause = T.HT_STALL_FETCH
            if rd > 0:
                bit = 1 << rd
                if ld > 0:
                    t[rdy + rd] = m + ld
                    loadmask |= bit
                    mulmask &= ~bit
                    fpmask &= ~bit
                else:
                    t[rdy + rd] = x + max(exlat, ready)
                    loadmask &= ~bit
                    if ob & (T.OPB_MUL | T.OPB_DIV):
                        mulmask |= bit
                    else:
                        mulmask &= ~bit
                    if max(exlat, ready) > 1 and itype >= T.ITYPE_FP_FIRST:
                        fpmask |= bit
                    else:
                        fpmask &= ~bit
            # the next fetch
            fn = f + focc
            pred = pc + ilen
            redirect = False
            if ob & (T.OPB_COND | T.OPB_JAL | T.OPB_JALR):
                pred, redirect = predict_and_train(t, h, pc, ilen, ob, drd, rs1, imm, npc)
            fcause = T.HT_STALL_FETCH
            if npc != pred:
                legit = False
                if ob & T.OPB_COND:
                    legit = npc == pc + imm or npc == pc + ilen
                elif ob & T.OPB_JAL:
                    legit = npc == pc + imm
                elif ob & T.OPB_JALR:
                    legit = True
                if legit:
                    red = x + penalty - 1
                else:
                    red = w + 1
                    t[ht + T.HT_TRAPS] += 1
                if red > fn:
                    t[ht + T.HT_SQUASH_CYC] += red - fn
                    fn = red
                    fcause = T.HT_STALL_BRANCH if legit else T.HT_STALL_SERIAL
            elif redirect:
                t[ht + T.HT_DECODE_REDIRECT] += 1
                if dd + 1 > fn:
                    t[ht + T.HT_SQUASH_CYC] += dd + 1 - fn
                    fn = dd + 1
                    fcause = T.HT_STALL_BRANCH
            if (ob & T.OPB_FLUSH) and w + 1 > fn:
                fn = w + 1
                fcause = T.HT_STALL_SERIAL
            fnext = fn
            dprev = dd
            xprev = x
            mprev = m
            cyc += w - wprev
            wprev = w
            count += 1
        if settle:
            break
        # ---- the record's cache accesses (now, in the harts' interleaved order) ----
        pc = npc
        info = work[r + _U(L.TC_INFO)]
        insn = info & 0xFFFFFFFF
        now = base + cyc * tpc
        fpa = work[r + _U(L.TC_FETCH_PA)]  # physical (pc may be virtual: the predictor uses pc)
        line = fpa >> shift
        lf = -1
        fhit = True
        if ci >= 0 and fpa >= 0:
            if line == lastf:
                same_f += 1
                lf = hit_i
            else:
                lf = CM.l1_hit_at(t, gi, line, False)
                if lf >= 0:
                    lastf = line
            if lf >= 0 and (insn & 3) == 3 and ((fpa + 3) >> shift) != line:
                # across two lines: the second line's access follows the first's
                more = CM.l1_hit_at(t, gi, line + 1, False)
                if more < 0:
                    more, lastd = fetch_second_line(t, h, hs, ci, line, fpa, lastd, now + lf * tpc, tpc)
                lastf = line + 1
                lf += more
                if lf > hit_i:
                    fhit = False
                    t[ht + T.HT_FETCH_STALL] += lf - hit_i
        if lf < 0:
            t[hs + T.HS_LASTF] = lastf
            t[hs + T.HS_LASTD] = lastd
            lf, fhit = fetch_latency(t, h, fpa, insn, now, tpc)
            lastf = t[hs + T.HS_LASTF]
            lastd = t[hs + T.HS_LASTD]
        ld = 0
        dhit = True
        maddr = work[r + _U(L.TC_MEM_ADDR)]
        if maddr >= 0:
            minfo = (info >> 32) & 0xFFFF
            size = minfo & 0xFF
            ld = -1
            dline = maddr >> shift
            write = (minfo >> 8) >= 2
            if cd >= 0 and maddr >= ram0 and maddr + size <= ram1 and ((maddr + size - 1) >> shift) == dline:
                if dline == lastd and (not write or lastdw):
                    if write:
                        same_w += 1
                    else:
                        same_r += 1
                    ld = hit_d
                else:
                    ld = CM.l1_hit_at(t, gd, dline, write)
                    if ld >= 0:
                        lastd = dline
                        lastdw = 1 if write else 0
            if ld < 0:
                t[hs + T.HS_LASTF] = lastf
                t[hs + T.HS_LASTD] = -1
                ld, dhit = data_latency(t, h, pc, maddr, minfo, now + tpc, tpc)
                lastf = t[hs + T.HS_LASTF]
                lastd = t[hs + T.HS_LASTD]
        # decoded: as the kernel did, unless the instruction trapped (then perhaps under other flags:
        # FP instructions with mstatus.FS off are illegal to the kernel, not to the model)
        if (info >> 48) & 1:
            d = cached_decode(t, dec, insn, dflags)
        else:
            d = work[r + _U(L.TC_DECODED)]
        p_valid = 1
        p_pc = pc
        p_insn = insn
        p_dec = d
        p_lf = lf
        p_fhit = 1 if fhit else 0
        p_ld = ld
        p_dhit = 1 if dhit else 0
        # the register written (as the full record's TR_RD: f registers as 32..63; none if it trapped)
        p_rd = -1
        if (info >> 48) & 1 == 0:
            wb = t[ops + (d & 0xFF)]
            if wb & T.OPB_WF:
                p_rd = 32 + ((d >> 8) & 31)
            elif wb & T.OPB_WX and (d >> 8) & 31 != 0:
                p_rd = (d >> 8) & 31
        i += 1
    t[hs + T.HS_CYC] = cyc
    t[hs + T.HS_N] = count
    t[hs + T.HS_LASTF] = lastf
    t[hs + T.HS_LASTD] = lastd
    t[hs + T.HS_LASTDW] = lastdw
    t[hs + T.HS_FNEXT] = fnext
    t[hs + T.HS_DPREV] = dprev
    t[hs + T.HS_XPREV] = xprev
    t[hs + T.HS_MPREV] = mprev
    t[hs + T.HS_WPREV] = wprev
    t[hs + T.HS_FCAUSE] = fcause
    t[hs + T.HS_XCAUSE] = xcause
    t[hs + T.HS_LOADMASK] = loadmask
    t[hs + T.HS_MULMASK] = mulmask
    t[hs + T.HS_FPMASK] = fpmask
    t[hs + T.HS_P_VALID] = p_valid
    t[hs + T.HS_P_PC] = p_pc
    t[hs + T.HS_P_INSN] = p_insn
    t[hs + T.HS_P_DEC] = p_dec
    t[hs + T.HS_P_LF] = p_lf
    t[hs + T.HS_P_FHIT] = p_fhit
    t[hs + T.HS_P_LD] = p_ld
    t[hs + T.HS_P_DHIT] = p_dhit
    t[hs + T.HS_P_RD] = p_rd
    CM.count_last_line_hits(t, gi, gd, same_f, same_r, same_w)
    return i


@njit(cache=True)
def pipelined_batch(t0, work, n):
    """Time n records of the kernel's trace buffer, hart run by hart run."""
    t = CM.raw_view(t0)
    trb = work[L.C_TRACE]
    i = 0
    while i < n:
        i = _pipe_hart_run(t, work, work[trb + i * L.TC_WORDS + L.TC_INFO] >> 56, i, n, False, 0)


@njit(cache=True)
def settle(t0, work, harts, h):
    """Finish hart h's pending instruction: its successor is the hart's current pc."""
    t = CM.raw_view(t0)
    if t[t[T.H_HS] + h * T.HS_W + T.HS_P_VALID]:
        _pipe_hart_run(t, work, h, 0, 0, True, harts[h, PC])


_cachedir.done()


def fp_itype(name: str) -> str:
    """gem5's OpClass of an F/D computation."""
    base = name.split(".")[0]
    if base in ("fadd", "fsub"):
        return "FloatAdd"
    if base == "fmul":
        return "FloatMult"
    if base in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
        return "FloatMultAcc"
    if base == "fdiv":
        return "FloatDiv"
    if base == "fsqrt":
        return "FloatSqrt"
    if base == "fcvt":
        return "FloatCvt"
    if base in ("feq", "flt", "fle", "fmin", "fmax"):
        return "FloatCmp"
    return "FloatMisc"  # sign injection, classify, moves


def op_bits() -> np.ndarray:
    """Per decoder op: which source registers it reads, its class bits and its instruction class."""
    bits = np.zeros(256, np.int64)
    for op in range(256):
        b = 0
        name = D.OP_NAMES[op] if op < D.N_OPS else ""
        itype = "No_OpClass"
        if D.ALU_FIRST <= op <= D.BRANCH_LAST or D.CONTROL_FIRST <= op <= D.CONTROL_LAST:
            itype = "IntAlu"
        if D.ALU_FIRST <= op <= D.ALU_LAST and op >= D.OP_MUL:
            itype = "IntDiv" if name.startswith(("div", "rem")) else "IntMult"
        elif D.LOAD_FIRST <= op <= D.LOAD_LAST or D.LR_FIRST <= op <= D.LR_LAST:
            itype = "FloatMemRead" if name.startswith("f") else "MemRead"
        elif D.STORE_FIRST <= op <= D.STORE_LAST or D.AMO_FIRST <= op <= D.AMO_LAST or D.SC_FIRST <= op <= D.SC_LAST:
            itype = "FloatMemWrite" if name.startswith("f") else "MemWrite"
        elif D.FPU_FIRST <= op <= D.XFP_LAST:
            itype = fp_itype(name)
        if D.FPU_FIRST <= op <= D.FPU_LAST:  # f sources
            b = T.OPB_RS1 | T.OPB_F1 | T.OPB_RS2 | T.OPB_F2
            if itype == "FloatMultAcc":
                b |= T.OPB_RS3
        elif D.FPX_FIRST <= op <= D.FPX_LAST:
            b = T.OPB_RS1 | T.OPB_F1 | T.OPB_RS2 | T.OPB_F2
        elif D.XFP_FIRST <= op <= D.XFP_LAST:
            b = T.OPB_RS1
        elif D.ALU_FIRST <= op <= D.ALU_LAST:
            if op == D.OP_LUI:
                b = 0
            elif D.OP_ADDI <= op <= D.OP_SRAI or D.OP_ADDIW <= op <= D.OP_SRAIW:
                b = T.OPB_RS1
            else:
                b = T.OPB_RS1 | T.OPB_RS2
            if op >= D.OP_MUL:
                name = D.OP_NAMES[op]
                b |= T.OPB_DIV if name.startswith(("div", "rem")) else T.OPB_MUL
        elif D.BRANCH_FIRST <= op <= D.BRANCH_LAST:
            b = T.OPB_RS1 | T.OPB_RS2 | T.OPB_COND
        elif D.LOAD_FIRST <= op <= D.LOAD_LAST:
            b = T.OPB_RS1
        elif D.STORE_FIRST <= op <= D.STORE_LAST:
            b = T.OPB_RS1 | T.OPB_RS2 | (T.OPB_F2 if name.startswith("f") else 0)
        elif op == D.OP_JAL:
            b = T.OPB_JAL
        elif op == D.OP_JALR:
            b = T.OPB_RS1 | T.OPB_JALR
        elif D.AMO_FIRST <= op <= D.AMO_LAST or D.SC_FIRST <= op <= D.SC_LAST:
            b = T.OPB_RS1 | T.OPB_RS2
        elif D.LR_FIRST <= op <= D.LR_LAST:
            b = T.OPB_RS1
        elif op in (D.OP_CSRRW, D.OP_CSRRS, D.OP_CSRRC):
            b = T.OPB_RS1
        elif op in (D.OP_ECALL, D.OP_EBREAK, D.OP_MRET, D.OP_SRET, D.OP_WFI, D.OP_FENCE_I, D.OP_SFENCE_VMA):
            b = T.OPB_FLUSH
        if itype in ("FloatDiv", "FloatSqrt"):
            b |= T.OPB_UNPIPELINED
        # the register written, as the kernel's full trace record classifies it (TR_RD)
        if D.OP_FLW <= op <= D.LOAD_LAST or D.FPU_FIRST <= op <= D.FPU_LAST or op >= D.XFP_FIRST:
            b |= T.OPB_WF
        elif (op <= D.ALU_LAST or D.LOAD_FIRST <= op <= D.LOAD_LAST or op == D.OP_JAL or op == D.OP_JALR
              or op == D.OP_AUIPC or D.AMO_FIRST <= op <= D.CSR_LAST or D.FPX_FIRST <= op <= D.FPX_LAST):
            b |= T.OPB_WX
        bits[op] = b | (T.ITYPES.index(itype) << T.OPB_ITYPE_SHIFT)
    return bits


def _power_of_two(n):
    return n > 0 and n & (n - 1) == 0


def _bp(p):
    return (p.bp_entries,)


def _btb(p):
    return (p.btb_entries,)


def _ras(p):
    return (p.ras_entries,)


class PipelinedCore(TimedCore):
    with_predictors = True

    def _prepare_model(self):
        t = self.t
        r0, _ = self._timing.regions["ops"]
        t[r0:r0 + 256] = op_bits()
        for h, cpu in enumerate(self.cpu_components):
            self._timing.bp_views[h]["warm_geometry"][:] = cpu.warm_geometry()

    def _cold_model(self):
        for views in self._timing.bp_views:
            for name, view in views.items():
                if name != "warm_geometry":
                    view[:] = 0
        r0, n = self._timing.regions["dec"]
        self.t[r0:r0 + n] = 0

    def _consume(self, count: int):
        pipelined_batch(self.t, self.work, count)

    def _settle(self, hart: int):
        settle(self.t, self.work, self.harts, hart)

    def _cpu_stats(self, prefix, row, insts) -> list[tuple]:
        wrong = int(row[T.HT_BP_COND_WRONG] + row[T.HT_RAS_WRONG] + row[T.HT_INDIRECT_WRONG])
        bp = f"{prefix}.branchPred"
        return [
            (f"{bp}.lookups", int(row[T.HT_BP_LOOKUPS]), "control instructions predicted", "count"),
            (f"{bp}.condPredicted", int(row[T.HT_BP_COND]), "conditional branches predicted", "count"),
            (f"{bp}.condIncorrect", int(row[T.HT_BP_COND_WRONG]), "conditional branches mispredicted", "count"),
            (f"{bp}.condAccuracy", 1.0 - _ratio(row[T.HT_BP_COND_WRONG], row[T.HT_BP_COND]) if row[T.HT_BP_COND]
             else 0.0, "fraction of conditional branches predicted right", "ratio"),
            (f"{bp}.BTBLookups", int(row[T.HT_BTB_LOOKUPS]), "BTB lookups", "count"),
            (f"{bp}.BTBHits", int(row[T.HT_BTB_HITS]), "BTB hits", "count"),
            (f"{bp}.RASUsed", int(row[T.HT_RAS_USED]), "returns predicted by the return-address stack", "count"),
            (f"{bp}.RASIncorrect", int(row[T.HT_RAS_WRONG]), "returns mispredicted", "count"),
            (f"{bp}.indirectLookups", int(row[T.HT_INDIRECT]), "indirect jumps predicted by the BTB", "count"),
            (f"{bp}.indirectMispredicted", int(row[T.HT_INDIRECT_WRONG]), "indirect jumps mispredicted", "count"),
            (f"{bp}.mispredicts", wrong, "mispredicted control instructions", "count"),
            (f"{bp}.mpki", round(wrong * 1000.0 / insts, 6) if insts else 0.0,
             "mispredictions per 1000 instructions", "count/kinst"),
            (f"{prefix}.decodeRedirects", int(row[T.HT_DECODE_REDIRECT]),
             "taken direct jumps and branches redirected at decode (BTB miss)", "count"),
            (f"{prefix}.squashCycles", int(row[T.HT_SQUASH_CYC]),
             "fetch cycles lost to mispredictions, decode redirects and traps", "cycle"),
            (f"{prefix}.loadUseStallCycles", int(row[T.HT_LOAD_USE]), "cycles lost waiting for a load's result",
             "cycle"),
            (f"{prefix}.mulDivStallCycles", int(row[T.HT_MULDIV_STALL]),
             "cycles lost to multi-cycle multiplies and divides (EX busy, or waiting for their result)", "cycle"),
            (f"{prefix}.fpStallCycles", int(row[T.HT_FP_STALL]),
             "cycles lost to multi-cycle floating-point operations (EX busy, or waiting for their result)", "cycle"),
            (f"{prefix}.fetchLatencyStallCycles", int(row[T.HT_STALL_FETCH]),
             "cycles lost to instruction fetch beyond one cycle", "cycle"),
            (f"{prefix}.memStageStallCycles", int(row[T.HT_STALL_MEM]),
             "cycles lost to MEM busy with a data access beyond one cycle", "cycle"),
            (f"{prefix}.branchStallCycles", int(row[T.HT_STALL_BRANCH]),
             "cycles lost refetching after mispredictions and decode redirects", "cycle"),
            (f"{prefix}.serialiseStallCycles", int(row[T.HT_STALL_SERIAL]),
             "cycles lost refetching after traps, xRET and serialising instructions", "cycle"),
            (f"{prefix}.stallCycles", int(sum(row[k] for k in STALL_STATS)),
             "every cycle lost against one instruction per cycle (the seven above add up to it)", "cycle"),
            (f"{prefix}.trapRedirects", int(row[T.HT_TRAPS]), "redirects by traps, interrupts and xRET", "count"),
        ] + [(f"{prefix}.commit.committedInstType::{name}", int(row[T.HT_ITYPE + i]),
              "committed instructions of this class (gem5 OpClass)", "count") for i, name in enumerate(T.ITYPES)]


class PipelinedCPU(TimingCPU):
    kind = "cpu.pipelined"
    doc = ("In-order 5-stage pipelined CPU (IF, ID, EX, MEM, WB) with forwarding, load-use stalls, "
           "multi-cycle multiply/divide, a branch predictor with BTB and return-address stack, timed "
           "from the atomic CPU's execution through the machine's caches and memory.")

    mul_latency = Param(Cycles, 3, "EX cycles of a multiply", min=1)
    div_latency = Param(Cycles, 20, "EX cycles of a divide or remainder", min=1)
    fadd_latency = Param(Cycles, 4, "cycles until an FP add/subtract result can be used (pipelined)", min=1)
    fmul_latency = Param(Cycles, 4, "cycles until an FP multiply result can be used (pipelined)", min=1)
    fma_latency = Param(Cycles, 5, "cycles until a fused multiply-add result can be used (pipelined)", min=1)
    fdiv_latency = Param(Cycles, 20, "EX cycles of an FP divide (not pipelined: EX stays busy)", min=1)
    fsqrt_latency = Param(Cycles, 25, "EX cycles of an FP square root (not pipelined)", min=1)
    fcvt_latency = Param(Cycles, 3, "cycles until an FP conversion result can be used (pipelined)", min=1)
    mispredict_penalty = Param(Cycles, 2, "fetch cycles lost when a branch is resolved wrong in EX", min=1)
    predictor = Param(Choice(*T.PREDICTORS), "gshare", "direction predictor")
    bp_entries = Param(Int, 4096, "2-bit counters of the direction predictor (power of two)", min=2,
                       max=1 << 20)
    btb_entries = Param(Int, 512, "branch target buffer entries (power of two, direct-mapped)", min=1,
                        max=1 << 16)
    ras_entries = Param(Int, 16, "return-address stack entries", min=1, max=1024)

    state = HART_FIELDS + (
        StateField("warm_geometry", "int64", (T.GEOM_W,), "predictor geometry the warm state was recorded with",
                   architectural=False),
        StateField("bp_history", "int64", (1,), "global branch history (gshare)", architectural=False),
        StateField("ras_top", "int64", (1,), "return-address stack top", architectural=False),
        StateField("bp_counters", "int64", _bp, "2-bit direction counters", architectural=False),
        StateField("btb_tags", "int64", _btb, "BTB: pc of each entry", architectural=False),
        StateField("btb_targets", "int64", _btb, "BTB: target of each entry", architectural=False),
        StateField("ras", "int64", _ras, "return-address stack", architectural=False),
    )

    def check(self):
        problems = super().check()
        p = self.params
        if not _power_of_two(p.bp_entries):
            problems.append(("bp_entries", f"{p.bp_entries} is not a power of two"))
        if not _power_of_two(p.btb_entries):
            problems.append(("btb_entries", f"{p.btb_entries} is not a power of two"))
        return problems

    def warm_geometry(self) -> np.ndarray:
        p = self.params
        g = np.zeros(T.GEOM_W, np.int64)
        g[:5] = (1, T.PREDICTORS.index(p.predictor), p.bp_entries, p.btb_entries, p.ras_entries)
        return g

    @staticmethod
    def core_class():
        return PipelinedCore
