"""The compiled atomic CPU: one `run` call executes up to a budget of
instructions over all harts and returns an exit reason.

Arguments are four arrays (each array argument costs ~0.04 us per call):
  harts  int64 (nharts, HART_WORDS)  architectural hart state (isa/state.py)
  ram    uint8 (ram_size,)           guest RAM
  dev    int64 (n,)                  CLINT, PLIC and UART state, packed
  work   int64 (n,)                  configuration, exit record, MMIO reply slot,
                                     UART host buffers, TLBs, decode cache, trace
Configuration lives in `work` (layout.py), never in globals.

Scheduling (deterministic, independent of how runs are split): each hart
keeps its own time (`tick`). The hart that runs next is the one with the
smallest (tick // quantum_ticks, hart index); it runs a *slice* of at most
the rest of its quantum, the remaining budget, up to its next timer event
and up to until_tick. Interrupts are checked at slice starts; anything that
may change interrupt state or what the slice caches (xRET, device accesses,
WFI, sfence.vma, and the CSR writes listed in csr_instruction) ends the slice.
A hart in WFI with nothing pending sleeps to its quantum boundary; when every
hart sleeps, time jumps to the next CLINT timer event (or to
until_tick: TICK_LIMIT; or returns IDLE if nothing can wake them).

An instruction whose access must be served by a Python device exits with
EXIT_MMIO *before* it changes any state; the machine serves the access,
stores the reply in the slot (Core.complete_mmio) and runs again: the same
instruction re-executes and consumes the one-shot reply, first thing, before
any interrupt check. One instruction step costs one CPU cycle; an
instruction that takes an exception counts as executed (icount, budget,
mcycle) but not retired (minstret).
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload

from ..devices import clint as CL
from ..devices import plic as PL
from ..devices import uart16550 as UA
from ..isa import csr as CSR
from ..isa import decoder_gen as D
from ..isa import fpexec as FX
from ..isa import mmu as MMU
from ..isa import priv as PV
from ..isa import zicsr as ZC
from ..isa.bits import sext16, sext32, sext8
from ..isa.state import (
    FCSR, ICOUNT, LR_ADDR, LR_VALID, LR_VALUE, MCOUNTEREN, MCOUNTINHIBIT, MCYCLE, MENVCFG, MIE, MINSTRET, MIP, MISA,
    MSTATUS, PC, PRIV, PRV_M, PRV_S, PRV_U, SATP, SEIP_SW, STIMECMP, TICK, USED, USED_A, USED_D, USED_F, USED_M,
    USED_PAGING, USED_PAGING_SHIFT, USED_SSTC, USED_ZIHINTPAUSE, WFI,
)
from ..isa.state import F as FREG
from . import layout as L
from .jit_call import call_block

MAXTICK = 0x3FFFFFFFFFFFFFFF
DC_ENTRIES = 1 << 18  # decode cache entries (2 words each: key, decoded): 4 MiB, as a Linux boot's code needs (docs/speed.md)
DC_MASK = DC_ENTRIES - 1

# physical access statuses
ST_OK = 0
ST_OK_BRK = 1  # done; interrupt state may have changed: end the slice
ST_EXC = 2  # exception: value holds the cause
ST_EXIT = 3  # exit record filled: value holds the exit reason


@njit(cache=True)
def sext_size(v, size):
    if size == 1:
        return sext8(v)
    if size == 2:
        return sext16(v)
    if size == 4:
        return sext32(v)
    return v


@njit(cache=True)
def fire_tick(dev, cl, nharts, h, tpm):
    """First tick at which hart h's timer compare is reached (MAXTICK: never)."""
    return compare_tick(dev, cl, dev[cl + CL.cl_mtimecmp(nharts) + h], tpm)


@njit(cache=True)
def compare_tick(dev, cl, cmp_, tpm):
    """First tick at which mtime reaches the compare value cmp_ (MAXTICK: never)."""
    if cmp_ < 0:
        return MAXTICK
    d = cmp_ - dev[cl + CL.CL_MTIME_OFFSET]
    if d <= 0:
        return 0
    if d > MAXTICK // tpm:
        return MAXTICK
    return d * tpm


@njit(cache=True)
def refresh_clint_bits(harts, dev, work, h):
    """Set hart h's MTIP/MSIP from the CLINT at the hart's current tick."""
    cl = work[L.C_CLINT_DEV]
    if cl < 0:
        return
    nh = work[L.C_NHARTS]
    t = harts[h, TICK]
    mt = CL.mtime_at(dev, cl, t, work[L.C_TPM])
    cmp_ = dev[cl + CL.cl_mtimecmp(nh) + h]
    if (mt ^ -0x8000000000000000) >= (cmp_ ^ -0x8000000000000000):
        harts[h, MIP] |= CSR.MIP_MTIP
    else:
        harts[h, MIP] &= ~CSR.MIP_MTIP
    if dev[cl + CL.CL_MSIP + h] & 1:
        harts[h, MIP] |= CSR.MIP_MSIP
    else:
        harts[h, MIP] &= ~CSR.MIP_MSIP
    # Sstc, as refresh_sstc (written out on the 2-D array: a row view costs atomic reference counts)
    if harts[h, MENVCFG] < 0:
        if (mt ^ -0x8000000000000000) >= (harts[h, STIMECMP] ^ -0x8000000000000000):
            harts[h, MIP] |= CSR.MIP_STIP
        else:
            harts[h, MIP] &= ~CSR.MIP_STIP


@njit(cache=True)
def refresh_sstc(st, dev, work, tick):
    """Sstc: while menvcfg.STCE is set, mip.STIP is (time >= stimecmp) and software cannot write it."""
    cl = work[L.C_CLINT_DEV]
    if st[MENVCFG] >= 0 or cl < 0:  # STCE is bit 63
        return
    mt = CL.mtime_at(dev, cl, tick, work[L.C_TPM])
    if (mt ^ -0x8000000000000000) >= (st[STIMECMP] ^ -0x8000000000000000):
        st[MIP] |= CSR.MIP_STIP
    else:
        st[MIP] &= ~CSR.MIP_STIP


@njit(cache=True)
def uart_sync_irq(harts, dev, work):
    u = work[L.C_UART_DEV]
    if u < 0:
        return
    lvl = UA.uart_irq_level(dev, u)
    dev[u + UA.U_IRQ] = lvl
    pl = work[L.C_PLIC_DEV]
    if pl >= 0:
        PL.plic_set_level(dev, pl, work[L.C_PLIC_NSRC], work[L.C_PLIC_NCTX], harts, work[L.C_UART_IRQ], lvl)


@njit(cache=True)
def uart_pull_host(harts, dev, work):
    u = work[L.C_UART_DEV]
    if u < 0:
        return
    if UA.uart_pull(dev, u, work, work[L.C_RXQ], work[L.C_RXQCAP], L.C_RXQHEAD, L.C_RXQCOUNT):
        uart_sync_irq(harts, dev, work)


@njit(cache=True)
def set_exit(work, reason, h, paddr, size, is_write, value, pc):
    ex = work[L.C_EXIT]
    work[ex + L.EX_REASON] = reason
    work[ex + L.EX_HART] = h
    work[ex + L.EX_PADDR] = paddr
    work[ex + L.EX_SIZE] = size
    work[ex + L.EX_IS_WRITE] = is_write
    work[ex + L.EX_VALUE] = value
    work[ex + L.EX_PC] = pc


