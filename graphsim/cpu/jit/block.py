"""Which guest instructions form a compiled block.

A block starts at a hot pc and runs straight on through the instructions the
compiled code covers (the RV64 integer ALU and M operations, integer loads and
stores, auipc, branches and jumps), through conditional branches (their
fall-through), ending after its first jump, before anything else (CSR and system instructions, AMOs, FP, illegal words),
at the end of its 4 KiB page and at MAX_INSNS (MAX_STRAIGHT without a branch). Decoding uses the kernel's
own decoder, so a block means exactly what the interpreter would execute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...isa import decoder_gen as D

MAX_INSNS = 48
# Straight-line code (no conditional branch) goes on to MAX_STRAIGHT: Linux's SHA-3 rounds are one block of
# 445 instructions (engine.LONG_BLOCK). A block with a branch stays short, since a block that loops in place
# runs another pass only while a whole block's length fits in the slice.
MAX_STRAIGHT = 512

# operations the compiled code covers (RV64 only: the RV32-only high products are not among them)
COVERED = frozenset(
    [op for op in range(D.ALU_FIRST, D.ALU_LAST + 1) if op not in (D.OP_MULH_RV32, D.OP_MULHSU_RV32, D.OP_MULHU_RV32)]
    + list(range(D.BRANCH_FIRST, D.BRANCH_LAST + 1))
    + [D.OP_LB, D.OP_LH, D.OP_LW, D.OP_LD, D.OP_LBU, D.OP_LHU, D.OP_LWU, D.OP_SB, D.OP_SH, D.OP_SW, D.OP_SD]
    + [D.OP_JAL, D.OP_JALR, D.OP_AUIPC]
)
BRANCHES = frozenset(range(D.BRANCH_FIRST, D.BRANCH_LAST + 1))
ENDS = frozenset([D.OP_JAL, D.OP_JALR])  # (a block goes on after a conditional branch: its fall-through)


@dataclass(frozen=True)
class Insn:
    pc: int  # virtual
    length: int  # 2 or 4 bytes
    op: int
    rd: int
    rs1: int
    rs2: int
    imm: int


def find_block(ram: np.ndarray, ro: int, pc: int, hflags: int) -> tuple[list[Insn], bytes]:
    """The block at RAM offset ro (virtual pc) and the code bytes it was decoded from."""
    insns: list[Insn] = []
    ialign = 0 if hflags & D.FLAG_C else 2
    page_end = (ro | 0xFFF) + 1
    o = ro
    branched = False
    while len(insns) < MAX_STRAIGHT and o + 2 <= page_end:
        w = int(ram[o]) | (int(ram[o + 1]) << 8)
        if w & 3 == 3:
            if o + 4 > page_end:
                break
            w |= (int(ram[o + 2]) | (int(ram[o + 3]) << 8)) << 16
        d = int(D.decode(np.int64(w), np.int64(hflags)))
        op = d & 0xFF
        if op not in COVERED:
            break
        branched = branched or op in BRANCHES
        if len(insns) >= MAX_INSNS and branched:
            break
        ins = Insn(pc, 4 - ((d >> 22) & 2), op, (d >> 8) & 31, (d >> 13) & 31, (d >> 18) & 31, d >> 32)
        if (op in BRANCHES or op == D.OP_JAL) and (pc + ins.imm) & ialign:
            break  # a misaligned target: the interpreter raises the exception
        insns.append(ins)
        o += ins.length
        pc = (pc + ins.length) & 0xFFFFFFFFFFFFFFFF
        if pc >= 1 << 63:
            pc -= 1 << 64
        if op in ENDS:
            break
    return insns, bytes(ram[ro:o])
