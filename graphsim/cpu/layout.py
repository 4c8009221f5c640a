"""Slots of the kernel's `work` array: configuration, exit record, MMIO reply
slot, UART host buffers, TLBs, decode cache and trace buffer.

Configuration is passed to the compiled kernel as data in this array (numba
freezes globals), so one compiled kernel serves every machine. Nothing in
`work` is architectural: it is rebuilt by Core on construction and restore.
"""

# --- configuration ----------------------------------------------------------
C_NHARTS = 0
C_RAM_BASE = 1
C_RAM_SIZE = 2
C_TPM = 3  # ticks per mtime tick
C_QUANTUM = 4  # instructions per hart per quantum
C_CLINT_BASE = 5
C_CLINT_SIZE = 6
C_CLINT_DEV = 7  # offset of the CLINT state in `dev` (-1: no CLINT)
C_PLIC_BASE = 8
C_PLIC_SIZE = 9
C_PLIC_DEV = 10
C_PLIC_NSRC = 11
C_UART_BASE = 12
C_UART_SIZE = 13
C_UART_DEV = 14
C_UART_IRQ = 15
C_M5_KNOWN0 = 16  # bitmask of known m5op functions 0..63
C_M5_KNOWN1 = 17  # 64..127
C_EXIT = 18  # offset of the exit record
C_SLOT = 19  # offset of the MMIO reply slot
C_TX = 20  # UART output buffer (one byte per word)
C_TXCAP = 21
C_TXCOUNT = 22
C_RXQ = 23  # UART host input queue (ring)
C_RXQCAP = 24
C_RXQHEAD = 25
C_RXQCOUNT = 26
C_TLB = 27  # per-hart TLBs
C_DC = 28  # decode cache (word-keyed)
C_DCMASK = 29
C_TRACE = 30  # trace buffer
C_TRACECAP = 31
C_TRACECOUNT = 32
C_TRACE_ON = 33
C_NMMIO = 34  # number of Python-served MMIO ranges
C_MMIO = 35  # offset of (base, size) pairs
C_HART = 36  # offset of per-hart config rows
C_STATS_STEPS = 37  # total instructions executed by the kernel (statistic)
C_PLIC_NCTX = 38
C_DEBUG = 39  # offset of the debug area while a debugger has stops armed, else 0 (graphsim/debug, docs/gdb.md)
C_BBV = 40  # offset of the basic-block profile (BV_*) while profiling, else 0 (graphsim/simpoint/profile.py)
C_JIT = 41  # offset of the block compiler's area (JT_*) while it is on, else 0 (graphsim/cpu/jit, docs/jit.md)
CFG_WORDS = 48

# per-hart config row: HC_WORDS words at work[C_HART] + h * HC_WORDS
HC_FLAGS = 0  # decoder flags (FLAG_RV64 | FLAG_M | ...) and the HF_* bits below
HF_ZIHINTPAUSE = 1 << 20  # the hart has Zihintpause (pause is recorded as used; the decoder ignores this bit)
HF_SSTC = 1 << 21  # the hart has Sstc: stimecmp exists, menvcfg.STCE is writable
HC_TPC = 1  # ticks per cycle
HC_SATP_MODES = 2  # bitmask of supported satp.MODE values
HC_XL32 = 3
HC_WORDS = 4

# --- exit record ------------------------------------------------------------
EX_REASON = 0
EX_HART = 1
EX_PADDR = 2
EX_SIZE = 3
EX_IS_WRITE = 4
EX_VALUE = 5
EX_FUNC = 6
EX_PC = 7
EX_WORDS = 8

# --- MMIO reply slot --------------------------------------------------------
SL_VALID = 0
SL_HART = 1
SL_PADDR = 2
SL_SIZE = 3
SL_IS_WRITE = 4
SL_VALUE = 5
SL_WORDS = 6

# --- debug area (work[C_DEBUG] points here while armed) -----------------------
DB_NBP = 0  # number of breakpoint addresses
DB_BP = 1  # offset of the breakpoint table (virtual pcs)
DB_NWP = 2  # number of watchpoints
DB_WP = 3  # offset of the watchpoint table (DBW_WORDS words each)
DB_STEP_HART = 4  # hart being single-stepped (-1: none)
DB_STEP_ICOUNT = 5  # stop that hart before it executes with icount >= this
DB_SKIP = 6  # offset of one word per hart: no breakpoint stop at this icount (resuming from a breakpoint)
DB_OWN_TRACE = 7  # 1: the trace is on only for the watchpoints (each record is dropped once checked)
DB_WORDS = 8
DBW_ADDR = 0  # watched physical address range [addr, addr + len)
DBW_LEN = 1
DBW_KIND = 2  # bit 0: stop on reads, bit 1: stop on writes
DBW_WORDS = 3
DBG_MAX_BP = 64
DBG_MAX_WP = 16
# the exit record of EXIT_DEBUG: EX_VALUE = what stopped, EX_PADDR = watched physical address, EX_SIZE = access kind
DBG_BREAKPOINT = 1  # before the instruction at a breakpoint executes
DBG_STEP = 2  # the stepped hart executed one instruction (or took a trap)
DBG_WATCH = 3  # after an access to a watched range retired