@njit(cache=True)
def python_covers(work, pa, size):
    n = work[L.C_NMMIO]
    t = work[L.C_MMIO]
    for i in range(n):
        b = work[t + 2 * i]
        s = work[t + 2 * i + 1]
        if b <= pa and pa + size <= b + s:
            return True
    return False


@njit(cache=True)
def phys_read(harts, h, dev, work, ram8, pa, size, now, pc):
    """A load from a physical address that is not an aligned RAM access. Returns (status, value)."""
    rb = work[L.C_RAM_BASE]
    off = pa - rb
    if off >= 0 and off + size <= work[L.C_RAM_SIZE]:
        v = 0
        for i in range(size - 1, -1, -1):
            v = (v << 8) | (np.int64(ram8[off + i]) & 0xFF)
        return ST_OK, sext_size(v, size)
    if (pa & (size - 1)) != 0:
        return ST_EXC, PV.EXC_LOAD_ACCESS
    sl = work[L.C_SLOT]
    if work[sl + L.SL_VALID] and work[sl + L.SL_HART] == h and work[sl + L.SL_PADDR] == pa \
            and work[sl + L.SL_SIZE] == size and work[sl + L.SL_IS_WRITE] == 0:
        work[sl + L.SL_VALID] = 0
        return ST_OK_BRK, sext_size(work[sl + L.SL_VALUE], size)
    cl = work[L.C_CLINT_DEV]
    if cl >= 0:
        cb = work[L.C_CLINT_BASE]
        if cb <= pa < cb + work[L.C_CLINT_SIZE]:
            ok, v = CL.clint_read(dev, cl, work[L.C_NHARTS], pa - cb, size, now, work[L.C_TPM])
            if not ok:
                return ST_EXC, PV.EXC_LOAD_ACCESS
            return ST_OK, sext_size(v, size)
    pl = work[L.C_PLIC_DEV]
    if pl >= 0:
        pb = work[L.C_PLIC_BASE]
        if pb <= pa < pb + work[L.C_PLIC_SIZE]:
            ok, v, changed = PL.plic_read(dev, pl, work[L.C_PLIC_NSRC], work[L.C_PLIC_NCTX], harts, pa - pb, size)
            if not ok:
                return ST_EXC, PV.EXC_LOAD_ACCESS
            return (ST_OK_BRK if changed else ST_OK), sext_size(v, size)
    u = work[L.C_UART_DEV]
    if u >= 0:
        ub = work[L.C_UART_BASE]
        if ub <= pa < ub + work[L.C_UART_SIZE]:
            v, pull = UA.uart_read(dev, u, (pa - ub) & 7)
            if pull:
                UA.uart_pull(dev, u, work, work[L.C_RXQ], work[L.C_RXQCAP], L.C_RXQHEAD, L.C_RXQCOUNT)
            uart_sync_irq(harts, dev, work)
            return ST_OK_BRK, v
    if python_covers(work, pa, size):
        set_exit(work, L.EXIT_MMIO, h, pa, size, 0, 0, pc)
        return ST_EXIT, L.EXIT_MMIO
    return ST_EXC, PV.EXC_LOAD_ACCESS


@njit(cache=True)
def phys_write(harts, h, dev, work, ram8, pa, size, value, now, pc):
    """A store to a physical address that is not an aligned RAM access. Returns (status, cause-or-reason)."""
    rb = work[L.C_RAM_BASE]
    off = pa - rb
    if off >= 0 and off + size <= work[L.C_RAM_SIZE]:
        for i in range(size):
            ram8[off + i] = sext8(value >> (8 * i))
        return ST_OK, 0
    if (pa & (size - 1)) != 0:
        return ST_EXC, PV.EXC_STORE_ACCESS
    if size < 8:
        value = value & ((1 << (8 * size)) - 1)
    sl = work[L.C_SLOT]
    if work[sl + L.SL_VALID] and work[sl + L.SL_HART] == h and work[sl + L.SL_PADDR] == pa \
            and work[sl + L.SL_SIZE] == size and work[sl + L.SL_IS_WRITE] == 1:
        work[sl + L.SL_VALID] = 0
        return ST_OK_BRK, 0
    cl = work[L.C_CLINT_DEV]
    if cl >= 0:
        cb = work[L.C_CLINT_BASE]
        if cb <= pa < cb + work[L.C_CLINT_SIZE]:
            nh = work[L.C_NHARTS]
            ok, what = CL.clint_write(dev, cl, nh, pa - cb, size, value, now, work[L.C_TPM])
            if not ok:
                return ST_EXC, PV.EXC_STORE_ACCESS
            if what == 1:
                for j in range(nh):
                    if dev[cl + CL.CL_MSIP + j] & 1:
                        harts[j, MIP] |= CSR.MIP_MSIP
                    else:
                        harts[j, MIP] &= ~CSR.MIP_MSIP
            elif what == 2:
                # the writer's own MTIP reflects its current time at once; others refresh at their next slice
                t = harts[h, TICK]
                harts[h, TICK] = now
                refresh_clint_bits(harts, dev, work, h)
                harts[h, TICK] = t
            return ST_OK_BRK, 0
    pl = work[L.C_PLIC_DEV]
    if pl >= 0:
        pb = work[L.C_PLIC_BASE]
        if pb <= pa < pb + work[L.C_PLIC_SIZE]:
            ok = PL.plic_write(dev, pl, work[L.C_PLIC_NSRC], work[L.C_PLIC_NCTX], harts, pa - pb, size, value)
            if not ok:
                return ST_EXC, PV.EXC_STORE_ACCESS
            return ST_OK_BRK, 0
    u = work[L.C_UART_DEV]
    if u >= 0:
        ub = work[L.C_UART_BASE]
        if ub <= pa < ub + work[L.C_UART_SIZE]:
            r = UA.uart_write(dev, u, (pa - ub) & 7, value, work, work[L.C_TX], work[L.C_TXCAP], L.C_TXCOUNT)
            if r == 1:
                set_exit(work, L.EXIT_UART_TX_FULL, h, pa, size, 1, value, pc)
                return ST_EXIT, L.EXIT_UART_TX_FULL
            uart_sync_irq(harts, dev, work)
            return ST_OK_BRK, 0
    if python_covers(work, pa, size):
        set_exit(work, L.EXIT_MMIO, h, pa, size, 1, value, pc)
        return ST_EXIT, L.EXIT_MMIO
    return ST_EXC, PV.EXC_STORE_ACCESS


@njit(cache=True, inline='always')
def tlb_hit(work, tlb, va, acc, ctx):
    """The TLB's physical address for va (access kind acc, context ctx), or -1 on a miss. Inlined,
    so that run's hot paths look the TLB up without a call (a call with array arguments costs
    atomic reference counts)."""
    vpn = va >> 12
    ti = np.uint64(tlb + (acc * MMU.TLB_ENTRIES + (vpn & (MMU.TLB_ENTRIES - 1))) * 2)
    if work[ti] == ((vpn << 3) | ctx):
        return work[ti + np.uint64(1)] | (va & 0xFFF)
    return -1


