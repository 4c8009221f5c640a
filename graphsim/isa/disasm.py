"""A small disassembler derived from the encoding tables (used by --trace).

The mnemonic comes from the table entry that matches the word (so compressed
instructions print as c.*), operands from the same accessors the decoder
uses. Output follows objdump's style closely enough to read a trace.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import bits, encoding, rv_d, rv_f
from .csr import CSR_NAMES

ABI = (
    "zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6"
).split()
FABI = (
    "ft0 ft1 ft2 ft3 ft4 ft5 ft6 ft7 fs0 fs1 fa0 fa1 fa2 fa3 fa4 fa5 fa6 fa7 fs2 fs3 fs4 fs5 fs6 fs7 fs8 fs9 "
    "fs10 fs11 ft8 ft9 ft10 ft11"
).split()
ROUNDING = ("rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn")
_EXACT = ("fcvt.d.s", "fcvt.d.w", "fcvt.d.wu")  # conversions that never round (objdump shows no rm = 0)
# Register files of the FP instructions' rd and rs1 (rs2 and rs3 are always f registers).
_FP_FILES = {**{n: (FABI, FABI) for m in (rv_f, rv_d) for n in m.FPU},
             **{n: (ABI, FABI) for m in (rv_f, rv_d) for n in m.FPX},
             **{n: (FABI, ABI) for m in (rv_f, rv_d) for n in m.XFP}}


@lru_cache(maxsize=4)
def _by_length(xlen):
    encs = encoding.encodings_for(xlen)
    return [e for e in encs if e.length == 2], [e for e in encs if e.length == 4]


def _f(name, w):
    return int(getattr(bits, name).py_func(np.int64(w)))


def find(word: int, xlen: int = 64):
    """The table entry matching word, or None."""
    c16, c32 = _by_length(xlen)
    if word & 3 != 3:
        w = word & 0xFFFF
        for e in c16:
            if e.matches(w):
                return e
        return None
    w = word & 0xFFFFFFFF
    for e in c32:
        if e.matches(w):
            return e
    return None


def disasm(word: int, xlen: int = 64, pc: int | None = None) -> str:
    e = find(word, xlen)
    if e is None:
        return f".word {word & 0xFFFFFFFF:#010x}" if word & 3 == 3 else f".half {word & 0xFFFF:#06x}"
    w = word & (0xFFFF if e.length == 2 else 0xFFFFFFFF)
    r = ABI
    if e.expansion:
        base, args = e.expansion
        vals = {k: (v if isinstance(v, int) else _f(v, w)) for k, v in args}
        ops = []
        if base in ("lw", "ld", "flw", "fld"):
            dest = FABI if base.startswith("f") else r
            return f"{e.name} {dest[vals['rd']]},{vals['imm']}({r[vals['rs1']]})"
        if base in ("sw", "sd", "fsw", "fsd"):
            src = FABI if base.startswith("f") else r
            return f"{e.name} {src[vals['rs2']]},{vals['imm']}({r[vals['rs1']]})"
        if base in ("jal",):
            tgt = vals["imm"] if pc is None else f"{(pc + vals['imm']) & ((1 << xlen) - 1):#x}"
            return f"{e.name} {tgt}"
        if base in ("beq", "bne"):
            tgt = vals["imm"] if pc is None else f"{(pc + vals['imm']) & ((1 << xlen) - 1):#x}"
            return f"{e.name} {r[vals['rs1']]},{tgt}"
        if base == "jalr":
            return f"{e.name} {r[vals['rs1']]}"
        if base == "ebreak":
            return e.name
        for k in ("rd", "rs1", "rs2"):
            if k in vals and not (k == "rs1" and vals.get("rd") == vals.get("rs1") and "rd" in vals) and not (
                k == "rs1" and e.name in ("c.li", "c.mv", "c.lui")
            ):
                ops.append(r[vals[k]])
        if "imm" in vals and base not in ("add", "sub", "xor", "or", "and", "addw", "subw"):
            ops.append(str(vals["imm"] if base != "lui" else (vals["imm"] >> 12) & 0xFFFFF))
        return f"{e.name} {','.join(ops)}".strip()
    name = e.name
    o = e.operands
    rd, rs1, rs2 = _f("rd", w), _f("rs1", w), _f("rs2", w)
    if name in ("ecall", "ebreak", "mret", "sret", "wfi", "fence.i"):
        return name
    if name == "fence":
        return "fence"
    if name == "m5op":
        return f"m5op {_f('m5func', w):#x}"
    if e.ext in ("f", "d"):
        return _disasm_fp(name, o, w)
    if "csr" in o:
        c = CSR_NAMES.get(_f("csr", w), f"{_f('csr', w):#x}")
        src = str(rs1) if "zimm" in o else r[rs1]
        return f"{name} {r[rd]},{c},{src}"
    if "imm20" in o:
        return f"{name} {r[rd]},{(_f('u_imm', w) >> 12) & 0xFFFFF:#x}"
    if "jimm20" in o:
        imm = _f("j_imm", w)
        return f"{name} {r[rd]},{imm if pc is None else hex((pc + imm) & ((1 << xlen) - 1))}"
    if "bimm12hi" in o:
        imm = _f("b_imm", w)
        return f"{name} {r[rs1]},{r[rs2]},{imm if pc is None else hex((pc + imm) & ((1 << xlen) - 1))}"
    if "imm12hi" in o:
        return f"{name} {r[rs2]},{_f('s_imm', w)}({r[rs1]})"
    if name.startswith("l") and "imm12" in o and name not in ("lui",) or name == "jalr":
        return f"{name} {r[rd]},{_f('i_imm', w)}({r[rs1]})"
    if "imm12" in o:
        return f"{name} {r[rd]},{r[rs1]},{_f('i_imm', w)}"
    if "shamtd" in o or "shamtw" in o:
        return f"{name} {r[rd]},{r[rs1]},{_f('shamt', w) & (63 if 'shamtd' in o else 31)}"
    if name.startswith("lr."):
        return f"{name} {r[rd]},({r[rs1]})"
    if name.startswith(("sc.", "amo")):
        return f"{name} {r[rd]},{r[rs2]},({r[rs1]})"
    if name == "sfence.vma":
        return f"{name} {r[rs1]},{r[rs2]}"
    return f"{name} {r[rd]},{r[rs1]},{r[rs2]}"


def _disasm_fp(name, o, w):
    if "imm12hi" in o:
        return f"{name} {FABI[_f('rs2', w)]},{_f('s_imm', w)}({ABI[_f('rs1', w)]})"
    if "imm12" in o:
        return f"{name} {FABI[_f('rd', w)]},{_f('i_imm', w)}({ABI[_f('rs1', w)]})"
    rd_file, rs1_file = _FP_FILES[name]
    ops = [rd_file[_f("rd", w)], rs1_file[_f("rs1", w)]]
    if "rs2" in o:
        ops.append(FABI[_f("rs2", w)])
    if "rs3" in o:
        ops.append(FABI[_f("rs3", w)])
    rm = _f("rm", w) if "rm" in o else 7
    if rm != 7 and not (rm == 0 and name in _EXACT):  # objdump leaves these out
        ops.append(ROUNDING[rm])
    return f"{name} {','.join(ops)}"


def register_name(index: int) -> str:
    """The ABI name of a trace record's register: x0..x31 as 0..31, f0..f31 as 32..63."""
    return FABI[index - 32] if index >= 32 else ABI[index]


def format_trace(rows, xlen: int = 64) -> list[str]:
    """Lines for trace records from Core.run_trace: hart, pc, insn, disassembly, register write."""
    out = []
    for row in rows:
        h, pc, insn, rd, value, priv = (int(x) for x in row[:6])
        pcu = pc & ((1 << xlen) - 1)
        width = 4 if insn & 3 != 3 else 8
        text = disasm(insn, xlen, pcu)
        line = f"{h} {'USHM'[priv] if priv < 4 else '?'} {pcu:016x} ({insn:0{width}x}) {text}"
        if rd >= 32:
            line += f"  {register_name(rd)}={value & ((1 << 64) - 1):#x}"
        elif rd >= 0:
            line += f"  {ABI[rd]}={value & ((1 << xlen) - 1):#x}"
        out.append(line)
    return out