# --- exit reasons -----------------------------------------------------------
EXIT_BUDGET = 0  # the instruction budget was used up exactly
EXIT_MMIO = 1  # a Python device must serve an access; the instruction has not executed
EXIT_M5OP = 2  # an m5op; pc still points at it (complete_m5op advances it)
EXIT_UART_TX_FULL = 3  # drain the UART output buffer, then run again
EXIT_IDLE = 4  # every hart in WFI and nothing in the kernel can wake them
EXIT_TICK_LIMIT = 5  # the requested tick was reached
EXIT_TRACE_FULL = 6  # the trace buffer is full
EXIT_DEBUG = 7  # a debugger stop (breakpoint, single step, watchpoint): details in the exit record
EXIT_JIT = 8  # (internal: Core.run serves it) hot blocks are queued for the block compiler
EXIT_NAMES = ("budget", "mmio", "m5op", "uart_tx_full", "idle", "tick_limit", "trace_full", "debug")

# --- trace record -----------------------------------------------------------
TR_HART = 0
TR_PC = 1
TR_INSN = 2
TR_RD = 3  # -1 if no register written
TR_VALUE = 4
TR_PRIV = 5
TR_MEM_ADDR = 6  # physical address of the data access (-1 if none)
TR_MEM_INFO = 7  # size | (kind << 8): kind 1 load, 2 store, 3 AMO
TR_FETCH_PA = 8  # physical address of the fetch (-1 if the fetch faulted); the timing models' I-side address
TR_WORDS = 9
# The compact record (work[C_TRACE_ON] == 2, the timing models' batches): only what the models read,
# TC_WORDS words per instruction (less than half the memory traffic of the full record)
TC_PC = 0
TC_FETCH_PA = 1
TC_MEM_ADDR = 2
TC_INFO = 3  # insn (bits 0-31) | mem_info << 32 (bits 32-47) | no_write << 48 | hart << 56
# (no register field: the models derive it from the word's decode; the kernel sets no_write when the
# instruction trapped, which writes none)
TC_DECODED = 4  # the kernel's decoded form of insn (decoder_gen.decode; the pipelined model's, unless it trapped)
TC_WORDS = 5
TRACE_FULL = 1  # work[C_TRACE_ON]: full records (TR_*)
TRACE_COMPACT = 2  # compact records (TC_*)

# --- basic-block profile (work[C_BBV] points here while profiling) ----------
# A block is the run of instructions from a control-flow target to the next
# discontinuity (taken branch, jump, trap, interrupt); its count is the number
# of instructions executed in it, added when the block ends, to an
# open-addressing table keyed by the block's first pc. The harvester empties
# the table after every kernel call; a call of n instructions adds at most n
# entries, so the table (capacity BV_CAP) never fills if n <= BV_CAP / 2.
BV_CAP = 0  # table capacity (a power of two)
BV_USED = 1  # entries in use
BV_KEYS = 2  # offset of the keys (block start pc; -1 empty)
BV_COUNTS = 3  # offset of the counts
BV_LIST = 4  # offset of the list of used slots (in insertion order)
BV_HARTS = 5  # offset of per-hart rows: current block start, instructions in it, expected next pc
BV_ROW = 6  # the row of the hart running the slice (set by the kernel for compiled blocks)
BV_WORDS = 8
BVH_START = 0
BVH_COUNT = 1
BVH_NEXT = 2
BVH_WORDS = 3

# --- block compiler area (work[C_JIT] points here while it is on) ------------
# The lean loop counts how often each block-start candidate (the target of a
# taken branch or jump, the pc after a compiled block) is reached, in a
# direct-mapped table keyed by (virtual pc, physical RAM offset, decoder flags
# and whether data accesses translate). At JT_THRESH it queues the block and
# ends the run at the slice's end (EXIT_JIT); Core.run compiles the queue
# (graphsim/cpu/jit) and runs on.
JT_MASK = 0  # table entries - 1
JT_TABLE = 1  # offset of the table (JE_WORDS words per entry)
JT_THRESH = 2  # executions before a block is queued
JT_QCOUNT = 3  # blocks queued
JT_QCAP = 4
JT_Q = 5  # offset of the queue (JQ_WORDS words per block)
JT_CALLS = 6  # calls of compiled blocks from the kernel (statistic)
JT_INSNS = 7  # instructions executed in compiled blocks (statistic)
JT_WORDS = 8
JE_PC = 0  # virtual pc of the block's first instruction (-1: free)
JE_KEY = 1  # its RAM offset | profiling << 38 | data translation on << 39 | decoder flags << 40
JE_FN = 2  # > 0: address of the compiled block; else none, and -FN: the count at which it is queued (if more
# than JT_THRESH: the block compiler's next look at it, graphsim/cpu/jit/engine.py)
JE_N = 3  # with a block: its length in instructions; without: executions counted, JE_QUEUED queued,
# JE_NOT_COMPILABLE not compilable
JE_WORDS = 4
JE_QUEUED = -(1 << 62)
JE_NOT_COMPILABLE = JE_QUEUED - 1
JQ_PC = 0
JQ_KEY = 1
JQ_ENTRY = 2  # offset of the table entry
JQ_WORDS = 3