@njit(cache=True)
def translate(st, work, tlb, ram64, ram32, va, acc, ctx, xl32):
    """Virtual -> physical through the TLB (kind acc, context ctx). Returns pa, or -1 page fault, -2 access fault."""
    hit = tlb_hit(work, tlb, va, acc, ctx)
    if hit >= 0:
        return hit
    vpn = va >> 12
    ti = tlb + (acc * MMU.TLB_ENTRIES + (vpn & (MMU.TLB_ENTRIES - 1))) * 2
    satp = st[SATP]
    pa = MMU.walk(ram64, ram32, work[L.C_RAM_BASE], work[L.C_RAM_SIZE], satp, va, acc,
                  (ctx >> 2) & 1, (ctx >> 1) & 1, ctx & 1, xl32)
    if xl32:
        mode = (satp >> 31) & 1
    else:
        mode = (satp >> 60) & 15
    st[USED] |= USED_PAGING | (1 << (USED_PAGING_SHIFT + mode))
    if pa < 0:
        return pa
    work[ti] = (vpn << 3) | ctx
    work[ti + 1] = pa & ~0xFFF
    return pa


@njit(cache=True)
def fault_cause(r, acc):
    if r == MMU.WALK_PAGE_FAULT:
        return MMU.PAGE_FAULT_CAUSE[acc]
    return MMU.ACCESS_FAULT_CAUSE[acc]


@njit(cache=True)
def data_xlate(st, work, tlb, ram64, ram32, va, size, acc, dvm, ctx, xl32):
    """Translate a data access; handles accesses that cross a page (returns the first byte's pa
    and, in the second value, the pa of the first byte on the next page, or -1).
    Returns (pa, pa2, cause) with cause -1 on success."""
    if not dvm:
        return va, -1, -1
    pa = translate(st, work, tlb, ram64, ram32, va, acc, ctx, xl32)
    if pa < 0:
        return 0, -1, fault_cause(pa, acc)
    if (va & 0xFFF) + size > 4096:
        va2 = (va | 0xFFF) + 1
        if xl32:
            va2 &= 0xFFFFFFFF
        pa2 = translate(st, work, tlb, ram64, ram32, va2, acc, ctx, xl32)
        if pa2 < 0:
            return 0, -1, fault_cause(pa2, acc)
        return pa, pa2, -1
    return pa, -1, -1


@njit(cache=True)
def split_read(ram8, work, pa, pa2, va, size):
    """A RAM read whose bytes lie on two pages. Returns (ok, value)."""
    rb = work[L.C_RAM_BASE]
    rs = work[L.C_RAM_SIZE]
    first = 4096 - (va & 0xFFF)
    v = 0
    for i in range(size - 1, -1, -1):
        a = (pa + i) if i < first else (pa2 + i - first)
        o = a - rb
        if o < 0 or o >= rs:
            return False, 0
        v = (v << 8) | (np.int64(ram8[o]) & 0xFF)
    return True, sext_size(v, size)


@njit(cache=True)
def split_write(ram8, work, pa, pa2, va, size, value):
    rb = work[L.C_RAM_BASE]
    rs = work[L.C_RAM_SIZE]
    first = 4096 - (va & 0xFFF)
    for i in range(size):
        a = (pa + i) if i < first else (pa2 + i - first)
        o = a - rb
        if o < 0 or o >= rs:
            return False
    for i in range(size):
        a = (pa + i) if i < first else (pa2 + i - first)
        ram8[a - rb] = sext8(value >> (8 * i))
    return True


@njit(cache=True)
def csr_instruction(st, op, rd, rs1, imm, priv, xl32, k, now, dev, work, satp_modes, hflags):
    """Execute a Zicsr instruction. Returns (-1 on success or 2 (illegal), flush the TLB, end the slice).

    Only writes that change what the slice start computes end the slice: translation, privilege
    context and FS (cached for the slice), Sstc's compare (the slice ends at it), mcountinhibit,
    and interrupt enables/pending/delegation while an interrupt is pending (the slice start takes
    it, after this instruction as before). Every other CSR write is seen by the next instruction."""
    kind = (op - D.OP_CSRRW) % 3
    immform = op >= D.OP_CSRRWI
    src = rs1 if immform else st[rs1]
    csrn = imm & 0xFFF
    write = ZC.does_write(kind, rs1)
    if csrn == 0x14D or (csrn == 0x15D and xl32):
        # stimecmp (Sstc; on RV32 its halves, stimecmp and stimecmph): S-mode needs menvcfg.STCE and mcounteren.TM
        if (hflags & L.HF_SSTC) == 0 or priv == PRV_U or \
                (priv == PRV_S and (st[MENVCFG] >= 0 or (st[MCOUNTEREN] & 2) == 0)):
            return 2, False, False
        cmp_ = st[STIMECMP]
        if not xl32:
            old = cmp_
        elif csrn == 0x14D:
            old = sext32(cmp_)
        else:
            old = sext32(cmp_ >> 32)
        if write:
            nv = ZC.new_value(kind, old, src)
            if not xl32:
                st[STIMECMP] = nv
            elif csrn == 0x14D:
                st[STIMECMP] = (cmp_ & ~0xFFFFFFFF) | (nv & 0xFFFFFFFF)
            else:
                st[STIMECMP] = (cmp_ & 0xFFFFFFFF) | (nv << 32)
            refresh_sstc(st, dev, work, now)
        if rd != 0:
            st[rd] = old
        return -1, False, write
    if not CSR.csr_check(st, csrn, priv, write, xl32):
        return 2, False, False
    mt = 0
    if csrn == 0xC01 or csrn == 0xC81:
        cl = work[L.C_CLINT_DEV]
        if cl >= 0:
            mt = CL.mtime_at(dev, cl, now, work[L.C_TPM])
    old = CSR.csr_read(st, csrn, xl32, k, mt)
    flush = False
    brk = False
    if write:
        mst = st[MSTATUS]
        base = old
        if csrn == 0x344 and kind != 0:  # read-modify-write of mip uses the software SEIP bit
            base = (old & ~CSR.MIP_SEIP) | (CSR.MIP_SEIP if st[SEIP_SW] else 0)
        nv = ZC.new_value(kind, base, src)
        flush = CSR.csr_write(st, csrn, nv, xl32, k, satp_modes) != 0
        if hflags & L.HF_SSTC and (csrn == 0x30A or csrn == 0x31A or csrn == 0x344 or csrn == 0x144):
            # menvcfg.STCE (bit 63; on RV32 bit 31 of menvcfgh) is writable with Sstc
            stce_csr = 0x31A if xl32 else 0x30A
            if csrn == stce_csr:
                stce = (nv << 32) if xl32 else nv
                st[MENVCFG] = (st[MENVCFG] & 0x7FFFFFFFFFFFFFFF) | (stce & -0x8000000000000000)
                if st[MENVCFG] < 0:
                    st[USED] |= USED_SSTC
            refresh_sstc(st, dev, work, now)
        if csrn == 0x300 or csrn == 0x100:
            d = mst ^ st[MSTATUS]
            brk = (d & (CSR.MSTATUS_MPRV | CSR.MSTATUS_MPP | CSR.MSTATUS_SUM | CSR.MSTATUS_MXR)) != 0 or \
                ((mst & CSR.MSTATUS_FS) == 0) != ((st[MSTATUS] & CSR.MSTATUS_FS) == 0) or \
                (st[MIP] & st[MIE]) != 0
        elif csrn == 0x304 or csrn == 0x104 or csrn == 0x344 or csrn == 0x144 or csrn == 0x303:
            brk = (st[MIP] & st[MIE]) != 0
        else:
            brk = flush or csrn == 0x30A or csrn == 0x31A or csrn == 0x320
    if rd != 0:
        st[rd] = old
    return -1, flush, brk


