"""Compiling the kernel's queue of hot blocks (Core.run calls `BlockJit.service`
whenever the kernel returns EXIT_JIT).

All blocks of one service call go into one LLVM module (one MCJIT finalisation
per batch). Compiled code is kept for the life of the process, shared by every
Core: a block is identified by everything its code depends on (virtual pc, RAM
offset and bytes, decoder flags, the machine's RAM window), so two machines
running the same guest share it.
"""

from __future__ import annotations

import os
import time

import llvmlite.binding as llvm
from numba.core.compiler_lock import global_compiler_lock

from ...errors import GraphsimError
from .. import layout as L
from .block import find_block
from .codegen import KEY_FLAGS, KEY_RAM, block_ir

TABLE_ENTRIES = 1 << 14
QUEUE_CAP = 64
# Executions of a block start before the block is compiled. LLVM takes ~3-5 ms of CPU per block (O2),
# and a compiled block saves ~3-5 ns per instruction: only blocks that run a million instructions or so
# pay back. At 20,000 the Linux boot compiled 65 blocks and took 1.5x as long; at 200,000 it compiles
# one and the long benchmarks lose < 10% (docs/jit.md). GRAPHSIM_JIT_THRESHOLD overrides it (the tests
# use a low one, so that short guests run compiled code).
THRESHOLD = 200_000
# Long straight-line blocks pay back much sooner (each compiled instruction saves the same few ns, and a long
# block is one entry check and one call per pass): the kernel queues a block every 1/STEPS of the threshold,
# and a block of LONG_BLOCK instructions or more is compiled at its first step, the others once their steps
# add up to the threshold. Linux's SHA-3 rounds (keccakf_round: 445 instructions without a branch, 36.9 M of
# the boot's 138 M instructions in ~83,000 calls) are compiled that way, in ~40 ms.
STEPS = 20
LONG_BLOCK = 128


def enabled_by_default() -> bool:
    """GRAPHSIM_JIT=0 turns the block compiler off (graphsim's results are the same either way)."""
    return os.environ.get("GRAPHSIM_JIT", "1") not in ("0", "off", "no", "false")


def threshold() -> int:
    text = os.environ.get("GRAPHSIM_JIT_THRESHOLD", str(THRESHOLD))
    if not text.isdigit() or int(text) < 1:
        raise GraphsimError(f"GRAPHSIM_JIT_THRESHOLD={text!r}: expected a positive number of executions")
    return int(text)


def step(executions: int) -> int:
    """The executions the kernel counts before it queues a block (again): a STEPS-th of the threshold."""
    return executions // STEPS if executions // STEPS >= 2 else executions


def area_words() -> int:
    return L.JT_WORDS + TABLE_ENTRIES * L.JE_WORDS + QUEUE_CAP * L.JQ_WORDS


def init_area(work, base: int, executions: int):
    """Lay out the (empty) area at work[base:] and switch the kernel's lookups on."""
    t = base + L.JT_WORDS
    work[base + L.JT_MASK] = TABLE_ENTRIES - 1
    work[base + L.JT_TABLE] = t
    work[base + L.JT_THRESH] = step(executions)
    work[base + L.JT_QCOUNT] = 0
    work[base + L.JT_QCAP] = QUEUE_CAP
    work[base + L.JT_Q] = t + TABLE_ENTRIES * L.JE_WORDS
    tab = work[t:t + TABLE_ENTRIES * L.JE_WORDS].reshape(TABLE_ENTRIES, L.JE_WORDS)
    tab[:, L.JE_PC] = -1
    tab[:, L.JE_KEY] = -1
    tab[:, L.JE_FN] = 0
    tab[:, L.JE_N] = 0
    work[L.C_JIT] = base


