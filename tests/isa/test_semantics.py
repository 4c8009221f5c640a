"""Per-instruction semantics against a Python big-integer reference.

Runs compiled, and (test_semantics_without_jit) again as plain Python under
NUMBA_DISABLE_JIT=1 in a subprocess, which must give the same answers.
"""

import os
import random
import subprocess
import sys

import numpy as np
import pytest

from graphsim.isa import decoder_gen as D

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def s64(v):
    v &= M64
    return v - (1 << 64) if v >> 63 else v


def s32(v):
    v &= M32
    return v - (1 << 32) if v >> 31 else v


def u64(v):
    return v & M64


def u32(v):
    return v & M32


def tdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _div(a, b, bits):
    if b == 0:
        return -1
    if a == -(1 << (bits - 1)) and b == -1:
        return a
    return tdiv(a, b)


def _rem(a, b, bits):
    if b == 0:
        return a
    if a == -(1 << (bits - 1)) and b == -1:
        return 0
    return a - tdiv(a, b) * b


REF = {
    "lui": lambda a, b, i: i,
    "addi": lambda a, b, i: s64(a + i),
    "slti": lambda a, b, i: int(a < i),
    "sltiu": lambda a, b, i: int(u64(a) < u64(i)),
    "xori": lambda a, b, i: a ^ i,
    "ori": lambda a, b, i: a | i,
    "andi": lambda a, b, i: a & i,
    "slli": lambda a, b, i: s64(a << (i & 63)),
    "srli": lambda a, b, i: s64(u64(a) >> (i & 63)),
    "srai": lambda a, b, i: a >> (i & 63),
    "add": lambda a, b, i: s64(a + b),
    "sub": lambda a, b, i: s64(a - b),
    "sll": lambda a, b, i: s64(a << (b & 63)),
    "slt": lambda a, b, i: int(a < b),
    "sltu": lambda a, b, i: int(u64(a) < u64(b)),
    "xor": lambda a, b, i: a ^ b,
    "srl": lambda a, b, i: s64(u64(a) >> (b & 63)),
    "sra": lambda a, b, i: a >> (b & 63),
    "or": lambda a, b, i: a | b,
    "and": lambda a, b, i: a & b,
    "addiw": lambda a, b, i: s32(a + i),
    "slliw": lambda a, b, i: s32(a << (i & 31)),
    "srliw": lambda a, b, i: s32(u32(a) >> (i & 31)),
    "sraiw": lambda a, b, i: s32(a) >> (i & 31),
    "addw": lambda a, b, i: s32(a + b),
    "subw": lambda a, b, i: s32(a - b),
    "sllw": lambda a, b, i: s32(a << (b & 31)),
    "srlw": lambda a, b, i: s32(u32(a) >> (b & 31)),
    "sraw": lambda a, b, i: s32(a) >> (b & 31),
    "mul": lambda a, b, i: s64(a * b),
    "mulh": lambda a, b, i: s64((a * b) >> 64),
    "mulhsu": lambda a, b, i: s64((a * u64(b)) >> 64),
    "mulhu": lambda a, b, i: s64((u64(a) * u64(b)) >> 64),
    "div": lambda a, b, i: s64(_div(a, b, 64)),
    "divu": lambda a, b, i: s64(u64(a) // u64(b)) if b else -1,
    "rem": lambda a, b, i: s64(_rem(a, b, 64)),
    "remu": lambda a, b, i: s64(u64(a) % u64(b)) if b else a,
    "mulw": lambda a, b, i: s32(a * b),
    "divw": lambda a, b, i: s32(_div(s32(a), s32(b), 32)),
    "divuw": lambda a, b, i: s32(u32(a) // u32(b)) if u32(b) else -1,
    "remw": lambda a, b, i: s32(_rem(s32(a), s32(b), 32)),
    "remuw": lambda a, b, i: s32(u32(a) % u32(b)) if u32(b) else s32(a),
    "mulh.rv32": lambda a, b, i: s32((s32(a) * s32(b)) >> 32),
    "mulhsu.rv32": lambda a, b, i: s32((s32(a) * u32(b)) >> 32),
    "mulhu.rv32": lambda a, b, i: s32((u32(a) * u32(b)) >> 32),
}
BRANCH = {
    "beq": lambda a, b: a == b, "bne": lambda a, b: a != b, "blt": lambda a, b: a < b,
    "bge": lambda a, b: a >= b, "bltu": lambda a, b: u64(a) < u64(b), "bgeu": lambda a, b: u64(a) >= u64(b),
}
AMO = {
    "amoswap": lambda o, s: s, "amoadd": lambda o, s: o + s, "amoxor": lambda o, s: o ^ s,
    "amoand": lambda o, s: o & s, "amoor": lambda o, s: o | s, "amomin": min, "amomax": max,
    "amominu": lambda o, s: o if u64(o) < u64(s) else s, "amomaxu": lambda o, s: o if u64(o) > u64(s) else s,
}

EDGE = [0, 1, -1, 2, -2, 31, 32, 63, 64, (1 << 31) - 1, -(1 << 31), 1 << 31, M32, (1 << 63) - 1, -(1 << 63),
        0x1234_5678_9ABC_DEF0, -0x1234_5678_9ABC_DEF0]


def _values(n, seed):
    rng = random.Random(seed)
    vals = list(EDGE)
    while len(vals) < n:
        vals.append(s64(rng.getrandbits(64) >> rng.randrange(64)))
    return vals


def check_all(n=40, seed=5):
    """Compare every ALU op, branch and AMO with the reference; return a list of mismatches."""
    vals = _values(n, seed)
    rng = random.Random(seed)
    bad = []
    for name, ref in REF.items():
        op = D.OP_NAMES.index(name)
        for a in vals:
            for b in vals[:: max(1, len(vals) // 12)]:
                imm = s64(rng.getrandbits(12)) if name not in ("lui",) else s32(rng.getrandbits(32) & ~0xFFF)
                imm = imm - 4096 if 0 <= imm - 2048 < 2048 and name != "lui" else imm
                got = int(D.alu(op, np.int64(a), np.int64(b), np.int64(imm)))
                want = ref(a, b, imm)
                if got != want:
                    bad.append((name, a, b, imm, got, want))
    for name, ref in BRANCH.items():
        op = D.OP_NAMES.index(name)
        for a in vals:
            for b in vals:
                if bool(D.branch(op, np.int64(a), np.int64(b))) != ref(a, b):
                    bad.append((name, a, b))
    for base, ref in AMO.items():
        for suffix, size in ((".w", 4), (".d", 8)):
            op = D.OP_NAMES.index(base + suffix)
            for o in vals:
                for s in vals[::3]:
                    oo = s32(o) if size == 4 else o
                    got = int(D.amo(op, np.int64(oo), np.int64(s))) & ((1 << (8 * size)) - 1)
                    if size == 4:
                        if base in ("amomin", "amomax"):
                            want = ref(s32(o), s32(s))
                        elif base in ("amominu", "amomaxu"):
                            want = ref(u32(o), u32(s))
                        else:
                            want = ref(oo, s)
                    else:
                        want = ref(o, s)
                    want &= (1 << (8 * size)) - 1
                    if got != want:
                        bad.append((base + suffix, o, s, got, want))
    for name, (mask, signed) in {"lb": (0xFF, 1), "lh": (0xFFFF, 1), "lw": (M32, 1), "ld": (M64, 1),
                                 "lbu": (0xFF, 0), "lhu": (0xFFFF, 0), "lwu": (M32, 0)}.items():
        op = D.OP_NAMES.index(name)
        for v in vals:
            bits = mask.bit_length()
            raw = v & mask
            sext = raw - (1 << bits) if raw >> (bits - 1) else raw
            got = int(D.load_ext(op, np.int64(s64(sext))))
            want = s64(sext) if signed else raw
            if got != want:
                bad.append((name, v, got, want))
    return bad


def test_semantics_compiled():
    assert check_all() == []


def test_semantics_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    code = (
        "import numpy as np, warnings; np.seterr(all='ignore'); warnings.simplefilter('ignore');"
        "from tests.isa.test_semantics import check_all; bad = check_all(14, 9); print(bad[:5]); raise SystemExit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", ["div", "rem", "divu", "remu"])
def test_division_corner_cases(name):
    op = D.OP_NAMES.index(name)
    for a in (0, 7, -7, -(1 << 63)):
        for b in (0, -1, 3):
            assert int(D.alu(op, np.int64(a), np.int64(b), np.int64(0))) == REF[name](a, b, 0)