@njit(cache=True)
def m5_known(work, func):
    if func < 64:
        return (work[L.C_M5_KNOWN0] >> func) & 1
    return (work[L.C_M5_KNOWN1] >> (func - 64)) & 1


@njit(cache=True)
def wakeable(harts, dev, work, j):
    """Refresh hart j's CLINT bits; True if it is awake or an interrupt would wake it."""
    refresh_clint_bits(harts, dev, work, j)
    if harts[j, WFI] == 0:
        return True
    return (harts[j, MIP] & harts[j, MIE]) != 0


@njit(cache=True)
def wake_tick(harts, dev, work, j):
    """Earliest tick at which a timer interrupt could wake sleeping hart j."""
    cl = work[L.C_CLINT_DEV]
    if cl < 0:
        return MAXTICK
    w = MAXTICK
    if harts[j, MIE] & CSR.MIP_MTIP:
        w = fire_tick(dev, cl, work[L.C_NHARTS], j, work[L.C_TPM])
    if harts[j, MENVCFG] < 0 and harts[j, MIE] & CSR.MIP_STIP:
        w = min(w, compare_tick(dev, cl, harts[j, STIMECMP], work[L.C_TPM]))
    return w


@njit(cache=True)
def bbv_add(work, bv, start, n):
    """Add n instructions to the block starting at pc ``start`` in the profile's table."""
    keys = work[bv + L.BV_KEYS]
    mask = work[bv + L.BV_CAP] - 1
    i = (((start >> 1) * -7046029254386353131) >> 24) & mask  # Fibonacci hashing
    while True:
        kk = work[keys + i]
        if kk == start:
            break
        if kk == -1:
            work[keys + i] = start
            work[work[bv + L.BV_LIST] + work[bv + L.BV_USED]] = i
            work[bv + L.BV_USED] += 1
            break
        i = (i + 1) & mask
    work[work[bv + L.BV_COUNTS] + i] += n


def calls_blocks_while_recording(rec) -> bool:
    """Whether this compilation of the recording loop calls compiled blocks: the one for a basic-block
    profile without trace or debugger (Core.run passes a float ``rec`` for it), whose blocks count
    themselves. A constant of the compilation, so the loop the timing models and the debugger run has
    none of the block-call code (it cost cpu.timing ~7 %)."""
    return isinstance(rec, float)


@overload(calls_blocks_while_recording)
def _calls_blocks_while_recording(rec):
    calls = isinstance(rec, types.Float)
    return lambda rec: calls


@njit(cache=True, inline='always')
def bbv_step(work, bv, h, pc, seq):
    """Profile one executed instruction at ``pc`` whose fall-through is ``seq``: a pc other than
    the previous instruction's fall-through starts a new block (and ends the previous one)."""
    r = work[bv + L.BV_HARTS] + h * L.BVH_WORDS
    if pc != work[r + L.BVH_NEXT]:
        if work[r + L.BVH_COUNT] > 0:
            bbv_add(work, bv, work[r + L.BVH_START], work[r + L.BVH_COUNT])
        work[r + L.BVH_START] = pc
        work[r + L.BVH_COUNT] = 0
    work[r + L.BVH_COUNT] += 1
    work[r + L.BVH_NEXT] = seq


@njit(cache=True)
def debug_before(work, db, h, pc, icount, resuming):
    """Debug hook at a slice start (while a debugger is armed, every slice is one instruction):
    True (exit record filled) if hart h must stop before the instruction at pc: the single
    step it was given is done, or pc is a breakpoint (except at the icount it resumes from,
    and for the instruction completing a served MMIO access, which must not be re-issued)."""
    if work[db + L.DB_STEP_HART] == h and icount >= work[db + L.DB_STEP_ICOUNT]:
        set_exit(work, L.EXIT_DEBUG, h, 0, 0, 0, L.DBG_STEP, pc)
        return True
    if resuming or work[work[db + L.DB_SKIP] + h] == icount:
        return False
    bp = work[db + L.DB_BP]
    for i in range(work[db + L.DB_NBP]):
        if work[bp + i] == pc:
            set_exit(work, L.EXIT_DEBUG, h, 0, 0, 0, L.DBG_BREAKPOINT, pc)
            return True
    return False


@njit(cache=True)
def debug_watch(work, db, h, pc):
    """Debug hook after a one-instruction slice retired (while watchpoints are armed, the trace
    is on: Core.set_debug): True (exit record filled) if the data access of the slice's trace
    record overlaps a watchpoint's physical range of its kind (bit 0 read, bit 1 write). Drops
    the record if only the debugger wanted it."""
    if work[L.C_TRACE_ON] == L.TRACE_COMPACT:
        r = work[L.C_TRACE] + (work[L.C_TRACECOUNT] - 1) * L.TC_WORDS
        pa = work[r + L.TC_MEM_ADDR]
        info = work[r + L.TC_INFO] >> 32
    else:
        r = work[L.C_TRACE] + (work[L.C_TRACECOUNT] - 1) * L.TR_WORDS
        pa = work[r + L.TR_MEM_ADDR]
        info = work[r + L.TR_MEM_INFO]
    size = info & 0xFF
    kind = (info >> 8) & 3
    if work[db + L.DB_OWN_TRACE]:
        work[L.C_TRACECOUNT] -= 1
    if pa < 0 or work[db + L.DB_NWP] == 0:
        return False
    wp = work[db + L.DB_WP]
    for i in range(work[db + L.DB_NWP]):
        e = wp + i * L.DBW_WORDS
        a = work[e + L.DBW_ADDR]
        if (work[e + L.DBW_KIND] & kind) != 0 and pa - a < work[e + L.DBW_LEN] and a - pa < size:
            set_exit(work, L.EXIT_DEBUG, h, max(pa, a), kind, 0, L.DBG_WATCH, pc)
            return True
    return False


