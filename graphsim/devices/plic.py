"""PLIC (SiFive layout as on QEMU virt): 2 contexts per hart (M, S).

Served inside the compiled kernel. Registers: priority[src] at 4*src (3 bits; threshold likewise),
pending bits at 0x1000, enable bits at 0x2000 + 0x80*ctx, threshold at
0x200000 + 0x1000*ctx, claim/complete at +4. 32-bit accesses only.
Like QEMU 7.2's sifive_plic, a source's pending bit follows its line level
at each line update; a claim clears pending and marks the source claimed
until completion; a context's interrupt is asserted while a pending,
enabled, unclaimed source has priority above its threshold.
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from ..config.schema import REQUESTER, RESPONDER, Address, Component, Int, Param, Port, Size, StateField
from ..isa.csr import MIP_MEIP, MIP_SEIP
from ..isa.state import MIP, SEIP_EXT, SEIP_SW


class PLIC(Component):
    kind = "plic"
    role = "interrupt_controller"
    doc = "Platform-level interrupt controller (QEMU virt layout, M and S contexts per hart)."

    base = Param(Address, 0xC000000, "register address")
    size = Param(Size, "64MiB", "register window")
    num_sources = Param(Int, 97, "interrupt source ids 0..num_sources-1 (0 is reserved)", min=2, max=1024)
    num_harts = Param(Int, 1, "harts served (filled in by elaboration)", min=1)
    port = Port(RESPONDER, "mem", "register access", vector=True)
    sources = Port(RESPONDER, "irq", "device interrupt lines", vector=True)
    harts = Port(REQUESTER, "hart_irq", "external interrupt lines to the harts", vector=True)

    state_version = 1
    state = (
        StateField("priority", "int64", lambda p: (p.num_sources,), "source priorities (0..7)"),
        StateField("pending", "int64", lambda p: (p.num_sources,), "pending bit per source"),
        StateField("claimed", "int64", lambda p: (p.num_sources,), "claimed (in service) bit per source"),
        StateField("level", "int64", lambda p: (p.num_sources,), "input line level per source"),
        StateField("enable", "int64", lambda p: (2 * p.num_harts, p.num_sources), "enable bit per context and source"),
        StateField("threshold", "int64", lambda p: (2 * p.num_harts,), "priority threshold per context"),
    )


# offsets inside the PLIC block of `dev` (ns = num_sources, nctx = 2 * harts)
def pl_offsets(ns, nctx):
    return {
        "priority": 0,
        "pending": ns,
        "claimed": 2 * ns,
        "level": 3 * ns,
        "enable": 4 * ns,
        "threshold": 4 * ns + nctx * ns,
    }


@njit(cache=True)
def plic_best(dev, pl, ns, nctx, ctx):
    """The source a claim by ctx returns (0 if none)."""
    pend = pl + ns
    clm = pl + 2 * ns
    en = pl + 4 * ns + ctx * ns
    best = 0
    maxp = dev[pl + 4 * ns + nctx * ns + ctx]
    for s in range(1, ns):
        if dev[pend + s] and not dev[clm + s] and dev[en + s]:
            p = dev[pl + s]
            if p > maxp:
                maxp = p
                best = s
    return best


@njit(cache=True)
def plic_update(dev, pl, ns, nctx, harts):
    """Recompute MEIP/SEIP of every hart from the PLIC state."""
    for ctx in range(nctx):
        h = ctx >> 1
        lvl = plic_best(dev, pl, ns, nctx, ctx) != 0
        if (ctx & 1) == 0:
            if lvl:
                harts[h, MIP] |= MIP_MEIP
            else:
                harts[h, MIP] &= ~MIP_MEIP
        else:
            harts[h, SEIP_EXT] = 1 if lvl else 0
            if lvl or harts[h, SEIP_SW]:
                harts[h, MIP] |= MIP_SEIP
            else:
                harts[h, MIP] &= ~MIP_SEIP


@njit(cache=True)
def plic_set_level(dev, pl, ns, nctx, harts, src, level):
    if src <= 0 or src >= ns:
        return
    dev[pl + 3 * ns + src] = 1 if level else 0
    old = dev[pl + ns + src]
    dev[pl + ns + src] = 1 if level else 0
    if old != dev[pl + ns + src]:
        plic_update(dev, pl, ns, nctx, harts)


@njit(cache=True)
def plic_read(dev, pl, ns, nctx, harts, off, size):
    """Returns (ok, value, changed)."""
    if size != 4 or (off & 3):
        return False, 0, False
    if off < 0x1000:
        s = off >> 2
        return True, (dev[pl + s] if s < ns else 0), False
    if off < 0x2000:
        word = (off - 0x1000) >> 2
        v = 0
        for b in range(32):
            s = word * 32 + b
            if s < ns and dev[pl + ns + s]:
                v |= 1 << b
        return True, ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000, False
    if off < 0x200000:
        ctx = (off - 0x2000) >> 7
        word = ((off - 0x2000) & 0x7F) >> 2
        if ctx >= nctx:
            return True, 0, False
        v = 0
        for b in range(32):
            s = word * 32 + b
            if s < ns and dev[pl + 4 * ns + ctx * ns + s]:
                v |= 1 << b
        return True, ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000, False
    ctx = (off - 0x200000) >> 12
    reg = off & 0xFFF
    if ctx >= nctx:
        return True, 0, False
    if reg == 0:
        return True, dev[pl + 4 * ns + nctx * ns + ctx], False
    if reg == 4:
        s = plic_best(dev, pl, ns, nctx, ctx)
        if s:
            dev[pl + ns + s] = 0
            dev[pl + 2 * ns + s] = 1
        plic_update(dev, pl, ns, nctx, harts)
        return True, s, True
    return True, 0, False


@njit(cache=True)
def plic_write(dev, pl, ns, nctx, harts, off, size, value):
    """Returns ok."""
    if size != 4 or (off & 3):
        return False
    value &= 0xFFFFFFFF
    if off < 0x1000:
        s = off >> 2
        if 0 < s < ns:
            dev[pl + s] = value & 7
            plic_update(dev, pl, ns, nctx, harts)
        return True
    if off < 0x2000:
        return True  # pending bits are read-only
    if off < 0x200000:
        ctx = (off - 0x2000) >> 7
        word = ((off - 0x2000) & 0x7F) >> 2
        if ctx < nctx:
            for b in range(32):
                s = word * 32 + b
                if s < ns:  # (source 0's bit is stored too, as QEMU; it never becomes pending)
                    dev[pl + 4 * ns + ctx * ns + s] = (value >> b) & 1
            plic_update(dev, pl, ns, nctx, harts)
        return True
    ctx = (off - 0x200000) >> 12
    reg = off & 0xFFF
    if ctx >= nctx:
        return True
    if reg == 0:
        dev[pl + 4 * ns + nctx * ns + ctx] = value & 7  # as QEMU 7.2: the value masked to 3 bits
        plic_update(dev, pl, ns, nctx, harts)
    elif reg == 4:
        if value < ns:
            dev[pl + 2 * ns + value] = 0
            plic_update(dev, pl, ns, nctx, harts)
    return True
