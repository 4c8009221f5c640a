"""The atomic CPU with warming caches and predictors (gem5's atomic CPU with caches): the
atomic CPU's timing — one instruction per cycle, guest time exactly as on cpu.atomic —
while every fetch and data access also goes through the machine's cache tag models, and
every branch and jump trains a branch predictor, so the caches' tags, replacement and
prefetcher state and the predictor's tables warm up, and the caches' hit/miss statistics
count. Nothing of the caches' latency reaches the guest.

It is the fast-forward model of a sweep's warm-up (`[run] warmup_insts`) and of SimPoint's
samples: a switch to a timing model afterwards, or a checkpoint taken on it, carries the
warm state (restored wherever the geometry matches). Its parameters are cpu.pipelined's:
the predictor's (`predictor`, `bp_entries`, `btb_entries`, `ras_entries`) size the
predictor it warms, which cpu.pipelined then starts from; the latencies do not change its
timing and are kept so that a switch back to cpu.pipelined keeps them.

It runs the kernel's record mode and the timing CPU's batch model (as
graphsim/cpu/timing.py), then drops each batch's stall cycles before they
would be fed back into the harts' time, and trains the predictor on each control
instruction once the hart's next record tells where it went (as cpu.pipelined does).
"""

from __future__ import annotations

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from ..isa.state import PC
from ..mem import _cachedir
from ..mem import cachemodel as CM
from ..mem import tlayout as T
from . import layout as L
from .pipelined import PipelinedCore, PipelinedCPU, cached_decode, predict_and_train
from .timing import timing_batch

_cachedir.use()


@njit(cache=True, inline='always')
def train(t, h, npc):
    """Train hart h's predictor on its pending control instruction, whose successor is npc."""
    hs = t[T.H_HS] + h * T.HS_W
    t[hs + T.HS_P_VALID] = 0
    d = t[hs + T.HS_P_DEC]
    ob = t[t[T.H_OPS] + (d & 0xFF)]
    ilen = 2 if (d >> 23) & 1 else 4
    predict_and_train(t, h, t[hs + T.HS_P_PC], ilen, ob, (d >> 8) & 31, (d >> 13) & 31, d >> 32, npc)


@njit(cache=True, inline='always')
def may_be_control(insn):
    """From the encoding alone: a branch, jal or jalr, or a compressed instruction that may be one
    (c.j, c.jal, c.beqz, c.bnez; c.jr and c.jalr share their funct3 with c.mv, c.add, c.ebreak)."""
    q = insn & 3
    if q == 3:
        op = insn & 0x7F
        return op == 0x63 or op == 0x6F or op == 0x67
    f3 = (insn >> 13) & 7
    if q == 1:
        return f3 == 1 or f3 >= 5
    return q == 2 and f3 == 4


@njit(cache=True)
def warm_predictors(t0, work, n):
    """Train the predictors on n records: a control instruction waits for its hart's next record."""
    t = CM.raw_view(t0)
    trb = work[L.C_TRACE]
    dec = t[T.H_DEC]
    control = T.OPB_COND | T.OPB_JAL | T.OPB_JALR
    for i in range(n):
        r = trb + i * L.TC_WORDS
        info = work[r + L.TC_INFO]
        h = info >> 56
        pc = work[r + L.TC_PC]
        insn = info & 0xFFFFFFFF
        hs = t[T.H_HS] + h * T.HS_W
        if t[hs + T.HS_P_VALID]:
            train(t, h, pc)
        if not may_be_control(insn):
            continue
        flags = t[t[T.H_HC] + h * T.HC_W + T.HC_DFLAGS]
        d = cached_decode(t, dec, insn, flags)
        if t[t[T.H_OPS] + (d & 0xFF)] & control:
            t[hs + T.HS_P_VALID] = 1
            t[hs + T.HS_P_PC] = pc
            t[hs + T.HS_P_DEC] = d


@njit(cache=True)
def settle_prediction(t, harts, h):
    hs = t[T.H_HS] + h * T.HS_W
    if t[hs + T.HS_P_VALID]:
        train(t, h, harts[h, PC])


_cachedir.done()


class AtomicWarmCore(PipelinedCore):
    def _consume(self, count: int):
        t = self.t
        timing_batch(t, self.work, count)
        warm_predictors(t, self.work, count)
        for h in range(self.config.nharts):  # one cycle per instruction: no stall reaches the guest
            hs = t[T.H_HS] + h * T.HS_W
            t[hs + T.HS_CYC] = t[hs + T.HS_N]

    def _settle(self, hart: int):
        settle_prediction(self.t, self.harts, hart)

    def _cpu_stats(self, prefix, row, insts) -> list[tuple]:
        return []


class AtomicWarmCPU(PipelinedCPU):
    kind = "cpu.atomic_warm"
    doc = ("Atomic CPU with warming caches and branch predictor (gem5's atomic with caches): the atomic CPU's "
           "timing, one instruction per cycle, while every access also updates the caches' tags, replacement "
           "and prefetcher state and their hit/miss statistics, and every branch trains the predictor "
           "cpu.pipelined would use. For fast-forwarding to warm state before a detailed model measures. "
           "It takes cpu.pipelined's parameters: the predictor's size the predictor it warms; the latencies "
           "do not change its timing (they are kept for a switch to cpu.pipelined).")

    @staticmethod
    def core_class():
        return AtomicWarmCore