@njit(cache=True)
def exec_system(harts, h, st, dev, work, op, imm, w, pc, npc, tlb):
    """Execute the system instructions other than Zicsr and FENCE (fence.i, ecall, ebreak, xRET, WFI,
    sfence.vma, m5ops): rare, so kept out of `run`, whose compile time grows faster than linearly
    with its size. Returns (exc, tval, npc, brk, exit_reason)."""
    exc = -1
    tval = 0
    brk = False
    exit_reason = -1
    if op == D.OP_FENCE_I:
        brk = True
    elif op == D.OP_ECALL:
        exc = PV.EXC_ECALL_U + st[PRIV]
    elif op == D.OP_EBREAK:
        exc = PV.EXC_BREAKPOINT  # (tval 0: QEMU 7.2 writes 0)
    elif op == D.OP_MRET:
        if not PV.mret_allowed(st):
            exc = PV.EXC_ILLEGAL
            tval = w
        else:
            npc = PV.mret(st, work[work[L.C_HART] + h * L.HC_WORDS + L.HC_XL32] != 0)
            brk = True
    elif op == D.OP_SRET:
        if not PV.sret_allowed(st):
            exc = PV.EXC_ILLEGAL
            tval = w
        else:
            npc = PV.sret(st, work[work[L.C_HART] + h * L.HC_WORDS + L.HC_XL32] != 0)
            brk = True
    elif op == D.OP_WFI:
        if not PV.wfi_allowed(st):
            exc = PV.EXC_ILLEGAL
            tval = w
        else:
            refresh_clint_bits(harts, dev, work, h)
            if (st[MIP] & st[MIE]) == 0:
                st[WFI] = 1
            brk = True
    elif op == D.OP_SFENCE_VMA:
        if not PV.sfence_allowed(st):
            exc = PV.EXC_ILLEGAL
            tval = w
        else:
            MMU.tlb_flush(work, tlb)
            brk = True
    elif op == D.OP_M5OP:
        if m5_known(work, imm):
            set_exit(work, L.EXIT_M5OP, h, 0, 0, 0, 0, pc)
            work[work[L.C_EXIT] + L.EX_FUNC] = imm
            exit_reason = L.EXIT_M5OP
        else:
            exc = PV.EXC_ILLEGAL
            tval = w
    else:
        exc = PV.EXC_ILLEGAL
        tval = w
    return exc, tval, npc, brk, exit_reason


@njit(cache=True, inline='always')
def exec_fp(op, rd, imm, fa, fb, fc, xa, fcsr):
    """Execute an F/D computation (decoder classes fpu, fpx, xfp; loads and stores run on the
    integer path) on register values: fa, fb, fc from f[rs1], f[rs2], f[rs3], xa from x[rs1].
    (Values, not the hart's array: an array argument costs atomic refcounts on every call.)
    Only reached while FS != Off: the decoder treats FP instructions as illegal otherwise.
    Returns (-1 or the exception cause, the hart-state index of the register written, its value,
    the fflags to accrue); writing an f register or nonzero fflags makes mstatus.FS Dirty."""
    bad, v, fl = FX.execute(op, fa, fb, fc, xa, imm, (fcsr >> 5) & 7)
    if bad:
        return PV.EXC_ILLEGAL, 0, 0, 0
    if D.FPX_FIRST <= op <= D.FPX_LAST:
        return -1, rd, v, fl
    return -1, FREG + rd, v, fl


