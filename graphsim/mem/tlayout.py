"""Slots of the timing models' packed state array `t` (one int64 array).

The compiled timing code takes the whole memory hierarchy — cache geometry,
tags, flags, replacement state, prefetcher tables, MSHRs, the memory
controller, per-hart timing state and all statistics — as one int64 array
whose header holds the offsets of its regions (as the functional kernel's
`work` array does; see graphsim/cpu/layout.py). One array argument keeps
calls cheap; numpy views of its regions are what the cache components save
as their warm state and what `stats()` reads.
"""

# --- header -----------------------------------------------------------------
H_NCACHE = 0
H_NHARTS = 1
H_SHIFT = 2  # log2(line size)
H_RAM_BASE = 3
H_RAM_END = 4
H_CC = 5  # cache config rows [ncache x CC_W]
H_TAGS = 6  # line arrays (all caches concatenated): tag = line address (0: invalid)
H_FLAGS = 7
H_LRU = 8
H_READY = 9  # tick at which an in-flight (prefetched) line arrives
H_REPL = 10  # per cache: [clock or rng, tree-PLRU bits per set...]
H_PFT = 11  # per cache: stride-prefetcher table
H_MSHR = 12  # per cache: completion tick of each MSHR
H_CSTAT = 13  # cache statistics [ncache x NCS]
H_HC = 14  # hart config [nharts x HC_W]
H_HS = 15  # hart timing state [nharts x HS_W]
H_HSTAT = 16  # hart statistics [nharts x NHS]
H_ONPATH = 17  # [nharts x ncache]: 1 if the cache is on the hart's path to memory
H_MC = 18  # memory controller config [MC_W]
H_MBUSY = 19  # [1 + banks]: channel free tick, then each bank's free tick
H_MROW = 20  # [banks]: open row + 1 (0: precharged)
H_MSTAT = 21  # memory statistics [NMS]
H_COH = 22  # list of coherent caches
H_NCOH = 23
H_BP = 24  # branch predictors (pipelined)
H_DEC = 25  # decode cache (pipelined): DEC_ENTRIES x 2
H_OPS = 26  # per-op class bits (pipelined): 256 words
H_GEOM = 27  # cache warm geometry rows [ncache x GEOM_W]
H_BUS_TICKS = 28  # memory bus latency in ticks
H_DROPPED_FLUSH = 29  # (unused)
HDR = 32

# --- cache config row -------------------------------------------------------
CC_SETS = 0
CC_ASSOC = 1
CC_SETMASK = 2
CC_HIT = 3
CC_RESP = 4
CC_REPL = 5  # REPL_*
CC_WB = 6  # 1 write-back, 0 write-through
CC_WALLOC = 7
CC_MSHRS = 8
CC_PF = 9  # PF_*
CC_PFDEG = 10
CC_NEXT = 11  # next level (cache index) or -1: memory
CC_COH = 12  # COH_*
CC_L0 = 13  # first line index in the line arrays
CC_R0 = 14  # offset in the replacement region
CC_P0 = 15  # offset in the prefetcher region
CC_M0 = 16  # offset in the MSHR region
CC_CPOINT = 17  # first non-coherent level below (where snooped dirty data goes), -1: memory
CC_ISL1I = 18  # 1 if some hart fetches through it first
CC_LOGASSOC = 19
CC_ISL1D = 20  # 1 if some hart's data accesses start here
CC_W = 24

REPL_LRU, REPL_PLRU, REPL_RANDOM = 0, 1, 2
PF_NONE, PF_NEXT_LINE, PF_STRIDE = 0, 1, 2
COH_NONE, COH_MSI, COH_MESI = 0, 1, 2

PF_ENTRIES = 64  # stride table entries (per cache)
PF_W = 4  # words per entry: pc, last line, stride, confidence
GEOM_W = 8

# line flags
F_VALID = 1
F_DIRTY = 2
F_EXCL = 4  # coherence: this cache holds the only copy (E or M)
F_PREF = 8  # brought in by a prefetch, not yet used by a demand access

