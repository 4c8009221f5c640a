"""Compiled memory timing: the simple latency/bandwidth model and the banked DRAM
(parameters and their meaning: graphsim/mem/memory.py).

All times are ticks (picoseconds). `mem_access` is called when a request
leaves the last cache level at tick `now`; it updates the channel, bank and
row-buffer state and returns the tick at which the line's data has arrived.
Posted writes (write-backs) go through the same path: they occupy the bank
and the data channel, so later reads queue behind them, but nobody waits
for their completion.
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from . import _cachedir
from . import tlayout as T

_cachedir.use()


@njit(cache=True)
def mem_access(t, line, is_write, now):
    mc = t[T.H_MC]
    mb = t[T.H_MBUSY]
    ms = t[T.H_MSTAT]
    burst = t[mc + T.MC_BURST]
    now += t[T.H_BUS_TICKS]
    if is_write:
        t[ms + T.MS_WRITES] += 1
    else:
        t[ms + T.MS_READS] += 1
    if t[mc + T.MC_MODEL] == 0:
        start = now
        if t[mb] > start:
            start = t[mb]
        t[mb] = start + burst
        done = start + t[mc + T.MC_LATENCY]
        queued = start - now
    else:
        addr = line << t[T.H_SHIFT]
        ri = addr // t[mc + T.MC_ROW]
        banks = t[mc + T.MC_BANKS]
        b = ri % banks
        row = ri // banks
        bf = mb + 1 + b
        start = now
        if t[bf] > start:
            start = t[bf]
        rw = t[T.H_MROW] + b
        if t[rw] == row + 1:
            trow = 0
            t[ms + T.MS_ROW_HITS] += 1
        elif t[rw] == 0:
            trow = t[mc + T.MC_TRCD]
            t[ms + T.MS_ROW_EMPTY] += 1
        else:
            trow = t[mc + T.MC_TRP] + t[mc + T.MC_TRCD]
            t[ms + T.MS_ROW_CONFLICTS] += 1
        cas = start + trow + t[mc + T.MC_TCAS]
        x = cas
        if t[mb] > x:
            x = t[mb]
        t[mb] = x + burst
        done = x + burst + t[mc + T.MC_STATIC]
        queued = (start - now) + (x - cas)
        if t[mc + T.MC_CLOSED]:
            t[rw] = 0
            t[bf] = cas + t[mc + T.MC_TRP]
        else:
            t[rw] = row + 1
            t[bf] = start + trow  # the row is open: column commands pipeline behind the data bus
    t[ms + T.MS_BUSY_TICKS] += burst
    if not is_write:
        t[ms + T.MS_READ_TICKS] += done - (now - t[T.H_BUS_TICKS])
        t[ms + T.MS_QUEUE_TICKS] += queued
    return done


_cachedir.done()