@njit(cache=True)
def run(harts, ram, dev, work, budget, until_tick, fp, rec):
    """Execute up to `budget` instructions (all harts); stop at until_tick (< 0: no limit).
    Returns an exit reason (layout.EXIT_*); details in the exit record.

    ``fp`` is None on a machine without F/D: numba then compiles `run` without the FP paths
    (its branch pruning drops every ``fp is not None`` branch), so integer-only machines pay
    nothing for them at run time. Otherwise any integer (Core passes one whenever ``rec`` is
    given: the recording loop is compiled with the FP paths only).
    ``rec`` is None while neither the trace (work[C_TRACE_ON]), the basic-block profile
    (work[C_BBV]) nor a debugger's stops (work[C_DEBUG]) are on: that compilation has none of
    their code, which frees registers in the hot loop (docs/speed.md). Otherwise any integer.
    A profile without trace or debugger (a float ``rec``: its own compilation) calls compiled blocks too,
    which count their own."""
    ram8 = ram.view(np.int8)
    ram16 = ram.view(np.int16)
    ram32 = ram.view(np.int32)
    ram64 = ram.view(np.int64)
    nh = work[L.C_NHARTS]
    rbase = work[L.C_RAM_BASE]
    rsize = work[L.C_RAM_SIZE]
    qt = work[L.C_QUANTUM]
    tpm = work[L.C_TPM]
    cl = work[L.C_CLINT_DEV]
    dc = work[L.C_DC]
    sl = work[L.C_SLOT]
    tron = 0
    bv = 0
    if rec is not None:
        tron = work[L.C_TRACE_ON]
        bv = work[L.C_BBV]
    trb = work[L.C_TRACE]
    trcap = work[L.C_TRACECAP]
    jt = 0  # the block compiler's area (graphsim/cpu/jit): the lean loop, and a profile without trace or debugger
    if rec is None or (calls_blocks_while_recording(rec) and bv != 0 and tron == 0 and work[L.C_DEBUG] == 0):
        jt = work[L.C_JIT]
    jtab = work[jt + L.JT_TABLE] if jt != 0 else 0
    jmask = work[jt + L.JT_MASK] if jt != 0 else 0
    jthresh = work[jt + L.JT_THRESH] if jt != 0 else 0
    done = 0
    if until_tick < 0:
        until_tick = MAXTICK
    while True:
        # ---- pick the hart: smallest (quantum index, hart index) ----
        h = 0
        if nh > 1:
            bq = harts[0, TICK] // qt
            for j in range(1, nh):
                qj = harts[j, TICK] // qt
                if qj < bq:
                    bq = qj
                    h = j
        resuming = work[sl + L.SL_VALID] != 0
        if resuming:
            h = work[sl + L.SL_HART]
        st = harts[h]
        t = st[TICK]
        if done >= budget:
            return L.EXIT_BUDGET
        if t >= until_tick and not resuming:
            return L.EXIT_TICK_LIMIT
        hc = work[L.C_HART] + h * L.HC_WORDS
        xl32 = work[hc + L.HC_XL32] != 0
        tpc = work[hc + L.HC_TPC]
        if not resuming:
            refresh_clint_bits(harts, dev, work, h)
            if st[WFI]:
                if (st[MIP] & st[MIE]) != 0:
                    st[WFI] = 0
                else:
                    # asleep: does anyone stay awake?
                    anyone = False
                    for j in range(nh):
                        if j != h and wakeable(harts, dev, work, j):
                            anyone = True
                            break
                    if anyone:
                        nb = (t // qt + 1) * qt
                        w_ = wake_tick(harts, dev, work, h)
                        if t < w_ < nb:
                            nb = w_
                        st[TICK] = min(nb, until_tick) if until_tick > t else nb
                        continue
                    wmin = MAXTICK
                    for j in range(nh):
                        w_ = wake_tick(harts, dev, work, j)
                        if w_ < wmin:
                            wmin = w_
                    if wmin < until_tick:
                        for j in range(nh):
                            if harts[j, TICK] < wmin:
                                harts[j, TICK] = wmin
                        continue
                    if until_tick < MAXTICK:
                        for j in range(nh):
                            if harts[j, TICK] < until_tick:
                                harts[j, TICK] = until_tick
                        return L.EXIT_TICK_LIMIT
                    set_exit(work, L.EXIT_IDLE, h, 0, 0, 0, 0, st[PC])
                    return L.EXIT_IDLE
            irq = PV.pending_interrupt(st)
            if irq >= 0:
                PV.take_trap(st, irq, True, 0, st[PC], xl32)
        db = 0
        if rec is not None:
            db = work[L.C_DEBUG]
        if db != 0 and debug_before(work, db, h, st[PC], st[ICOUNT], resuming):
            return L.EXIT_DEBUG  # (docs/gdb.md: the debug hooks live at slice boundaries)
        # ---- the slice ----
        n = budget - done
        nb = (t // qt + 1) * qt
        m = (nb - t + tpc - 1) // tpc
        if m < n:
            n = m
        if until_tick < MAXTICK:
            m = (until_tick - t + tpc - 1) // tpc
            if m < n:
                n = m
        if cl >= 0 and (st[MIP] & CSR.MIP_MTIP) == 0:
            f = fire_tick(dev, cl, nh, h, tpm)
            if f < MAXTICK and f > t:
                m = (f - t + tpc - 1) // tpc
                if m < n:
                    n = m
        if cl >= 0 and st[MENVCFG] < 0 and (st[MIP] & CSR.MIP_STIP) == 0:  # Sstc: end the slice at stimecmp
            f = compare_tick(dev, cl, st[STIMECMP], tpm)
            if f < MAXTICK and f > t:
                m = (f - t + tpc - 1) // tpc
                if m < n:
                    n = m
        if n <= 0 or db != 0:
            n = 1  # (armed: one instruction per slice, so the hooks see every instruction)
        if tron:
            room = trcap - work[L.C_TRACECOUNT]
            if room <= 0:
                set_exit(work, L.EXIT_TRACE_FULL, h, 0, 0, 0, 0, st[PC])
                return L.EXIT_TRACE_FULL
            if room < n:
                n = room
        priv = st[PRIV]
        satp = st[SATP]
        inh = st[MCOUNTINHIBIT]  # the slice counts under the inhibit bits it started with
        hflags = work[hc + L.HC_FLAGS]
        satp_modes = work[hc + L.HC_SATP_MODES]
        if xl32:
            amask = 0xFFFFFFFF
            vm_on = ((satp >> 31) & 1) != 0
        else:
            amask = -1
            vm_on = ((satp >> 60) & 15) != 0
        ivm = vm_on and priv < PRV_M
        dpriv = PV.data_priv(st)
        dvm = vm_on and dpriv < PRV_M
        mst = st[MSTATUS]
        if (mst & CSR.MSTATUS_FS) == 0:  # FS Off (always, without F): FP instructions decode as illegal
            hflags &= ~(D.FLAG_F | D.FLAG_D)
        dctx = ((1 if dpriv == PRV_U else 0) << 2) | (((mst >> 18) & 1) << 1) | ((mst >> 19) & 1)
        ictx = (1 if priv == PRV_U else 0) << 2
        tlb = work[L.C_TLB] + h * MMU.TLB_WORDS_PER_HART
        ialign = 0 if (hflags & D.FLAG_C) else 2
        keyhi = hflags << 32
        # a block-start candidate is looked up (and counted) after a taken branch or jump; after a compiled
        # block returns, for the next two instructions (the one it stopped at, then the one after it)
        jon = jt != 0 and (hflags & D.FLAG_RV64) != 0 and not xl32
        cand = 1 if jon and not resuming else 0
        kflags = (hflags << 40) | ((1 << 39) if dvm else 0)  # the table key's high bits (layout.JE_KEY)
        if bv != 0:  # profiling: blocks that count themselves, on this hart's row
            kflags |= 1 << 38
            work[bv + L.BV_ROW] = work[bv + L.BV_HARTS] + h * L.BVH_WORDS
        pc = st[PC]
        fvpn = -1
        fbase = 0
        used = 0
        k = 0
        ntrap = 0
        exit_reason = -1
        # next record (the count is committed with the slice)
        tr = trb + work[L.C_TRACECOUNT] * (L.TC_WORDS if tron == L.TRACE_COMPACT else L.TR_WORDS)
        while k < n:
            exc = -1
            tval = 0
            brk = False
            maddr = -1
            minfo = 0
            fpa = -1
            # ---- fetch ----
            if (pc >> 12) != fvpn:
                if ivm:
                    pa = tlb_hit(work, tlb, pc, MMU.ACC_FETCH, ictx)
                    if pa < 0:
                        pa = translate(st, work, tlb, ram64, ram32, pc, MMU.ACC_FETCH, ictx, xl32)
                    if pa < 0:
                        exc = fault_cause(pa, MMU.ACC_FETCH)
                        tval = pc
                else:
                    pa = pc
                if exc < 0:
                    po = (pa & ~0xFFF) - rbase
                    if po < 0 or po >= rsize:
                        exc = PV.EXC_INST_ACCESS
                        tval = pc
                    else:
                        fvpn = pc >> 12
                        fbase = po
            w = 0
            d = 0
            if exc < 0:
                ro = fbase + (pc & 0xFFF)
                fpa = rbase + ro
                if cand != 0:
                    cand -= 1
                    je = jtab + (((pc >> 1) ^ (pc >> 15)) & jmask) * L.JE_WORDS
                    bkey = ro | kflags
                    if work[je + L.JE_PC] == pc and work[je + L.JE_KEY] == bkey:
                        fn = work[je + L.JE_FN]
                        if fn > 0:
                            if work[je + L.JE_N] <= n - k:
                                c = call_block(fn, st, ram, work, n - k, tlb, dctx, 0)
                                if c > 0:
                                    k += c
                                    work[jt + L.JT_CALLS] += 1
                                    work[jt + L.JT_INSNS] += c
                                    pc = st[PC]
                                    cand = 2
                                    continue
                                if c < 0:  # the code changed under the block: count it again
                                    work[je + L.JE_FN] = 0
                                    work[je + L.JE_N] = 0
                        elif work[je + L.JE_N] > L.JE_QUEUED:
                            work[je + L.JE_N] += 1
                            if work[je + L.JE_N] >= jthresh and work[je + L.JE_N] >= -fn:
                                qn = work[jt + L.JT_QCOUNT]
                                if qn < work[jt + L.JT_QCAP]:
                                    q = work[jt + L.JT_Q] + qn * L.JQ_WORDS
                                    work[q + L.JQ_PC] = pc
                                    work[q + L.JQ_KEY] = bkey
                                    work[q + L.JQ_ENTRY] = je
                                    work[jt + L.JT_QCOUNT] = qn + 1
                                    work[je + L.JE_N] = L.JE_QUEUED
                    elif work[je + L.JE_FN] <= 0:
                        work[je + L.JE_PC] = pc
                        work[je + L.JE_KEY] = bkey
                        work[je + L.JE_FN] = 0
                        work[je + L.JE_N] = 1
                w = np.int64(ram16[np.uint64(ro >> 1)]) & 0xFFFF  # (unsigned index: no wrap-around check)
                if (w & 3) == 3:
                    if (pc & 0xFFF) != 0xFFE:
                        w |= (np.int64(ram16[np.uint64((ro >> 1) + 1)]) & 0xFFFF) << 16
                    else:
                        pc2 = (pc + 2) & amask
                        if ivm:
                            pa2 = translate(st, work, tlb, ram64, ram32, pc2, MMU.ACC_FETCH, ictx, xl32)
                        else:
                            pa2 = pc2
                        if pa2 < 0:
                            exc = fault_cause(pa2, MMU.ACC_FETCH)
                            tval = pc2
                        elif pa2 - rbase < 0 or pa2 - rbase >= rsize:
                            exc = PV.EXC_INST_ACCESS
                            tval = pc2
                        else:
                            w |= (np.int64(ram16[(pa2 - rbase) >> 1]) & 0xFFFF) << 16
            if exc < 0:
                # ---- decode: cache indexed by pc, validated by the raw word (so it is
                # always coherent with memory, whatever rewrote the code) ----
                ci = np.uint64(dc + 2 * ((pc >> 1) & DC_MASK))
                key = w | keyhi
                if work[ci] == key:
                    d = work[ci + np.uint64(1)]
                else:
                    d = D.decode(w, hflags)
                    work[ci] = key
                    work[ci + np.uint64(1)] = d
                op = d & 0xFF
                rd = (d >> 8) & 31
                rs1 = (d >> 13) & 31
                rs2 = (d >> 18) & 31
                imm = d >> 32
                npc = (pc + 4 - ((d >> 22) & 2)) & amask
                used |= (d >> 21) & 4  # USED_C
                # ---- execute ----
                if op <= D.ALU_LAST:
                    if op == D.OP_ILLEGAL:
                        exc = PV.EXC_ILLEGAL
                        tval = w
                    else:
                        st[rd] = D.alu(op, st[rs1], st[rs2], imm)
                        st[0] = 0
                        if op >= D.OP_MUL:
                            used |= USED_M
                elif op <= D.BRANCH_LAST:
                    if D.branch(op, st[rs1], st[rs2]):
                        tgt = (pc + imm) & amask
                        if tgt & ialign:
                            exc = PV.EXC_INST_MISALIGNED
                            tval = tgt
                        else:
                            npc = tgt
                            if jon:
                                cand = 1
                elif op <= D.STORE_LAST:
                    size = D.mem_size(op)
                    va = (st[rs1] + imm) & amask
                    is_load = op <= D.LOAD_LAST
                    acc = MMU.ACC_LOAD if is_load else MMU.ACC_STORE
                    pa2 = -1
                    if dvm:
                        if (va & 0xFFF) + size > 4096:
                            pa, pa2, c = data_xlate(st, work, tlb, ram64, ram32, va, size, acc, dvm, dctx, xl32)
                            if c >= 0:
                                exc = c
                                tval = va
                        else:
                            pa = tlb_hit(work, tlb, va, acc, dctx)
                            if pa < 0:
                                pa = translate(st, work, tlb, ram64, ram32, va, acc, dctx, xl32)
                                if pa < 0:
                                    exc = fault_cause(pa, acc)
                                    tval = va
                    else:
                        pa = va
                    if exc < 0:
                        maddr = pa
                        minfo = size | ((1 if is_load else 2) << 8)
                        off = pa - rbase
                        now = t + k * tpc
                        fpmem = False
                        if fp is not None:
                            fpmem = D.OP_FLW <= op <= D.OP_FSD
                        if is_load:
                            dst = rd
                            if fpmem:
                                dst = FREG + rd
                            if pa2 >= 0:
                                ok, v = split_read(ram8, work, pa, pa2, va, size)
                                if not ok:
                                    exc = PV.EXC_LOAD_ACCESS
                                    tval = va
                                else:
                                    st[dst] = D.load_ext(op, v)
                                    st[0] = 0
                            elif off >= 0 and off <= rsize - size and (off & (size - 1)) == 0:
                                # (written out: passing arrays to helpers costs atomic refcounts)
                                uo = np.uint64(off)
                                if size == 8:
                                    v = ram64[uo >> np.uint64(3)]
                                elif size == 4:
                                    v = np.int64(ram32[uo >> np.uint64(2)])
                                elif size == 2:
                                    v = np.int64(ram16[uo >> np.uint64(1)])
                                else:
                                    v = np.int64(ram8[uo])
                                st[dst] = D.load_ext(op, v)
                                st[0] = 0
                            else:
                                s_, v = phys_read(harts, h, dev, work, ram8, pa, size, now, pc)
                                if s_ == ST_EXC:
                                    exc = v
                                    tval = va
                                elif s_ == ST_EXIT:
                                    exit_reason = v
                                    break
                                else:
                                    st[dst] = D.load_ext(op, v)
                                    st[0] = 0
                                    brk = s_ == ST_OK_BRK
                        else:
                            sv = st[FREG + rs2] if fpmem else st[rs2]
                            if pa2 >= 0:
                                if not split_write(ram8, work, pa, pa2, va, size, sv):
                                    exc = PV.EXC_STORE_ACCESS
                                    tval = va
                            elif off >= 0 and off <= rsize - size and (off & (size - 1)) == 0:
                                uo = np.uint64(off)
                                if size == 8:
                                    ram64[uo >> np.uint64(3)] = sv
                                elif size == 4:
                                    ram32[uo >> np.uint64(2)] = sext32(sv)
                                elif size == 2:
                                    ram16[uo >> np.uint64(1)] = sext16(sv)
                                else:
                                    ram8[uo] = sext8(sv)
                            else:
                                s_, v = phys_write(harts, h, dev, work, ram8, pa, size, sv, now, pc)
                                if s_ == ST_EXC:
                                    exc = v
                                    tval = va
                                elif s_ == ST_EXIT:
                                    exit_reason = v
                                    break
                                else:
                                    brk = s_ == ST_OK_BRK
                        if fpmem and exc < 0:
                            used |= USED_F if (op == D.OP_FLW or op == D.OP_FSW) else USED_F | USED_D
                            if is_load:
                                st[MSTATUS] |= CSR.MSTATUS_FS
                elif op == D.OP_JAL:
                    tgt = (pc + imm) & amask
                    if tgt & ialign:
                        exc = PV.EXC_INST_MISALIGNED
                        tval = tgt
                    else:
                        st[rd] = sext32(npc) if xl32 else npc
                        st[0] = 0
                        npc = tgt
                        if jon:
                            cand = 1
                elif op == D.OP_JALR:
                    tgt = (st[rs1] + imm) & ~1 & amask
                    if tgt & ialign:
                        exc = PV.EXC_INST_MISALIGNED
                        tval = tgt
                    else:
                        st[rd] = sext32(npc) if xl32 else npc
                        st[0] = 0
                        npc = tgt
                        if jon:
                            cand = 1
                elif op == D.OP_AUIPC:
                    v = pc + imm
                    st[rd] = sext32(v) if xl32 else v
                    st[0] = 0
                elif op <= D.SC_LAST:
                    # ---- A extension (written out here: helpers called with arrays cost atomic refcounts) ----
                    used |= USED_A
                    size = D.mem_size(op)
                    va = (st[rs1] + imm) & amask
                    is_lr = D.LR_FIRST <= op <= D.LR_LAST
                    is_sc = D.SC_FIRST <= op
                    if is_sc and not (st[LR_VALID] and st[LR_ADDR] == va):
                        st[LR_VALID] = 0
                        st[rd] = 1
                        st[0] = 0
                    elif va & (size - 1):
                        exc = PV.EXC_LOAD_MISALIGNED if is_lr else PV.EXC_STORE_MISALIGNED
                        tval = va
                    else:
                        acc = MMU.ACC_LOAD if is_lr else MMU.ACC_STORE
                        pa = va
                        if dvm:
                            pa = tlb_hit(work, tlb, va, acc, dctx)
                            if pa < 0:
                                pa = translate(st, work, tlb, ram64, ram32, va, acc, dctx, xl32)
                                if pa < 0:
                                    exc = fault_cause(pa, acc)
                                    tval = va
                        off = pa - rbase
                        if exc >= 0:
                            pass
                        elif off < 0 or off > rsize - size:
                            exc = PV.EXC_LOAD_ACCESS if is_lr else PV.EXC_STORE_ACCESS
                            tval = va
                        else:
                            maddr = pa
                            minfo = size | (3 << 8)
                            uo = np.uint64(off)
                            if size == 8:
                                v = ram64[uo >> np.uint64(3)]
                            else:
                                v = np.int64(ram32[uo >> np.uint64(2)])
                            if is_lr:
                                st[LR_VALID] = 1
                                st[LR_ADDR] = va
                                st[LR_VALUE] = v
                            else:
                                store = True
                                if is_sc:
                                    # as QEMU: the store happens if memory still holds what LR loaded
                                    # (so another hart's store in between makes the SC fail)
                                    st[LR_VALID] = 0
                                    store = v == st[LR_VALUE]
                                    nv = st[rs2]
                                    v = 0 if store else 1
                                else:
                                    nv = D.amo(op, v, st[rs2])
                                if store:
                                    if size == 8:
                                        ram64[uo >> np.uint64(3)] = nv
                                    else:
                                        ram32[uo >> np.uint64(2)] = sext32(nv)
                            st[rd] = v
                            st[0] = 0
                else:
                    isfp = False
                    if fp is not None:
                        isfp = op >= D.FPU_FIRST
                    if isfp:
                        exc, dst, v, fl = exec_fp(op, rd, imm, st[FREG + rs1], st[FREG + rs2],
                                                  st[FREG + ((imm >> 3) & 31)], st[rs1], st[FCSR])
                        tval = w
                        if exc < 0:
                            st[dst] = v
                            st[0] = 0
                            st[FCSR] |= fl
                            if dst >= FREG or fl != 0:
                                st[MSTATUS] |= CSR.MSTATUS_FS
                            used |= USED_F | (USED_D if imm & 256 else 0)
                    elif fp is not None and D.CSR_FIRST <= op <= D.CSR_LAST and 1 <= (imm & 0xFFF) <= 3 \
                            and (st[MISA] & CSR.MISA_F) != 0 and (st[MSTATUS] & CSR.MSTATUS_FS) != 0:
                        # fflags, frm, fcsr as csr_instruction would, without its calls' cost: FP
                        # code reads and writes them around every quiet comparison
                        kind = (op - D.OP_CSRRW) % 3
                        old = CSR.fp_csr_read(imm & 0xFFF, st[FCSR])
                        if ZC.does_write(kind, rs1):
                            src = rs1 if op >= D.OP_CSRRWI else st[rs1]
                            st[FCSR] = CSR.fp_csr_written(imm & 0xFFF, st[FCSR], ZC.new_value(kind, old, src))
                            st[MSTATUS] |= CSR.MSTATUS_FS
                            used |= USED_F
                        st[rd] = old
                        st[0] = 0
                    elif op <= D.CSR_LAST:
                        c, flush, brk = csr_instruction(st, op, rd, rs1, imm, priv, xl32, k, t + k * tpc, dev, work,
                                                        satp_modes, hflags)
                        st[0] = 0
                        if c >= 0:
                            exc = c
                            tval = w
                        elif flush:
                            MMU.tlb_flush(work, tlb)
                    elif op == D.OP_FENCE:
                        # pause (fence w,0) is a hint; on a hart with Zihintpause its use is recorded for compatibility
                        if w == 0x0100000F and hflags & L.HF_ZIHINTPAUSE:
                            used |= USED_ZIHINTPAUSE
                    else:
                        exc, tval, npc, brk, exit_reason = exec_system(harts, h, st, dev, work, op, imm, w, pc, npc, tlb)
                        if exit_reason >= 0:
                            break
            # ---- retire or trap ----
            if tron:
                ur = np.uint64(tr)  # (unsigned index: no wrap-around code per store)
                if tron == L.TRACE_COMPACT:
                    work[ur + np.uint64(L.TC_PC)] = pc
                    work[ur + np.uint64(L.TC_FETCH_PA)] = fpa
                    work[ur + np.uint64(L.TC_MEM_ADDR)] = maddr
                    work[ur + np.uint64(L.TC_INFO)] = w | (minfo << 32) | ((1 if exc >= 0 else 0) << 48) | (h << 56)
                    work[ur + np.uint64(L.TC_DECODED)] = d
                    tr += L.TC_WORDS
                else:
                    op_ = d & 0xFF
                    rdn = (d >> 8) & 31
                    trd = -1  # the register written: x0..x31 as 0..31, f0..f31 as 32..63
                    if exc < 0:
                        if D.OP_FLW <= op_ <= D.LOAD_LAST or D.FPU_FIRST <= op_ <= D.FPU_LAST or op_ >= D.XFP_FIRST:
                            trd = 32 + rdn
                        elif rdn != 0 and (
                                op_ <= D.ALU_LAST or D.LOAD_FIRST <= op_ <= D.LOAD_LAST or op_ == D.OP_JAL
                                or op_ == D.OP_JALR or op_ == D.OP_AUIPC or D.AMO_FIRST <= op_ <= D.CSR_LAST
                                or D.FPX_FIRST <= op_ <= D.FPX_LAST):
                            trd = rdn
                    work[ur + np.uint64(L.TR_HART)] = h
                    work[ur + np.uint64(L.TR_PC)] = pc
                    work[ur + np.uint64(L.TR_INSN)] = w
                    work[ur + np.uint64(L.TR_PRIV)] = priv
                    work[ur + np.uint64(L.TR_MEM_ADDR)] = maddr
                    work[ur + np.uint64(L.TR_MEM_INFO)] = minfo
                    work[ur + np.uint64(L.TR_FETCH_PA)] = fpa
                    work[ur + np.uint64(L.TR_RD)] = trd
                    work[ur + np.uint64(L.TR_VALUE)] = st[FREG + rdn] if trd >= 32 else (st[rdn] if trd >= 0 else 0)
                    tr += L.TR_WORDS
            if bv != 0:
                bbv_step(work, bv, h, pc, (pc + 4 - ((d >> 22) & 2)) & amask)
            k += 1
            if exc >= 0:
                PV.take_trap(st, exc, False, tval, pc, xl32)
                npc = st[PC]
                ntrap += 1
                brk = True
            pc = npc
            if brk:
                break
        # ---- commit the slice ----
        if tron:
            work[L.C_TRACECOUNT] += k
        st[PC] = pc
        st[ICOUNT] += k
        if (inh & 1) == 0:
            st[MCYCLE] += k
        if (inh & 4) == 0:
            st[MINSTRET] += k - ntrap
        st[TICK] += k * tpc
        st[USED] |= used
        done += k
        work[L.C_STATS_STEPS] += k
        if resuming and work[sl + L.SL_VALID]:
            work[sl + L.SL_VALID] = 0  # not consumed: the access changed; drop the stale reply
        if exit_reason >= 0:
            return exit_reason
        if jt != 0 and work[jt + L.JT_QCOUNT] > 0:
            return L.EXIT_JIT
        # (work[C_DEBUG] is read again, not kept in a register across the hot loop)
        if rec is not None and work[L.C_DEBUG] != 0 and tron and ntrap == 0 and debug_watch(work, work[L.C_DEBUG], h, st[PC]):
            return L.EXIT_DEBUG
