"""Which guest instructions form a compiled block.

A block starts at a hot pc and runs straight on through the instructions the
compiled code covers (the RV64 integer ALU and M operations, integer loads and
stores, auipc, branches and jumps), through conditional branches (their
fall-through), ending after its first jump, before anything else (CSR and system instructions, AMOs, FP, illegal words),
at the end of its 4 KiB page and at MAX_INSNS (MAX_STRAIGHT without a branch). Decoding uses the kernel's
own decoder, so a block means exactly what the interpreter would execute.
"""

from __future__ import annotations

from typing import NamedTuple

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


class Insn(NamedTuple):
    pc: int  # virtual
    length: int  # 2 or 4 bytes
    op: int
    rd: int
    rs1: int
    rs2: int
    imm: int


_DECODED: dict = {}  # (instruction word, decoder flags) -> the kernel decoder's result


def _decode(w: int, hflags: int) -> int:
    d = _DECODED.get((w, hflags))
    if d is None:
        if len(_DECODED) >= 1 << 16:
            _DECODED.clear()
        d = _DECODED[(w, hflags)] = int(D.decode(np.int64(w), np.int64(hflags)))
    return d


def find_block(ram: np.ndarray, ro: int, pc: int, hflags: int, end: int | None = None,
               straight: bool = False) -> tuple[list[Insn], bytes]:
    """The block at RAM offset ro (virtual pc) and the code bytes it was decoded from (ram[:end] if given: a
    copy of the code from the block's start). straight: only up to its first conditional branch (whether a
    block is long: engine.LONG_BLOCK)."""
    insns: list[Insn] = []
    ialign = 0 if hflags & D.FLAG_C else 2
    code = bytes(ram[ro:(ro | 0xFFF) + 1 if end is None else end])  # (a block ends at its page's end)
    o = 0
    branched = False
    while len(insns) < MAX_STRAIGHT and o + 2 <= len(code):
        w = code[o] | (code[o + 1] << 8)
        if w & 3 == 3:
            if o + 4 > len(code):
                break
            w |= (code[o + 2] | (code[o + 3] << 8)) << 16
        d = _decode(w, hflags)
        op = d & 0xFF
        if op not in COVERED:
            break
        if straight and branched:
            break  # (after the first conditional branch)
        branched = branched or op in BRANCHES
        if len(insns) >= MAX_INSNS and branched:
            break
        length = 4 - ((d >> 22) & 2)
        imm = d >> 32
        if (op in BRANCHES or op == D.OP_JAL) and (pc + imm) & ialign:
            break  # a misaligned target: the interpreter raises the exception
        insns.append(Insn(pc, length, op, (d >> 8) & 31, (d >> 13) & 31, (d >> 18) & 31, imm))
        o += length
        pc = (pc + length) & 0xFFFFFFFFFFFFFFFF
        if pc >= 1 << 63:
            pc -= 1 << 64
        if op in ENDS:
            break
    return insns, code[:o]
