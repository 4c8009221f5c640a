"""Compiling the kernel's queue of hot blocks (Core.run calls `BlockJit.service`
whenever the kernel returns EXIT_JIT).

All blocks of one service call go into one LLVM module, compiled to one object
file (one MCJIT load per batch). Compiled code is kept for the life of the
process, shared by every Core: a block is identified by everything its code
depends on (virtual pc, RAM offset and bytes, decoder flags, the machine's RAM
window), so two machines running the same guest share it. It is also kept on
disk (cache.py): a block found there is entered at its first look instead of
being compiled, and the blocks queued but not compiled are compiled into the
cache when the process exits (`fill_cache`), so the next run of the same guest
starts with them.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import secrets
import sys
import time
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from numba.core.compiler_lock import global_compiler_lock

from ...errors import GraphsimError
from .. import layout as L
from . import cache as _cache
from .block import MAX_STRAIGHT, find_block
from .codegen import KEY_FLAGS, KEY_RAM, block_ir

TABLE_ENTRIES = 1 << 16  # (Linux boot: ~2,000 blocks compiled; at 16 K entries more of them collided)
QUEUE_CAP = 64
# Executions of a block start before the block is compiled. LLVM takes ~3-5 ms of CPU per block (O2),
# and a compiled block saves ~3-5 ns per instruction: only blocks that run a million instructions or so
# pay back. At 20,000 the Linux boot compiled 65 blocks and took 1.5x as long; at 200,000 it compiles
# one and the long benchmarks lose < 10% (docs/jit.md). GRAPHSIM_JIT_THRESHOLD overrides it (the tests
# use a low one, so that short guests run compiled code).
THRESHOLD = 200_000
# Long straight-line blocks pay back much sooner (each compiled instruction saves the same few ns, and a long
# block is one entry check and one call per pass): a block of LONG_BLOCK instructions or more is compiled
# after a twentieth of the threshold (LONG_AFTER). Linux's SHA-3 rounds (keccakf_round: 445 instructions
# without a branch, 36.9 M of the boot's 138 M instructions in ~83,000 calls) are compiled that way, in ~40 ms.
LONG_BLOCK = 128
LONG_FRACTION = 20
# The kernel queues a block first after a STEPS-th of the threshold (625 executions by default): then a block
# found in the on-disk cache is entered (it costs no compilation), and one that is not is compiled into the
# cache at exit. Its next queueing is set by the count the kernel starts from (LONG_AFTER, then the threshold),
# so a block is queued two or three times, whatever the step (docs/jit.md, "The block cache").
STEPS = 320
# CPU seconds the exit may spend compiling the blocks that were queued into the cache (the rest next time; the
# Linux boot's take ~6 s)
FILL_SECONDS = 8.0
FILL_BATCH = 64
MAX_WANTED = 8192
CODE_BYTES = MAX_STRAIGHT * 4  # (the longest block)


def enabled_by_default() -> bool:
    """GRAPHSIM_JIT=0 turns the block compiler off (graphsim's results are the same either way)."""
    return os.environ.get("GRAPHSIM_JIT", "1") not in ("0", "off", "no", "false")


def threshold() -> int:
    text = os.environ.get("GRAPHSIM_JIT_THRESHOLD", str(THRESHOLD))
    if not text.isdigit() or int(text) < 1:
        raise GraphsimError(f"GRAPHSIM_JIT_THRESHOLD={text!r}: expected a positive number of executions")
    return int(text)


def step(executions: int) -> int:
    """The executions the kernel counts before it first queues a block: a STEPS-th of the threshold."""
    return executions // STEPS if executions // STEPS >= 2 else executions


def long_after(executions: int) -> int:
    """The executions after which a long block is compiled."""
    return max(executions // LONG_FRACTION, step(executions))


def area_words() -> int:
    return L.JT_WORDS + TABLE_ENTRIES * L.JE_WORDS + QUEUE_CAP * L.JQ_WORDS


def init_area(work, base: int, executions: int):
    """Lay out the (empty) area at work[base:] and switch the kernel's lookups on."""
    t = base + L.JT_WORDS
    work[base + L.JT_MASK] = TABLE_ENTRIES - 1
    work[base + L.JT_TABLE] = t
    # (with the block cache off an early look finds nothing to enter: the first is where long blocks compile)
    work[base + L.JT_THRESH] = step(executions) if _cache.enabled() else long_after(executions)
    work[base + L.JT_QCOUNT] = 0
    work[base + L.JT_QCAP] = QUEUE_CAP
    work[base + L.JT_Q] = t + TABLE_ENTRIES * L.JE_WORDS
    tab = work[t:t + TABLE_ENTRIES * L.JE_WORDS].reshape(TABLE_ENTRIES, L.JE_WORDS)
    tab[:, L.JE_PC] = -1
    tab[:, L.JE_KEY] = -1
    tab[:, L.JE_FN] = 0
    tab[:, L.JE_N] = 0
    work[L.C_JIT] = base


def version(tm) -> str:
    """What compiled code depends on besides a block's identity: the sources of the code generator, the
    kernel's layout and decoder (the kernel cache's hash), llvmlite, LLVM and the target."""
    from ...isa import _jitcache

    h = hashlib.sha256(f"{_jitcache.source_hash()}:{llvmlite.__version__}:{llvm.llvm_version_info}:"
                       f"{tm.triple}:{tm.target_data}:{llvm.get_host_cpu_name()}".encode())
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_entries(names) -> list:
    """The cache's entries for [(identity, function name, instructions)] (cache.BlockCache.write)."""
    return [(_cache.block_key(ident), name, n, _cache.place(ident), len(ident[3])) for ident, name, n in names]


class _Compiler:
    """The process's MCJIT engine, the blocks compiled or loaded so far and the on-disk cache."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        # (-O2 code generation: -O0 compiles 5x faster, but its code was 40-60% slower; docs/jit.md)
        self.tm = llvm.Target.from_default_triple().create_target_machine(opt=2)
        self.ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.blocks: dict = {}  # identity -> (address, instructions) or None (not compilable)
        self.seconds = 0.0  # CPU time spent translating and compiling
        self.compiled = 0
        self.loaded = 0  # blocks loaded from the cache
        self.load_seconds = 0.0
        where = _cache.directory(version(self.tm))
        self.cache = None if where is None else _cache.BlockCache(where)
        self.on_disk: dict = {}  # key -> (address, instructions) of the blocks of the cache files loaded
        self.wanted: dict = {}  # place -> [code bytes from there, executions]: blocks queued, not compiled: fill()
        self.sizes: dict = {}  # place -> {code sizes} of the blocks compiled here (see lookup)

    def _codegen(self, jobs) -> tuple[list, bytes]:
        """jobs: [(identity, insns, ro, code, rbase, rsize, key flags, table, mask)] -> ([(identity, function
        name, instructions)], object file). (Names are unique across processes: cache files meet in one engine.)"""
        t0 = time.process_time()
        token = secrets.token_hex(8)
        names = []
        text = [f'target triple = "{self.tm.triple}"']
        for i, (ident, *args) in enumerate(jobs):
            name = f"b{token}_{i}"
            text.append(block_ir(name, *args))
            names.append((ident, name, len(args[0])))
        obj = self.tm.emit_object(llvm.parse_assembly("\n".join(text)))
        self.compiled += len(names)
        self.seconds += time.process_time() - t0
        return names, obj

    def _load(self, names, obj) -> dict:
        """Add an object file to the engine: {name: address} of the functions named."""
        self.ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self.ee.finalize_object()
        return {entry[1]: self.ee.get_function_address(entry[1]) for entry in names}

    @global_compiler_lock  # (one LLVM user at a time: numba's compilations and ours, from any thread)
    def compile(self, jobs):
        """Compile jobs (see _codegen) into self.blocks, and into the cache."""
        names, obj = self._codegen(jobs)
        addresses = self._load(names, obj)
        for ident, name, n in names:
            self.blocks[ident] = (addresses[name], n)
            self.sizes.setdefault(_cache.place(ident), set()).add(len(ident[3]))
        if self.cache is not None:
            self.cache.write(cache_entries(names), obj)

    def lookup(self, where: tuple, ram):
        """The identity of a compiled block at place `where` ((pc, ro, kflags, rbase, rsize, table, mask)) whose
        code is the code in RAM now, compiled in this process or in the cache (None: there is none). No decoding:
        a block is found by its code bytes."""
        pc, ro, kflags, rbase, rsize, table, mask = where
        sizes = self.sizes.get(where, set())
        if self.cache is not None:
            sizes = sizes | self.cache.sizes_at(where)
        for size in sorted(sizes, reverse=True):
            ident = (pc, ro, kflags, bytes(ram[ro:ro + size]), rbase, rsize, table, mask)
            if self.compiled_or_cached(ident):
                return ident
        return None

    def compiled_or_cached(self, ident) -> bool:
        """Whether the block is compiled, in this process or in the cache (then loaded with its file's others)."""
        if ident in self.blocks:
            return self.blocks[ident] is not None
        if self.cache is None:
            return False
        key = _cache.block_key(ident)
        if key not in self.on_disk:
            f = self.cache.lookup(key)
            if f is None or f in self.cache.loaded_files:
                return False
            self._load_file(f)
            if key not in self.on_disk:
                return False
        self.blocks[ident] = self.on_disk[key]
        return True

    @global_compiler_lock
    def _load_file(self, f):
        """Load a cache file's blocks into self.on_disk."""
        if f not in self.cache.loaded_files:
            t0 = time.process_time()
            got = self.cache.read(f)
            if got is not None:
                names, obj = got
                addresses = self._load(names, obj)
                for k, name, n, _where, _size in names:
                    if addresses[name]:
                        self.on_disk.setdefault(k, (addresses[name], n))
                self.loaded += len(names)
            self.load_seconds += time.process_time() - t0

    def want(self, where: tuple, ram, executions: int):
        """A block queued but neither compiled nor cached, at place `where` (see lookup): compiled into the cache at
        exit (fill_cache) from the code in RAM at its first look (up to CODE_BYTES of it; decoded then), the
        blocks run most often first."""
        if self.cache is None:
            return
        if where in self.wanted:
            self.wanted[where][1] = executions
        elif len(self.wanted) < MAX_WANTED:
            ro = where[1]
            self.wanted[where] = [bytes(ram[ro:min((ro | 0xFFF) + 1, ro + CODE_BYTES)]), executions]

    @global_compiler_lock
    def fill(self, seconds: float = FILL_SECONDS) -> int:
        """Compile the wanted blocks into the cache (batches of FILL_BATCH, until `seconds` of CPU are spent);
        the number compiled."""
        done = 0
        t0 = time.process_time()
        if self.cache is None or not self.wanted or not self.cache.writable():
            self.wanted.clear()
            return 0
        jobs = []
        for (pc, ro, kflags, rbase, rsize, table, mask), (code, executions) in self.wanted.items():
            insns, code = find_block(np.frombuffer(code, np.uint8), 0, pc, kflags >> KEY_FLAGS, len(code))
            ident = (pc, ro, kflags, code, rbase, rsize, table, mask)
            if insns and ident not in self.blocks:
                jobs.append((executions, (ident, insns, ro, code, rbase, rsize, kflags, table, mask)))
        # (the most executed first, then in the order they were first queued: LLVM's time grows with a block's
        # length about as the time it saves does)
        jobs = [job for _, job in sorted(jobs, key=lambda j: -j[0])]
        self.wanted.clear()
        while jobs and time.process_time() - t0 < seconds:
            batch, jobs = jobs[:FILL_BATCH], jobs[FILL_BATCH:]
            names, obj = self._codegen(batch)
            self.cache.write(cache_entries(names), obj)
            done += len(batch)
        return done


_COMPILER: _Compiler | None = None
_FILL_AT_EXIT: list = []  # (registered once per process)


def compiler() -> _Compiler:
    return _COMPILER if _COMPILER is not None else _new_compiler()


@global_compiler_lock
def _new_compiler() -> _Compiler:
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = _Compiler()
        if not _FILL_AT_EXIT:
            _FILL_AT_EXIT.append(atexit.register(_fill_at_exit))
    return _COMPILER


def fill_cache(seconds: float = FILL_SECONDS) -> int:
    """Compile the blocks this process wanted into the on-disk cache (returns how many)."""
    if _COMPILER is None:
        return 0
    try:
        return _COMPILER.fill(seconds)
    except Exception as e:  # (at exit: a failure to fill the cache must not turn into an error of the run)
        print(f"graphsim: the cache of compiled blocks was not filled: {e}", file=sys.stderr)
        return 0


def _fill_at_exit():
    # (not in worker processes, e.g. a Dask cluster's: their exit would wait for it; the main process fills)
    if multiprocessing.parent_process() is not None or _COMPILER is None or _COMPILER.cache is None:
        return
    if len(_COMPILER.wanted) >= FILL_BATCH:  # (a noticeable time: ~5 ms of CPU a block)
        print(f"[graphsim] compiling {len(_COMPILER.wanted)} hot blocks into the cache of compiled blocks for the "
              f"next run (at most {FILL_SECONDS:.0f} s, once; GRAPHSIM_BLOCK_CACHE=0 turns it off)", file=sys.stderr)
    try:
        fill_cache()
    except KeyboardInterrupt:  # (Ctrl-C skips the rest: the batches written so far stay in the cache)
        print("[graphsim] the cache of compiled blocks was filled in part (interrupted)", file=sys.stderr)


class BlockJit:
    """The block compiler of one Core (its `work` area and RAM)."""

    def __init__(self, core, base: int):
        self.core = core
        self.base = base
        self.threshold = threshold()
        self.long_after = long_after(self.threshold)
        self.counted: dict = {}  # (pc, key) -> (executions known, block length or -2: not decoded yet)

    def stats(self) -> dict:
        """Calls of compiled blocks from the kernel and the instructions they executed (chains included)."""
        w = self.core.work
        return {"calls": int(w[self.base + L.JT_CALLS]), "instructions": int(w[self.base + L.JT_INSNS])}

    def look_again(self, pc: int, key: int, je: int, mine: bool, known: int, length: int, at: int):
        """Have the kernel queue the block again once its executions reach `at` (known so far: `known`)."""
        self.counted[(pc, key)] = (known, length)
        if mine:
            w = self.core.work
            w[je + L.JE_FN] = -max(at - known, int(w[self.base + L.JT_THRESH]))
            w[je + L.JE_N] = 0

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
            mine = w[je + L.JE_PC] == pc and w[je + L.JE_KEY] == key
            fn = int(w[je + L.JE_FN]) if mine else 0
            known, length = self.counted.pop((pc, key), (0, -1))
            # (executions since the last look: the delay set then if the entry kept it, else at least a step,
            # counted by an entry made anew; so the count never exceeds the block's executions)
            known += -fn if fn < 0 else step_
            where = (pc, ro, kflags, rbase, rsize, table, mask)
            if length == -1:  # (the first look: a block compiled before, here or in an earlier run, is entered)
                ident = comp.lookup(where, ram)
                if ident is not None:
                    pending.append((pc, key, je, ident))
                    continue
            comp.want(where, ram, known)
            if length == -1 and known < self.long_after:
                self.look_again(pc, key, je, mine, known, -2, self.long_after)
                continue
            if known < self.threshold:  # (a long block now, a short one at the threshold)
                insns, code = find_block(ram, ro, pc, kflags >> KEY_FLAGS, straight=True)
                if 0 < len(insns) < LONG_BLOCK:
                    self.look_again(pc, key, je, mine, known, len(insns), self.threshold)
                    continue
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
                w[je + L.JE_FN] = 0
                w[je + L.JE_N] = L.JE_NOT_COMPILABLE
            else:
                w[je + L.JE_FN] = got[0]
                w[je + L.JE_N] = got[1]
        w[base + L.JT_QCOUNT] = 0
