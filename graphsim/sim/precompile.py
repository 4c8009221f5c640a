"""Compiling the CPU models' kernels ahead of use, and telling how long it took.

numba compiles a CPU model's kernels the first time they run and caches them on
disk (graphsim/isa/_jitcache.py: a directory keyed by the kernels' sources). A
cold compile takes tens of seconds; loading from the cache well under one. So
that a first run never sits silent and compile time is never reported as
simulation speed:

- `prepare(kind)` is called by every Machine before it builds a core of CPU
  model ``kind``: it runs a tiny built-in machine on that model once per
  process, which compiles (or loads) every kernel a run, a checkpoint, a
  restore or a trace can call; the seconds it took are the machine's
  `compile_seconds`, kept apart from the run's own host time. It runs twice,
  without and with F/D: a machine without them runs a kernel compiled
  without the FP paths (graphsim/cpu/kernel.py `run`), and an rv64gc machine
  (Linux) must not be the one left to compile.
- When the model has not been compiled for these sources yet, a progress line
  with an estimate (the last measured compile, or a default) is shown on
  stderr while it compiles.
- `graphsim precompile` (run by ``make setup``) does this for every CPU model.

The warm-up is generic: it drives the public Core/Machine interface (run,
UART input, interrupt lines, drain, save/load, trace), never a list of kernel
functions, so kernels added to a model are compiled ahead too.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from ..config.templates import WARM_UP_MACHINE

DEFAULT_ESTIMATE = 30.0  # seconds, for a model never compiled on this machine (2 cores)

_prepared: set[str] = set()  # CPU kinds whose kernels this process has compiled or loaded


WARM_UP_ISAS = ("rv64imac_zicsr_zifencei", "rv64gc")  # the kernel's two compilations (without, with F/D)

# --- the warm-up program (RV64I/M/A/Zicsr; hand-encoded so no assembler is needed) ---------------
def _r(f7, rs2, rs1, f3, rd, op):
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _i(imm, rs1, f3, rd, op):
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _s(imm, rs2, rs1, f3, op=0x23):
    return (((imm >> 5) & 0x7F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1F) << 7) | op


def _b(imm, rs2, rs1, f3):
    imm &= 0x1FFF
    return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) \
        | (((imm >> 1) & 0xF) << 8) | (((imm >> 11) & 1) << 7) | 0x63


def _u(imm20, rd, op):
    return (imm20 << 12) | (rd << 7) | op


T0, T1, T2, S0, S1, A0, A1, A2, A3, A4 = 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
PROGRAM = [
    _u(0x10000, T0, 0x37),            # lui   t0, 0x10000        UART
    _i(0x2E, 0, 0, T1, 0x13),         # li    t1, '.'
    _s(0, T1, T0, 0),                 # sb    t1, 0(t0)          transmit
    _i(5, T0, 4, T2, 0x03),           # lbu   t2, 5(t0)          line status
    _i(0, T0, 4, T2, 0x03),           # lbu   t2, 0(t0)          receive
    _u(0, S0, 0x17),                  # auipc s0, 0
    _i(0x400, S0, 0, S1, 0x13),       # addi  s1, s0, 1024       data
    _i(7, 0, 0, A0, 0x13),            # li    a0, 7
    _r(1, A0, A0, 0, A1, 0x33),       # mul   a1, a0, a0
    _r(1, A0, A1, 4, A2, 0x33),       # div   a2, a1, a0
    _s(0, A1, S1, 3),                 # sd    a1, 0(s1)
    _i(0, S1, 3, A3, 0x03),           # ld    a3, 0(s1)
    _r(0, A1, S1, 2, A4, 0x2F),       # amoadd.w a4, a1, (s1)
    _i(0xB00, 0, 2, A4, 0x73),        # csrr  a4, mcycle
    _i(64, 0, 0, A3, 0x13),           # li    a3, 64
    _i(-1, A3, 0, A3, 0x13),          # loop: addi a3, a3, -1
    _b(-4, 0, A3, 1),                 # bnez  a3, loop
    _u(0x10010, T0, 0x37),            # lui   t0, 0x10010        simctl (a device served in Python)
    _i(0, T0, 2, T2, 0x03),           # lw    t2, 0(t0)
    _i(0, 0, 0, A0, 0x13),            # li    a0, 0
    0x7B | (0x21 << 25),              # m5op exit
]


# --- compile-time records (estimates for the progress line) ---------------------------------------
def _records_path() -> Path:
    from ..isa import _jitcache

    return _jitcache.cache_dir().parent / "compile-seconds.json"


def _ready_path(kind: str) -> Path:
    from ..mem import _cachedir

    return _cachedir._DIR / f"ready-{kind}"


def _read_records() -> dict:
    try:
        return json.loads(_records_path().read_text())
    except (OSError, ValueError):
        return {}


def _write_record(kind: str, seconds: float):
    records = _read_records()
    records[kind] = round(seconds, 1)
    try:
        _records_path().write_text(json.dumps(records, indent=1) + "\n")
    except OSError:
        pass


def is_compiled(kind: str) -> bool:
    """Whether the kernels of CPU model ``kind`` are in the cache for the current sources."""
    return _ready_path(kind).exists()


def estimate(kind: str) -> float:
    return float(_read_records().get(kind, DEFAULT_ESTIMATE))


class _ProgressLine:
    """'compiling cpu.timing kernels: 12 s of about 30 s' on stderr, refreshed every second on a
    terminal (once, then a closing line, elsewhere)."""

    def __init__(self, label: str, expected: float, stream=None):
        self.stream = stream or sys.stderr
        self.label, self.expected = label, expected
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.stop = threading.Event()
        self.thread = None

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.started
        return f"[graphsim] {self.label}: {elapsed:.0f} s of about {self.expected:.0f} s"

    def __enter__(self):
        if self.tty:
            self.thread = threading.Thread(target=self._tick, daemon=True)
            self.thread.start()
        else:
            self.stream.write(f"[graphsim] {self.label} (about {self.expected:.0f} s, once per install)\n")
            self.stream.flush()
        return self

    def _tick(self):
        while not self.stop.wait(1.0):
            self.stream.write("\r" + self._line() + " ")
            self.stream.flush()

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        elapsed = time.perf_counter() - self.started
        end = "\r" if self.tty else ""
        self.stream.write(f"{end}[graphsim] {self.label}: done in {elapsed:.1f} s          \n")
        self.stream.flush()


def warm_up(kind: str):
    """Run the warm-up program on tiny machines of CPU model ``kind``, without and with F/D,
    through every kernel entry a run, checkpoint, restore or trace uses."""
    _prepared.add(kind)  # the warm-up's own machines must not warm up again
    for isa in WARM_UP_ISAS:
        _warm_up_machine(kind, isa)


def _warm_up_machine(kind: str, isa: str):
    from ..config.loader import load_machine_text
    from ..graph.elaborate import elaborate
    from ..isa import state as S
    from .machine import Machine, RunLimits

    graph = elaborate(load_machine_text(WARM_UP_MACHINE.format(kind=kind, isa=isa), name="<precompile>"))
    machine = Machine(graph)
    try:
        for i, word in enumerate(PROGRAM):
            machine.ram[4 * i:4 * i + 4] = memoryview(word.to_bytes(4, "little"))
        machine.console.feed(b"x")
        machine.core.plic_set_line(1, True)
        machine.core.plic_set_line(1, False)
        machine.core.harts[0, S.PC] = machine.ram_base
        machine.run(RunLimits(max_insts=5_000))
        if kind == "cpu.atomic":  # a basic-block profile (graphsim simpoint) has a compilation of its own
            from ..simpoint.bbv import BlockCounter

            counter = BlockCounter(machine.core, entries=4096)  # (the default table is 24 MiB, zeroed)
            machine.run(RunLimits(max_insts=1_000))
            counter.stop()
        machine.drain()
        state = machine.save_state()
        machine.load_state(state)
        machine.core.run_trace(1)
        machine.stats("precompile")
    finally:
        machine.console.close()
        machine.close()


def prepare(kind: str, stream=None) -> float:
    """Compile or load the kernels of CPU model ``kind`` (once per process); returns the seconds
    it took (0 when already done). A cold compile shows a progress line."""
    if kind in _prepared:
        return 0.0
    started = time.perf_counter()
    if is_compiled(kind):
        warm_up(kind)
        return time.perf_counter() - started
    with _ProgressLine(f"compiling {kind} kernels (first use after installing or changing graphsim)",
                       estimate(kind), stream):
        warm_up(kind)
    seconds = time.perf_counter() - started
    _write_record(kind, seconds)
    try:
        _ready_path(kind).touch()
    except OSError:
        pass
    return seconds


def precompile_all(kinds: list[str] | None = None, stream=None) -> dict[str, float]:
    """`graphsim precompile`: every CPU model's kernels, one after the other, with progress."""
    from ..config.schema import component_kinds

    stream = stream or sys.stderr
    kinds = kinds or sorted(k for k in component_kinds() if k.startswith("cpu."))
    total = sum(0.0 if is_compiled(k) else estimate(k) for k in kinds)
    if total:
        stream.write(f"[graphsim] compiling the CPU models' kernels ahead: {', '.join(kinds)} "
                     f"(about {total:.0f} s in all)\n")
    seconds = {}
    for kind in kinds:
        seconds[kind] = prepare(kind, stream)
    return seconds


def cache_location() -> str:
    from ..isa import _jitcache

    return str(_jitcache.cache_dir())
