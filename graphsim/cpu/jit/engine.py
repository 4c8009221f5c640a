"""Compiling the kernel's queue of hot blocks (Core.run calls `BlockJit.service`
whenever the kernel returns EXIT_JIT).

The blocks are found in RAM on the calling thread and compiled on a background
thread (GRAPHSIM_JIT_BACKGROUND=0: on the calling thread, as they are queued)
while the kernel runs on: `kernel.run` releases the GIL, and so does LLVM. A
queued block is neither counted nor called until Core.run enters it in the
kernel's table: the thread sets JT_READY, the kernel ends the run at the end of
its slice, and `service` enters every finished block (only the calling thread
writes the table). When a block starts running compiled therefore depends on the
host's timing, but nothing else does: a compiled block computes what the
interpreter computes, to the same instruction (docs/jit.md).

All blocks handed over at once go into one LLVM module (one MCJIT finalisation
per batch). Compiled code is kept for the life of the process, shared by every
Core: a block is identified by everything its code depends on (virtual pc, RAM
offset and bytes, decoder flags, the machine's RAM window), so two machines
running the same guest share it.
"""

from __future__ import annotations

import os
import queue
import threading
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


def background() -> bool:
    """GRAPHSIM_JIT_BACKGROUND=0 compiles on the calling thread (the tests that must see compiled code run
    by a given instruction use it)."""
    return os.environ.get("GRAPHSIM_JIT_BACKGROUND", "1") not in ("0", "off", "no", "false")


def enabled_by_default() -> bool:
    """GRAPHSIM_JIT=0 turns the block compiler off (graphsim's results are the same either way)."""
    return os.environ.get("GRAPHSIM_JIT", "1") not in ("0", "off", "no", "false")


def threshold() -> int:
    text = os.environ.get("GRAPHSIM_JIT_THRESHOLD", str(THRESHOLD))
    if not text.isdigit() or int(text) < 1:
        raise GraphsimError(f"GRAPHSIM_JIT_THRESHOLD={text!r}: expected a positive number of executions")
    return int(text)


def area_words() -> int:
    return L.JT_WORDS + TABLE_ENTRIES * L.JE_WORDS + QUEUE_CAP * L.JQ_WORDS


def init_area(work, base: int, executions: int):
    """Lay out the (empty) area at work[base:] and switch the kernel's lookups on."""
    t = base + L.JT_WORDS
    work[base + L.JT_MASK] = TABLE_ENTRIES - 1
    work[base + L.JT_TABLE] = t
    work[base + L.JT_THRESH] = executions
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
        self.seconds = 0.0  # CPU time spent translating and compiling (on whichever thread)
        self.compiled = 0
        self.waiting: set = set()  # identities handed to the thread and not compiled yet
        self.ready_calls: list = []  # called when the batch being compiled is done
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, jobs):
        """Compile jobs on the background thread."""
        with self.lock:
            jobs = [j for j in jobs if j[0] not in self.blocks and j[0] not in self.waiting]
            if not jobs:
                return
            self.waiting.update(j[0] for j in jobs)
            self.idle.clear()
            if self.thread is None:
                self.thread = threading.Thread(target=self._work, name="graphsim-blockjit", daemon=True)
                self.thread.start()
            self.jobs.put(jobs)

    def notify(self, ready):
        """Call ready() (from the thread) when the next batch is compiled, or now if none is waiting."""
        with self.lock:
            if self.waiting:
                self.ready_calls.append(ready)
                return
        ready()

    def wait(self):
        """Until everything handed to the thread is compiled."""
        self.idle.wait()

    def _work(self):
        try:  # (a lower priority for this thread only: on a busy machine the simulation goes first)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        while True:
            jobs = self.jobs.get()
            while not self.jobs.empty():  # (all that is waiting in one module)
                jobs += self.jobs.get()
            try:
                self.compile(jobs)
            except Exception as exc:  # (raised again on the simulation's thread, by BlockJit.service)
                self.error = exc
                for j in jobs:
                    self.blocks.setdefault(j[0], None)
            with self.lock:
                self.waiting.difference_update(j[0] for j in jobs)
                calls, self.ready_calls = self.ready_calls, []
                if not self.waiting:
                    self.idle.set()
            for ready in calls:
                ready()

    @global_compiler_lock  # (one LLVM user at a time: numba's compilations and ours, from any thread)
    def compile(self, jobs):
        """jobs: [(identity, insns, ro, code, rbase, rsize, key flags, table, mask)] -> fills self.blocks."""
        t0 = time.thread_time()
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
        self.seconds += time.thread_time() - t0


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
        self.background = background()
        self.pending: list = []  # (pc, key, table entry, identity) queued and not entered yet

    def stats(self) -> dict:
        """Calls of compiled blocks from the kernel and the instructions they executed (chains included)."""
        w = self.core.work
        return {"calls": int(w[self.base + L.JT_CALLS]), "instructions": int(w[self.base + L.JT_INSNS])}

    def _ready(self):
        self.core.work[self.base + L.JT_READY] = 1

    def service(self):
        """Hand the queued blocks to the compiler and enter the compiled ones in the kernel's table."""
        w = self.core.work
        ram = self.core.ram
        base = self.base
        rbase = int(w[L.C_RAM_BASE])
        rsize = int(w[L.C_RAM_SIZE])
        table = int(w[base + L.JT_TABLE])
        mask = int(w[base + L.JT_MASK])
        comp = compiler()
        if comp.error is not None:
            raise comp.error
        q = int(w[base + L.JT_Q])
        jobs = []
        for i in range(int(w[base + L.JT_QCOUNT])):
            e = q + i * L.JQ_WORDS
            pc, key, je = int(w[e + L.JQ_PC]), int(w[e + L.JQ_KEY]), int(w[e + L.JQ_ENTRY])
            ro = key & KEY_RAM
            kflags = key & ~KEY_RAM
            insns, code = find_block(ram, ro, pc, kflags >> KEY_FLAGS)  # (here: RAM changes while the kernel runs)
            ident = (pc, ro, kflags, code, rbase, rsize, table, mask)
            self.pending.append((pc, key, je, ident))
            if ident in comp.blocks or any(j[0] == ident for j in jobs):
                continue
            if not insns:
                comp.blocks[ident] = None
            else:
                jobs.append((ident, insns, ro, code, rbase, rsize, kflags, table, mask))
        w[base + L.JT_QCOUNT] = 0
        if jobs:
            if self.background:
                comp.submit(jobs)
            else:
                comp.compile(jobs)
        w[base + L.JT_READY] = 0  # (before looking: a batch finished from now on sets it again)
        waiting = []
        for item in self.pending:
            pc, key, je, ident = item
            got = comp.blocks.get(ident, False)
            if got is False:
                waiting.append(item)
            elif w[je + L.JE_PC] != pc or w[je + L.JE_KEY] != key or w[je + L.JE_N] != -1:
                continue  # the entry was taken over by another pc meanwhile
            elif got is None:
                w[je + L.JE_N] = -2
            else:
                w[je + L.JE_FN] = got[0]
                w[je + L.JE_N] = got[1]
        self.pending = waiting
        if waiting:
            comp.notify(self._ready)

    def wait(self):
        """Until every block handed to the compiler is compiled (the next run enters them at its first slice end)."""
        compiler().wait()
