"""The atomic CPU with warming caches (gem5's atomic CPU with caches): the atomic
CPU's timing — one instruction per cycle, guest time exactly as on cpu.atomic —
while every fetch and data access also goes through the machine's cache tag
models, so the caches' tags, replacement and prefetcher state warm up and their
hit/miss statistics count. Nothing of the caches' latency reaches the guest.

It is the fast-forward model of a sweep's warm-up (`[run] warmup_insts`): a
switch to a timing model afterwards, or a checkpoint taken on it, carries the
warm state (restored wherever the geometry matches). Branch predictors are not
warmed: their state belongs to the pipelined CPU's own hart state.

It runs the kernel's record mode and the timing CPU's batch model (as
graphsim/cpu/timing.py), then drops each batch's stall cycles before they
would be fed back into the harts' time.
"""

from __future__ import annotations

from ..mem import tlayout as T
from .timing import TimedCore, TimingCPU, timing_batch


class AtomicWarmCore(TimedCore):
    def _consume(self, count: int):
        t = self.t
        timing_batch(t, self.work, count)
        for h in range(self.config.nharts):  # one cycle per instruction: no stall reaches the guest
            hs = t[T.H_HS] + h * T.HS_W
            t[hs + T.HS_CYC] = t[hs + T.HS_N]

    def _cpu_stats(self, prefix, row, insts) -> list[tuple]:
        return []


class AtomicWarmCPU(TimingCPU):
    kind = "cpu.atomic_warm"
    doc = ("Atomic CPU with warming caches (gem5's atomic with caches): the atomic CPU's timing, one instruction "
           "per cycle, while every access also updates the caches' tags, replacement and prefetcher state and "
           "their hit/miss statistics. For fast-forwarding to warm state before a detailed model measures.")

    @staticmethod
    def core_class():
        return AtomicWarmCore