# --- cache statistics -------------------------------------------------------
CS_RD_ACC = 0  # demand reads (fetches and loads, and fills requested from above)
CS_RD_MISS = 1
CS_WR_ACC = 2  # demand writes (stores, AMOs) at this level
CS_WR_MISS = 3
CS_WB_ACC = 4  # write-backs and written-through data arriving from above
CS_WB_MISS = 5
CS_WRITEBACKS = 6  # dirty lines this cache wrote to the level below (evictions, snoops, drain)
CS_EVICTIONS = 7  # valid lines replaced
CS_PF_ISSUED = 8
CS_PF_USEFUL = 9
CS_PF_DROPPED = 10  # no free MSHR
CS_PF_LATE = 11  # a demand access waited for a prefetch in flight
CS_INVAL = 12  # lines invalidated by other harts' writes
CS_INTERV = 13  # dirty lines supplied to another hart's request
CS_UPGRADES = 14  # ownership requests for a line held shared
CS_SNOOP_HITS = 15
CS_MISS_CYC = 16  # cycles spent on demand misses (latency sum)
CS_MSHR_WAIT = 17  # cycles a demand miss waited for a free MSHR
CS_DRAIN_WB = 18  # dirty lines written back by drains (checkpoints, switches)
CS_PF_HITS = 19  # prefetches that found the line already present (not issued)
NCS = 20

# --- hart config row --------------------------------------------------------
HC_L1I = 0
HC_L1D = 1
HC_TPC = 2  # ticks per cycle
HC_MMIO_LAT = 3  # cycles of an uncached (device) access
HC_MUL_LAT = 4
HC_DIV_LAT = 5
HC_PENALTY = 6  # branch misprediction penalty (cycles)
HC_BP_KIND = 7  # BP_*
HC_BP_ENTRIES = 8
HC_BTB_ENTRIES = 9
HC_RAS_ENTRIES = 10
HC_BP0 = 11  # offset of this hart's predictor region in H_BP
HC_HIST_BITS = 12
HC_DFLAGS = 13  # decoder flags (graphsim.isa.decoder_gen FLAG_*)
HC_ITYPE_LAT = 16  # NITYPE words: EX latency per instruction class (0: the integer path's own)
HC_W = 32

BP_STATIC, BP_BIMODAL, BP_GSHARE = 0, 1, 2
PREDICTORS = ("static", "bimodal", "gshare")  # the cpu.pipelined `predictor` choices, by BP_* code

# predictor region of one hart (offsets from HC_BP0)
BPR_GEOM = 0  # GEOM_W words: the warm-state geometry
BPR_HIST = GEOM_W  # global history
BPR_RAS_TOP = GEOM_W + 1
BPR_TABLES = GEOM_W + 2  # counters, BTB tags, BTB targets, RAS


def bp_region_words(entries: int, btb: int, ras: int) -> int:
    return BPR_TABLES + entries + 2 * btb + ras


# --- hart timing state (transient: rebuilt empty on restore and drain) ------
HS_BASE = 0  # tick at the last feedback
HS_CYC = 1  # model cycles of the instructions modelled since the last feedback
HS_N = 2  # instructions modelled since the last feedback
HS_LASTF = 3  # line of the last fetch (fast path), -1 none
# pipelined: stage times (cycles, relative to the hart's own pipeline clock)
HS_FNEXT = 4  # earliest IF of the next instruction
HS_DPREV = 5  # ID entry of the previous instruction
HS_XPREV = 6  # EX entry
HS_MPREV = 7  # MEM entry
HS_WPREV = 8  # WB (commit)
HS_XFREE = 9  # EX free again (multi-cycle mul/div)
HS_MFREE = 10  # MEM free again (blocking misses)
HS_LOADMASK = 11  # registers whose latest producer is a load (stall accounting)
# the pending instruction (its successor's pc is needed to judge its prediction)
HS_P_VALID = 12
HS_P_PC = 13
HS_P_INSN = 14
HS_P_DEC = 15
HS_P_LF = 16  # fetch latency
HS_P_FHIT = 17
HS_P_LD = 18  # data latency (0: no data access)
HS_P_DHIT = 19
HS_P_RD = 20
HS_MULMASK = 21  # registers whose latest producer is a multi-cycle mul/div
HS_LASTD = 22  # line of the last data access that hit the first level (fast path), -1 none
HS_LASTDW = 23  # 1 if that line may be written without further ado (dirty, owned)
HS_FPMASK = 24  # registers whose latest producer is a multi-cycle FP operation
HS_FCAUSE = 25  # why the next fetch waits (stall accounting): STALL_FETCH, STALL_BRANCH or STALL_SERIAL
HS_XCAUSE = 26  # what held EX before the next instruction (stall accounting): one of the stall slots
HS_READY = 32  # 64 words: cycle at which each register's value can be forwarded (x0..x31, f0..f31)
HS_W = 96

