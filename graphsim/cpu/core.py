"""Core: the Python face of the compiled atomic CPU (kernel.py).

    cfg = CoreConfig(nharts=1, isa="rv64imac_zicsr_zifencei", ram_base=0x8000_0000, ...)
    core = Core(cfg, ram)                      # ram: np.uint8 array (the machine's RAM)
    ex = core.run(max_insts, until_tick=-1)    # -> Exit(reason, hart, paddr, size, is_write, value, func, pc)
    if ex.reason == "mmio":                    # a Python device must serve the access
        if ex.is_write: dev.write(...); core.complete_mmio()
        else:           core.complete_mmio(dev.read(...))
    elif ex.reason == "m5op": core.complete_m5op(result)    # writes a0, advances pc
    elif ex.reason == "uart_tx_full": out(core.uart_drain())
    core.uart_drain() -> bytes; core.uart_push_rx(b"..."); core.plic_set_line(irq, level)
    core.tick, core.total_instret(), core.total_icount(), core.mtime(), core.used(h)
    core.run_trace(n) -> (Exit, records)        # per-instruction records (layout.TR_*)
    core.mmio_reply_pending(); core.drain(); core.stats(); core.reset_stats()

State ownership: the Core owns three arrays — `harts` (architectural hart
rows, isa/state.py), `dev` (CLINT/PLIC/UART state packed in their declared
field order) and `work` (configuration and derived caches, never saved).
`hart_views(h)` and `device_views(kind)` return writable views per declared
StateField; a checkpoint restore must write into those views in place
(``view[...] = saved``) and then call `after_restore()`, which rebuilds
every derived structure (TLBs, decode cache, interrupt lines).

Exit/resume contract (exact at instruction boundaries): on "mmio" the
instruction has not executed and nothing changed; the machine serves the
access and calls `complete_mmio(value)` (value ignored for writes), and the
next `run` re-executes that same instruction first (before any interrupt
check), consuming the one-shot reply. An "m5op" exit leaves pc at the m5op;
`complete_m5op(result)` retires it in Python (a0 = result, pc += 4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..config.units import TICKS_PER_SECOND
from ..devices import clint as CL
from ..devices import plic as PL
from ..devices import uart16550 as UA
from ..isa import decoder_gen as D
from ..isa import state as S
from ..isa.encoding import parse_isa
from ..isa.mmu import TLB_WORDS_PER_HART
from ..isa.paging import supported_mask
from . import layout as L
from .jit import engine as blockjit
from .kernel import DC_ENTRIES as DCACHE_ENTRIES

# gem5's m5op function numbers (include/gem5/asm/generic/m5ops.h)
GEM5_M5OPS = (
    0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x09, 0x21, 0x22, 0x23, 0x30, 0x31, 0x40, 0x41, 0x42, 0x43,
    0x4F, 0x50, 0x51, 0x53, 0x54, 0x55, 0x56, 0x5A, 0x5B, 0x62, 0x63,
)

TXCAP = 4096
RXQCAP = 4096
TRACECAP = 4096
MAX_MMIO_RANGES = 64


@dataclass
class CoreConfig:
    """What the kernel needs to know about the machine (all plain numbers)."""

    nharts: int = 1
    isa: str | list = "rv64imac_zicsr_zifencei"  # one string, or one per hart
    frequency: int | list = 1_000_000_000  # Hz, one or one per hart
    reset_vector: int | list = 0x8000_0000
    hartids: list | None = None
    ram_base: int = 0x8000_0000
    ram_size: int = 128 << 20
    timebase_frequency: int = 10_000_000
    clint: tuple | None = (0x200_0000, 0x1_0000)  # (base, size)
    plic: tuple | None = (0xC00_0000, 0x400_0000, 96)  # (base, size, num_sources)
    uart: tuple | None = (0x1000_0000, 0x100, 10)  # (base, size, irq)
    mmio_ranges: list = field(default_factory=list)  # [(base, size)] served by Python devices
    quantum: int = 10_000  # instructions per hart per scheduling quantum (at hart 0's frequency)
    m5ops: tuple = GEM5_M5OPS  # m5op function numbers that decode (others are illegal)
    jit: bool | None = None  # compile hot blocks of the lean loop (graphsim/cpu/jit); None: $GRAPHSIM_JIT, default on

    def per_hart(self, value):
        if isinstance(value, (list, tuple)):
            if len(value) != self.nharts:
                raise ValueError(f"expected {self.nharts} per-hart values, got {len(value)}")
            return list(value)
        return [value] * self.nharts


@dataclass
class Exit:
    reason: str
    hart: int = 0
    paddr: int = 0
    size: int = 0
    is_write: bool = False
    value: int = 0
    func: int = 0
    pc: int = 0


def _signed64(v: int) -> int:
    v = int(v) & ((1 << 64) - 1)
    return v - (1 << 64) if v >= 1 << 63 else v


class _P(dict):
    __getattr__ = dict.__getitem__


def _decoder_flags(isa) -> int:
    f = D.FLAG_RV64 if isa.xlen == 64 else 0
    for ext, flag in (("m", D.FLAG_M), ("a", D.FLAG_A), ("c", D.FLAG_C), ("zifencei", D.FLAG_ZIFENCEI),
                      ("f", D.FLAG_F), ("d", D.FLAG_D)):
        if ext in isa.exts:
            f |= flag
    if "zihintpause" in isa.exts:
        f |= L.HF_ZIHINTPAUSE
    if "sstc" in isa.exts:
        f |= L.HF_SSTC
    return f


class Core:
    """The atomic CPU over all harts plus the in-kernel CLINT, PLIC and UART."""

    records_trace = False  # whether every run records the trace (the timing models consume it)

    def __init__(self, config: CoreConfig, ram: np.ndarray, harts: np.ndarray | None = None, graph=None):
        """``graph`` (the machine graph) is accepted for CPU models that need it (timing); unused here."""
        from . import kernel

        self._kernel = kernel
        self.config = c = config
        if ram.dtype != np.uint8 or ram.ndim != 1 or not ram.flags.c_contiguous:
            raise ValueError("ram must be a contiguous 1-D uint8 array")
        if c.ram_size != ram.size or c.ram_size % 4096 or c.ram_base % 4096:
            raise ValueError("ram_size must equal len(ram) and ram base/size must be 4 KiB aligned")
        if os.environ.get("NUMBA_DISABLE_JIT") == "1":
            np.seterr(over="ignore")
        self.ram = ram
        nh = c.nharts
        self.isas = [parse_isa(s) for s in c.per_hart(c.isa)]
        self._fp = 1 if any(isa.has_fp for isa in self.isas) else None  # kernel.run: compile the FP paths?
        self.freqs = c.per_hart(c.frequency)
        self.reset_vectors = c.per_hart(c.reset_vector)
        self.hartids = list(c.hartids) if c.hartids is not None else list(range(nh))
        if harts is None:
            harts = np.zeros((nh, S.HART_WORDS), np.int64)
        if harts.shape != (nh, S.HART_WORDS) or harts.dtype != np.int64:
            raise ValueError(f"harts must be int64 of shape ({nh}, {S.HART_WORDS})")
        self.harts = harts
        # --- dev: CLINT | PLIC | UART, each in declared field order ---
        self._dev_layout = {}
        off = 0
        self.clint_params = _P(num_harts=nh, base=c.clint[0], size=c.clint[1]) if c.clint else None
        self.plic_params = _P(num_harts=nh, num_sources=c.plic[2]) if c.plic else None
        self.uart_params = _P(irq=c.uart[2]) if c.uart else None
        for kind, cls, params in (("clint", CL.CLINT, self.clint_params), ("plic", PL.PLIC, self.plic_params),
                                  ("uart16550", UA.UART16550, self.uart_params)):
            if params is None:
                continue
            fields = {}
            start = off
            for f in cls.state:
                shape = f.resolve_shape(params)
                fields[f.name] = (off, shape)
                off += int(np.prod(shape)) if shape else 1
            self._dev_layout[kind] = (start, fields)
        self.dev = np.zeros(max(off, 1), np.int64)
        # --- work ---
        self.work = self._build_work()
        self.exit_counts = {name: 0 for name in L.EXIT_NAMES}
        self.reset()

    # ------------------------------------------------------------------ layout
    def _build_work(self) -> np.ndarray:
        c = self.config
        nh = c.nharts
        sizes = [
            ("cfg", L.CFG_WORDS), ("hart", nh * L.HC_WORDS), ("exit", L.EX_WORDS), ("slot", L.SL_WORDS),
            ("mmio", 2 * MAX_MMIO_RANGES), ("tx", TXCAP), ("rxq", RXQCAP), ("tlb", nh * TLB_WORDS_PER_HART),
            ("dc", 2 * DCACHE_ENTRIES), ("trace", TRACECAP * L.TR_WORDS),
            ("debug", L.DB_WORDS + nh + L.DBG_MAX_BP + L.DBG_MAX_WP * L.DBW_WORDS),
        ]
        jit = blockjit.enabled_by_default() if c.jit is None else c.jit
        if os.environ.get("NUMBA_DISABLE_JIT") == "1":
            jit = False  # (the kernel as plain Python cannot call native code)
        if jit:
            sizes.append(("jit", blockjit.area_words()))
        offs = {}
        o = 0
        for name, n in sizes:
            offs[name] = o
            o += n
        w = np.zeros(o, np.int64)
        w[L.C_NHARTS] = nh
        w[L.C_RAM_BASE] = c.ram_base
        w[L.C_RAM_SIZE] = c.ram_size
        w[L.C_TPM] = TICKS_PER_SECOND // c.timebase_frequency
        tpc0 = TICKS_PER_SECOND // self.freqs[0]
        w[L.C_QUANTUM] = max(1, c.quantum) * tpc0
        for kind, (cb, cs, cd) in (("clint", (L.C_CLINT_BASE, L.C_CLINT_SIZE, L.C_CLINT_DEV)),
                                   ("plic", (L.C_PLIC_BASE, L.C_PLIC_SIZE, L.C_PLIC_DEV)),
                                   ("uart16550", (L.C_UART_BASE, L.C_UART_SIZE, L.C_UART_DEV))):
            spec = {"clint": c.clint, "plic": c.plic, "uart16550": c.uart}[kind]
            if spec is None:
                w[cd] = -1
                continue
            w[cb], w[cs] = spec[0], spec[1]
            w[cd] = self._dev_layout[kind][0]
        if c.plic:
            w[L.C_PLIC_NSRC] = c.plic[2]
            w[L.C_PLIC_NCTX] = 2 * nh
        if c.uart:
            w[L.C_UART_IRQ] = c.uart[2]
        for f in c.m5ops:
            if f < 64:
                w[L.C_M5_KNOWN0] |= np.int64(1 << f) if f < 63 else np.int64(-(1 << 63))
            else:
                g = f - 64
                w[L.C_M5_KNOWN1] |= np.int64(1 << g) if g < 63 else np.int64(-(1 << 63))
        w[L.C_EXIT] = offs["exit"]
        w[L.C_SLOT] = offs["slot"]
        w[L.C_TX] = offs["tx"]
        w[L.C_TXCAP] = TXCAP
        w[L.C_RXQ] = offs["rxq"]
        w[L.C_RXQCAP] = RXQCAP
        w[L.C_TLB] = offs["tlb"]
        w[L.C_DC] = offs["dc"]
        w[L.C_DCMASK] = DCACHE_ENTRIES - 1
        w[L.C_TRACE] = offs["trace"]
        w[L.C_TRACECAP] = TRACECAP
        w[L.C_HART] = offs["hart"]
        db = offs["debug"]
        w[db + L.DB_SKIP] = db + L.DB_WORDS
        w[db + L.DB_BP] = db + L.DB_WORDS + nh
        w[db + L.DB_WP] = db + L.DB_WORDS + nh + L.DBG_MAX_BP
        w[db + L.DB_STEP_HART] = -1
        w[db + L.DB_WORDS:db + L.DB_WORDS + nh] = -1
        if len(c.mmio_ranges) > MAX_MMIO_RANGES:
            raise ValueError(f"at most {MAX_MMIO_RANGES} Python MMIO ranges")
        w[L.C_NMMIO] = len(c.mmio_ranges)
        w[L.C_MMIO] = offs["mmio"]
        for i, (b, s) in enumerate(c.mmio_ranges):
            w[offs["mmio"] + 2 * i] = b
            w[offs["mmio"] + 2 * i + 1] = s
        for h, isa in enumerate(self.isas):
            hc = offs["hart"] + h * L.HC_WORDS
            w[hc + L.HC_FLAGS] = _decoder_flags(isa)
            w[hc + L.HC_TPC] = TICKS_PER_SECOND // self.freqs[h]
            w[hc + L.HC_SATP_MODES] = supported_mask(isa.xlen)  # satp.MODE values (isa/paging.py)
            w[hc + L.HC_XL32] = 1 if isa.xlen == 32 else 0
        self._offs = offs
        self._jit = None
        if jit:
            blockjit.init_area(w, offs["jit"], blockjit.threshold())
            self._jit = blockjit.BlockJit(self, offs["jit"])
        self._clear_caches(w)
        return w

    def _clear_caches(self, w=None):
        w = self.work if w is None else w
        o = self._offs
        w[o["tlb"] : o["tlb"] + self.config.nharts * TLB_WORDS_PER_HART] = -1
        w[o["dc"] : o["dc"] + 2 * DCACHE_ENTRIES] = -1
        w[o["slot"] : o["slot"] + L.SL_WORDS] = 0

    # ------------------------------------------------------------------ state
    def reset(self):
        """Architectural reset of every hart and in-kernel device (time restarts at tick 0)."""
        self.harts[:] = 0
        for h, isa in enumerate(self.isas):
            r = self.harts[h]
            r[S.PC] = self.reset_vectors[h]
            r[S.PRIV] = S.PRV_M
            r[S.MISA] = isa.misa if isa.xlen == 32 else np.int64(isa.misa - (1 << 64) if isa.misa >= 1 << 63 else isa.misa)
            r[S.MHARTID] = self.hartids[h]
            r[S.X + 10] = self.hartids[h]
        self.dev[:] = 0
        if "clint" in self._dev_layout:
            v = self.device_views("clint")
            v["mtimecmp"][:] = 0  # as QEMU 7.2: mip.MTIP is set from reset until mtimecmp is programmed
        if "uart16550" in self._dev_layout:
            v = self.device_views("uart16550")
            for name, val in UA.reset_values().items():
                v[name][...] = val
        self.work[L.C_TXCOUNT] = 0
        self.work[L.C_RXQHEAD] = 0
        self.work[L.C_RXQCOUNT] = 0
        self.after_restore()

    def after_restore(self):
        """Rebuild everything derived from the architectural arrays (after loading a checkpoint)."""
        self._legalise_fp()
        self._clear_caches()
        self._kernel_sync()

    def _legalise_fp(self):
        """A hart configured without F has no FP state. A checkpoint from an FP-capable machine whose
        guest never used FP may be restored onto it: its misa loses F/D and mstatus.FS reads Off, as
        on this machine. (A hart keeps the misa it was checkpointed with otherwise: FP stays off on an
        FP-capable target when the checkpoint's misa had no F.)"""
        from ..isa.csr import MISA_F, MSTATUS_FS

        for h, isa in enumerate(self.isas):
            if not isa.has_fp:
                self.harts[h, S.MISA] &= ~(MISA_F | (1 << 3))
                self.harts[h, S.MSTATUS] &= ~MSTATUS_FS

    def _kernel_sync(self):
        k = self._kernel
        for h in range(self.config.nharts):
            k.refresh_clint_bits(self.harts, self.dev, self.work, h)
        pl = self.work[L.C_PLIC_DEV]
        if pl >= 0:
            k.PL.plic_update(self.dev, pl, self.work[L.C_PLIC_NSRC], self.work[L.C_PLIC_NCTX], self.harts)
        k.uart_sync_irq(self.harts, self.dev, self.work)

    def hart_views(self, h: int) -> dict:
        return S.field_views(self.harts[h])

    def device_views(self, kind: str) -> dict:
        """Writable views of the in-kernel device state ("clint", "plic", "uart16550"), per declared field."""
        _start, fields = self._dev_layout[kind]
        out = {}
        for name, (off, shape) in fields.items():
            n = int(np.prod(shape)) if shape else 1
            out[name] = self.dev[off : off + n].reshape(shape)
        return out

    # ------------------------------------------------------------------ running
    def run(self, max_insts: int, until_tick: int = -1) -> Exit:
        """Run up to max_insts instructions (all harts together) or until until_tick (-1: none)."""
        if self.work[L.C_RXQCOUNT]:
            self._kernel.uart_pull_host(self.harts, self.dev, self.work)
        w = self.work
        # kernel.run: None compiles the lean loop; an integer the recording loop; a float the recording loop
        # that also calls compiled blocks, for a basic-block profile alone (kernel.calls_blocks_while_recording)
        if w[L.C_TRACE_ON] or w[L.C_DEBUG]:
            rec = 1
        else:
            rec = 1.0 if w[L.C_BBV] else None
        # The recording loop is compiled only with the FP paths (one compilation less, ~5 s cold): on
        # harts without F it runs exactly as without them, since their decode flags lack F/D (every
        # FP encoding is illegal) and misa.F and mstatus.FS stay 0 (_legalise_fp, csr_write).
        fp = self._fp if rec is None else 1
        steps = int(w[L.C_STATS_STEPS])
        while True:
            reason = int(self._kernel.run(self.harts, self.ram, self.dev, w, int(max_insts), int(until_tick), fp, rec))
            if reason != L.EXIT_JIT:
                break
            # hot blocks were queued at the end of a slice: compile them and run on (the split is invisible:
            # the kernel's scheduling does not depend on how a run is divided into calls)
            self._jit.service()
            now = int(w[L.C_STATS_STEPS])
            max_insts -= now - steps
            steps = now
        self.exit_counts[L.EXIT_NAMES[reason]] += 1
        return self._exit(reason)

    def jit_stats(self) -> dict | None:
        """The block compiler's statistics for this core (None while it is off: graphsim/cpu/jit)."""
        return None if self._jit is None else self._jit.stats()

    def mmio_reply_pending(self) -> bool:
        """True between complete_mmio() and the run that retires the instruction (a drain runs 1 instruction)."""
        return bool(self.work[self.work[L.C_SLOT] + L.SL_VALID])

    def drain(self):
        """Nothing to write back: the atomic CPU has no caches (timing models override this)."""

    def stats(self):
        """(name, value, description, unit) rows for the statistics dump."""
        rows = [(f"system.core.exits.{name}", n, f"Kernel exits: {name}", "count")
                for name, n in self.exit_counts.items()]
        rows.append(("system.core.kernelInsts", int(self.work[L.C_STATS_STEPS]),
                     "Instructions executed in the compiled kernel", "count"))
        return rows

    def reset_stats(self):
        self.exit_counts = {name: 0 for name in L.EXIT_NAMES}
        self.work[L.C_STATS_STEPS] = 0

    def _exit(self, reason: int) -> Exit:
        e = self.work[self.work[L.C_EXIT] :]
        if reason in (L.EXIT_MMIO, L.EXIT_UART_TX_FULL, L.EXIT_M5OP, L.EXIT_IDLE, L.EXIT_TRACE_FULL, L.EXIT_DEBUG):
            return Exit(L.EXIT_NAMES[reason], int(e[L.EX_HART]), int(e[L.EX_PADDR]), int(e[L.EX_SIZE]),
                        bool(e[L.EX_IS_WRITE]), int(e[L.EX_VALUE]), int(e[L.EX_FUNC]), int(e[L.EX_PC]))
        return Exit(L.EXIT_NAMES[reason])

    def complete_mmio(self, value: int = 0):
        """Supply the reply to the last "mmio" exit (the read value; ignored for writes)."""
        e = self.work[self.work[L.C_EXIT] :]
        s = self.work[L.C_SLOT]
        self.work[s + L.SL_HART] = e[L.EX_HART]
        self.work[s + L.SL_PADDR] = e[L.EX_PADDR]
        self.work[s + L.SL_SIZE] = e[L.EX_SIZE]
        self.work[s + L.SL_IS_WRITE] = e[L.EX_IS_WRITE]
        v = int(value) & ((1 << 64) - 1)
        self.work[s + L.SL_VALUE] = v - (1 << 64) if v >= 1 << 63 else v
        self.work[s + L.SL_VALID] = 1

    complete_mmio_read = complete_mmio

    def complete_m5op(self, result: int | None = None):
        """Retire the m5op of the last "m5op" exit: a0 = result (unless None), pc += 4."""
        e = self.work[self.work[L.C_EXIT] :]
        h = int(e[L.EX_HART])
        r = self.harts[h]
        if result is not None:
            v = int(result) & ((1 << 64) - 1)
            if self.isas[h].xlen == 32:
                v &= 0xFFFFFFFF
                v = v - (1 << 32) if v >= 1 << 31 else v
            elif v >= 1 << 63:
                v -= 1 << 64
            r[S.X + 10] = v
        r[S.PC] = (int(r[S.PC]) + 4) & (0xFFFFFFFF if self.isas[h].xlen == 32 else (1 << 64) - 1)
        if r[S.PC] >= 1 << 63:
            r[S.PC] -= 1 << 64
        r[S.ICOUNT] += 1
        if not (r[S.MCOUNTINHIBIT] & 1):
            r[S.MCYCLE] += 1
        if not (r[S.MCOUNTINHIBIT] & 4):
            r[S.MINSTRET] += 1
        r[S.TICK] += self.work[self.work[L.C_HART] + h * L.HC_WORDS + L.HC_TPC]

    def set_debug(self, breakpoints=(), watchpoints=(), step_hart: int = -1, step_icount: int = 0,
                  skip: dict | None = None):
        """Arm the kernel's debug stops (graphsim/debug; docs/gdb.md): breakpoint pcs, watchpoints
        (physical address, length, kind: 1 read, 2 write, 3 both), a hart to stop before it executes
        with icount >= step_icount, and per hart an icount at which breakpoints are not checked.
        Armed, the kernel runs one instruction per slice; with nothing armed it runs exactly as
        without a debugger."""
        if len(breakpoints) > L.DBG_MAX_BP or len(watchpoints) > L.DBG_MAX_WP:
            raise ValueError(f"at most {L.DBG_MAX_BP} breakpoints and {L.DBG_MAX_WP} watchpoints")
        w = self.work
        db = self._offs["debug"]
        w[db + L.DB_NBP] = len(breakpoints)
        for i, pc in enumerate(breakpoints):
            w[w[db + L.DB_BP] + i] = _signed64(pc)
        w[db + L.DB_NWP] = len(watchpoints)
        for i, (addr, length, kind) in enumerate(watchpoints):
            e = w[db + L.DB_WP] + i * L.DBW_WORDS
            w[e + L.DBW_ADDR], w[e + L.DBW_LEN], w[e + L.DBW_KIND] = _signed64(addr), length, kind
        w[db + L.DB_STEP_HART] = step_hart
        w[db + L.DB_STEP_ICOUNT] = step_icount
        # watchpoints read the data address of the kernel's per-instruction trace record
        if not self.records_trace:
            w[L.C_TRACE_ON] = 1 if watchpoints else 0
            w[db + L.DB_OWN_TRACE] = 1 if watchpoints else 0
        skips = w[db + L.DB_SKIP]
        w[skips:skips + self.config.nharts] = -1
        for h, icount in (skip or {}).items():
            w[skips + h] = icount
        armed = bool(breakpoints) or bool(watchpoints) or step_hart >= 0
        w[L.C_DEBUG] = db if armed else 0

    def exit_pc(self) -> int:
        return int(self.work[self.work[L.C_EXIT] + L.EX_PC])

    # ------------------------------------------------------------------ devices
    def uart_drain(self) -> bytes:
        n = int(self.work[L.C_TXCOUNT])
        t = self._offs["tx"]
        out = bytes(self.work[t : t + n].astype(np.uint8))
        self.work[L.C_TXCOUNT] = 0
        return out

    def uart_push_rx(self, data: bytes) -> int:
        """Queue host input for the UART; returns how many bytes were accepted."""
        w = self.work
        cap = RXQCAP
        q = self._offs["rxq"]
        n = 0
        for b in data:
            if w[L.C_RXQCOUNT] >= cap:
                break
            w[q + (w[L.C_RXQHEAD] + w[L.C_RXQCOUNT]) % cap] = b
            w[L.C_RXQCOUNT] += 1
            n += 1
        self._kernel.uart_pull_host(self.harts, self.dev, self.work)
        return n

    def plic_set_line(self, irq: int, level: bool):
        pl = self.work[L.C_PLIC_DEV]
        if pl < 0:
            raise RuntimeError("this machine has no PLIC")
        self._kernel.PL.plic_set_level(self.dev, pl, self.work[L.C_PLIC_NSRC], self.work[L.C_PLIC_NCTX],
                                       self.harts, int(irq), 1 if level else 0)  # int64, as the kernel calls it

    # ------------------------------------------------------------------ time & counters
    @property
    def tick(self) -> int:
        """Simulated time: the furthest any hart has got (harts differ by at most a quantum)."""
        return int(self.harts[:, S.TICK].max())

    @tick.setter
    def tick(self, value: int):
        self.harts[:, S.TICK] = int(value)

    def mtime(self) -> int:
        cl = self.work[L.C_CLINT_DEV]
        if cl < 0:
            return 0
        return int(self.tick // self.work[L.C_TPM] + self.dev[cl + CL.CL_MTIME_OFFSET])

    def total_icount(self) -> int:
        """Instructions executed by all harts (the unit of run budgets)."""
        return int(self.harts[:, S.ICOUNT].sum())

    def total_instret(self) -> int:
        """Instructions executed by all harts; same as total_icount (an instruction that traps counts)."""
        return self.total_icount()

    def used(self, h: int = 0) -> dict:
        return S.describe_used(int(self.harts[h, S.USED]), self.isas[h].xlen)

    # ------------------------------------------------------------------ tracing
    def run_trace(self, max_insts: int, until_tick: int = -1):
        """Like run, recording each instruction; returns (Exit, records) where records is an
        int64 array of rows (hart, pc, insn, rd, value, priv, mem_paddr, mem_info, fetch_paddr) — see layout.TR_*."""
        w = self.work
        w[L.C_TRACECOUNT] = 0
        w[L.C_TRACE_ON] = 1
        own = self._offs["debug"] + L.DB_OWN_TRACE
        debugger_trace = w[own]
        w[own] = 0  # every record is for the caller, also while watchpoints are armed
        try:
            rows = []
            left = int(max_insts)
            while True:
                ex = self.run(left, until_tick)
                n = int(w[L.C_TRACECOUNT])
                t = self._offs["trace"]
                rows.append(w[t : t + n * L.TR_WORDS].reshape(n, L.TR_WORDS).copy())
                left -= n
                w[L.C_TRACECOUNT] = 0
                if ex.reason != "trace_full" or left <= 0:
                    if ex.reason == "trace_full":
                        ex = Exit("budget")
                    break
        finally:
            w[L.C_TRACE_ON] = debugger_trace
            w[own] = debugger_trace
        return ex, np.concatenate(rows) if rows else np.zeros((0, L.TR_WORDS), np.int64)
