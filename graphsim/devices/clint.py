"""CLINT (SiFive/ACLINT layout as on QEMU virt): msip, mtimecmp, mtime.

Served inside the compiled kernel. mtime is derived from simulated time:
``mtime = tick // ticks_per_mtime + mtime_offset`` where ticks_per_mtime =
10**12 / timebase_frequency; the offset is 0 unless the guest writes mtime.
No wall clock ever reaches the guest.

Registers (offsets from base): msip[h] at 4*h (bit 0), mtimecmp[h] at
0x4000 + 8*h, mtime at 0xBFF8; 4- and 8-byte accesses.
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from ..config.schema import REQUESTER, RESPONDER, Address, Component, Frequency, Int, Param, Port, Size, StateField


class CLINT(Component):
    kind = "clint"
    doc = "Core-local interruptor: software and timer interrupts (QEMU virt layout)."

    base = Param(Address, 0x2000000, "register address")
    size = Param(Size, "64KiB", "register window")
    timebase_frequency = Param(Frequency, "10MHz", "mtime rate")
    num_harts = Param(Int, 1, "harts served (filled in by elaboration)", min=1, max=1024)
    port = Port(RESPONDER, "mem", "register access", vector=True)
    harts = Port(REQUESTER, "hart_irq", "software and timer interrupt lines to the harts", vector=True)

    state_version = 1
    state = (
        StateField("mtime_offset", "int64", (), "mtime - tick // ticks_per_mtime (0 unless the guest wrote mtime)"),
        StateField("msip", "int64", lambda p: (p.num_harts,), "software interrupt pending, per hart"),
        StateField("mtimecmp", "int64", lambda p: (p.num_harts,), "timer compare, per hart (unsigned 64-bit)"),
    )


# offsets inside the CLINT block of `dev`
CL_MTIME_OFFSET = 0
CL_MSIP = 1  # + hart


@njit(cache=True)
def cl_mtimecmp(nharts):
    return 1 + nharts


@njit(cache=True)
def mtime_at(dev, cl, tick, tpm):
    return tick // tpm + dev[cl + CL_MTIME_OFFSET]


@njit(cache=True)
def clint_read(dev, cl, nharts, off, size, tick, tpm):
    """Returns (ok, value)."""
    if off < 0x4000:
        h = off >> 2
        if size != 4 or (off & 3) or h >= nharts:
            return (size == 4 or size == 8), 0
        return True, dev[cl + CL_MSIP + h] & 1
    if off == 0xBFF8 or off == 0xBFFC:
        v = mtime_at(dev, cl, tick, tpm)
    elif 0x4000 <= off < 0x4000 + 8 * nharts:
        v = dev[cl + 1 + nharts + ((off - 0x4000) >> 3)]
    else:
        return (size == 4 or size == 8), 0
    if size == 8:
        if off & 7:
            return False, 0
        return True, v
    if size == 4:
        if off & 4:
            return True, ((v >> 32) & 0xFFFFFFFF ^ 0x80000000) - 0x80000000
        return True, ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    return False, 0


@njit(cache=True)
def clint_write(dev, cl, nharts, off, size, value, tick, tpm):
    """Returns (ok, what): what = 0 nothing, 1 msip changed, 2 mtimecmp/mtime changed."""
    if size != 4 and size != 8:
        return False, 0
    if off < 0x4000:
        h = off >> 2
        if size == 4 and (off & 3) == 0 and h < nharts:
            dev[cl + CL_MSIP + h] = value & 1
            return True, 1
        return True, 0
    if off == 0xBFF8 or off == 0xBFFC:
        cur = mtime_at(dev, cl, tick, tpm)
        if size == 8:
            new = value
        elif off == 0xBFF8:
            new = (cur & ~0xFFFFFFFF) | (value & 0xFFFFFFFF)
        else:
            new = (cur & 0xFFFFFFFF) | (value << 32)
        dev[cl + CL_MTIME_OFFSET] = new - tick // tpm
        return True, 2
    if 0x4000 <= off < 0x4000 + 8 * nharts:
        i = cl + 1 + nharts + ((off - 0x4000) >> 3)
        cur = dev[i]
        if size == 8:
            dev[i] = value
        elif (off & 4) == 0:
            dev[i] = (cur & ~0xFFFFFFFF) | (value & 0xFFFFFFFF)
        else:
            dev[i] = (cur & 0xFFFFFFFF) | (value << 32)
        return True, 2
    return True, 0