# --- hart statistics --------------------------------------------------------
HT_INSTS = 0
HT_CYCLES = 1
HT_FETCH_STALL = 2  # cycles waiting for instruction fetch beyond an L1 hit
HT_DATA_STALL = 3  # cycles waiting for data beyond an L1 hit
HT_MMIO = 4  # uncached device accesses
HT_BP_LOOKUPS = 5
HT_BP_COND = 6
HT_BP_COND_WRONG = 7
HT_BTB_LOOKUPS = 8
HT_BTB_HITS = 9
HT_RAS_USED = 10
HT_RAS_WRONG = 11
HT_INDIRECT = 12
HT_INDIRECT_WRONG = 13
HT_SQUASH_CYC = 14  # fetch cycles lost to mispredictions and traps
# The pipelined CPU charges every cycle an instruction commits later than one cycle after its
# predecessor to exactly one of these (so they sum to the cycles lost against CPI 1):
HT_LOAD_USE = 15  # waiting for a load's result
HT_MULDIV_STALL = 16  # EX busy with, or waiting for, a multi-cycle multiply/divide
HT_TRAPS = 17  # redirects not caused by a branch (traps, interrupts, xRET)
HT_DECODE_REDIRECT = 18  # taken direct jumps/branches found at decode (BTB miss)
HT_STALL_FETCH = 19  # instruction fetch beyond one cycle
HT_STALL_MEM = 20  # MEM busy with a data access beyond one cycle
HT_STALL_BRANCH = 21  # refetch after mispredictions and decode redirects
HT_STALL_SERIAL = 22  # refetch after traps, xRET and serialising instructions
HT_FP_STALL = 23  # EX busy with, or waiting for, a multi-cycle floating-point operation
HT_ITYPE = 24  # NITYPE words: committed instructions per class (ITYPES)
NHS = 40

# --- memory controller -------------------------------------------------------
MC_MODEL = 0  # 0 simple (latency + bandwidth), 1 banked DRAM
MC_LATENCY = 1  # ticks (simple)
MC_BURST = 2  # ticks to transfer one line (line size / bandwidth)
MC_BANKS = 3
MC_ROW = 4  # row size in bytes
MC_TRCD = 5
MC_TCAS = 6
MC_TRP = 7
MC_STATIC = 8  # controller/PHY latency (dram)
MC_CLOSED = 9  # 1: closed-page policy
MC_LINE = 10  # line size in bytes
MC_W = 16

MS_READS = 0
MS_WRITES = 1
MS_ROW_HITS = 2
MS_ROW_EMPTY = 3  # bank precharged: activate only
MS_ROW_CONFLICTS = 4  # another row open: precharge + activate
MS_READ_TICKS = 5  # sum of read latencies
MS_QUEUE_TICKS = 6  # ticks reads waited for a busy bank or the data bus
MS_BUSY_TICKS = 7  # ticks the data bus transferred
NMS = 8

# --- decode cache -----------------------------------------------------------
DEC_ENTRIES = 4096

# per-op class bits (H_OPS)
OPB_RS1 = 1
OPB_RS2 = 2
OPB_MUL = 4
OPB_DIV = 8
OPB_COND = 16
OPB_JAL = 32
OPB_JALR = 64
OPB_FLUSH = 128  # serialising: ecall, ebreak, xRET, wfi, fence.i, sfence.vma
OPB_F1 = 256  # rs1 is an f register
OPB_F2 = 512  # rs2 is an f register
OPB_RS3 = 1024  # reads f register rs3 (fused multiply-add)
OPB_UNPIPELINED = 2048  # the FP unit is busy for the whole latency (fdiv, fsqrt)
OPB_WX = 4096  # writes x register rd (unless rd is x0)
OPB_WF = 8192  # writes f register rd
OPB_ITYPE_SHIFT = 16  # bits 16..19: the instruction class (index into ITYPES)

# Instruction classes, named as gem5's OpClass (committedInstType)
ITYPES = ("No_OpClass", "IntAlu", "IntMult", "IntDiv", "MemRead", "MemWrite", "FloatMemRead", "FloatMemWrite",
          "FloatAdd", "FloatMult", "FloatMultAcc", "FloatDiv", "FloatSqrt", "FloatCvt", "FloatCmp", "FloatMisc")
NITYPE = 16
ITYPE_FP_FIRST = ITYPES.index("FloatAdd")  # classes from here on use the FP unit's latencies