class _Compiler:
    """The process's MCJIT engine and the blocks compiled so far."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        # (-O2 code generation: -O0 compiles 5x faster, but its code was 40-60% slower; docs/jit.md)
        self.tm = llvm.Target.from_default_triple().create_target_machine(opt=2)
        self.ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.blocks: dict = {}  # identity -> (address, instructions) or None (not compilable)
        self.serial = 0
        self.seconds = 0.0  # CPU time spent translating and compiling
        self.compiled = 0

    @global_compiler_lock  # (one LLVM user at a time: numba's compilations and ours, from any thread)
    def compile(self, jobs):
        """jobs: [(identity, insns, ro, code, rbase, rsize, key flags, table, mask)] -> fills self.blocks."""
        t0 = time.process_time()
        names = []
        text = [f'target triple = "{self.tm.triple}"']
        for ident, *args in jobs:
            name = f"b{self.serial}"
            self.serial += 1
            text.append(block_ir(name, *args))
            names.append((ident, name, len(args[0])))
        mod = llvm.parse_assembly("\n".join(text))
        self.ee.add_module(mod)
        self.ee.finalize_object()
        for ident, name, n in names:
            self.blocks[ident] = (self.ee.get_function_address(name), n)
        self.compiled += len(names)
        self.seconds += time.process_time() - t0


_COMPILER: _Compiler | None = None


@global_compiler_lock
def compiler() -> _Compiler:
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = _Compiler()
    return _COMPILER


class BlockJit:
    """The block compiler of one Core (its `work` area and RAM)."""

    def __init__(self, core, base: int):
        self.core = core
        self.base = base
        self.threshold = threshold()
        self.counted: dict = {}  # (pc, key) -> (executions in the steps so far, block length) below the threshold

    def stats(self) -> dict:
        """Calls of compiled blocks from the kernel and the instructions they executed (chains included)."""
        w = self.core.work
        return {"calls": int(w[self.base + L.JT_CALLS]), "instructions": int(w[self.base + L.JT_INSNS])}

    def service(self):
        """Compile the queued blocks and enter them in the kernel's table."""
        w = self.core.work
        ram = self.core.ram
        base = self.base
        rbase = int(w[L.C_RAM_BASE])
        rsize = int(w[L.C_RAM_SIZE])
        table = int(w[base + L.JT_TABLE])
        mask = int(w[base + L.JT_MASK])
        comp = compiler()
        q = int(w[base + L.JT_Q])
        step_ = int(w[base + L.JT_THRESH])
        pending = []
        jobs = []
        for i in range(int(w[base + L.JT_QCOUNT])):
            e = q + i * L.JQ_WORDS
            pc, key, je = int(w[e + L.JQ_PC]), int(w[e + L.JQ_KEY]), int(w[e + L.JQ_ENTRY])
            ro = key & KEY_RAM
            kflags = key & ~KEY_RAM
            executions, length = self.counted.pop((pc, key), (0, -1))
            executions += step_
            found = length < 0
            if found:
                insns, code = find_block(ram, ro, pc, kflags >> KEY_FLAGS)
                length = len(insns)
            if 0 < length < LONG_BLOCK and executions < self.threshold:
                if w[je + L.JE_PC] == pc and w[je + L.JE_KEY] == key:
                    self.counted[(pc, key)] = (executions, length)
                    w[je + L.JE_N] = 0  # (count another step)
                continue
            if not found:  # (the code in RAM now: it may have changed since the first step)
                insns, code = find_block(ram, ro, pc, kflags >> KEY_FLAGS)
            ident = (pc, ro, kflags, code, rbase, rsize, table, mask)
            pending.append((pc, key, je, ident))
            if ident in comp.blocks or any(j[0] == ident for j in jobs):
                continue
            if not insns:
                comp.blocks[ident] = None
            else:
                jobs.append((ident, insns, ro, code, rbase, rsize, kflags, table, mask))
        if jobs:
            comp.compile(jobs)
        for pc, key, je, ident in pending:
            if w[je + L.JE_PC] != pc or w[je + L.JE_KEY] != key:
                continue  # the entry was taken over by another pc meanwhile
            got = comp.blocks[ident]
            if got is None:
                w[je + L.JE_N] = -2
            else:
                w[je + L.JE_FN] = got[0]
                w[je + L.JE_N] = got[1]
        w[base + L.JT_QCOUNT] = 0
