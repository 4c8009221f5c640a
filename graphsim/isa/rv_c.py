"""C extension: compressed instructions expand to a base operation.

The expansions are data in opcodes/rv_c, rv32_c and rv64_c (`=> base rd=..
rs1=.. rs2=.. imm=..`, operands from the rvc_* accessors in bits.py); the
generated decoder applies them, so a compressed instruction executes the
semantics of its base instruction and only its length (2) differs. This
module offers the expansion to Python callers (disassembler, tests).
"""

from __future__ import annotations

from . import bits, encoding


def expand(halfword: int, xlen: int = 64):
    """(c-name, base-name, {operand: value}) for a 16-bit instruction, or None if illegal."""
    import numpy as np

    w = np.int64(halfword & 0xFFFF)
    for e in encoding.encodings_for(xlen, {"c"}):
        if e.matches(int(w)):
            base, args = e.expansion
            ops = {}
            for k, v in args:
                ops[k] = v if isinstance(v, int) else int(getattr(bits, v).py_func(w))
            return e.name, base, ops
    return None
