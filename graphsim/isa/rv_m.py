"""M extension: multiply and divide, one semantics function per instruction.

All take ``(a, b, imm)`` and return rd, computing in int64 only (the 128-bit
high products are built from 32-bit halves). Division follows the spec's
table for division by zero and signed overflow.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from .bits import M32, SIGN64, sext32, srl64, ult


@njit(cache=True)
def _mulhu64(a, b):
    a0 = a & M32
    a1 = srl64(a, 32)
    b0 = b & M32
    b1 = srl64(b, 32)
    p00 = a0 * b0
    p01 = a0 * b1
    p10 = a1 * b0
    p11 = a1 * b1
    mid = srl64(p00, 32) + (p01 & M32) + (p10 & M32)
    return p11 + srl64(p01, 32) + srl64(p10, 32) + srl64(mid, 32)


@njit(cache=True)
def _divu64(a, b):
    """Unsigned 64-bit a // b for b != 0, in int64 arithmetic."""
    if b < 0:  # b >= 2**63
        return 0 if ult(a, b) else 1
    if a >= 0:
        return a // b
    q = (srl64(a, 1) // b) << 1
    r = a - q * b
    if not ult(r, b):
        q += 1
    return q


@njit(cache=True)
def _div64(a, b):
    if b == 0:
        return -1
    if a == SIGN64 and b == -1:
        return a
    q = a // b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q += 1
    return q


@njit(cache=True, inline='always')
def mul(a, b, imm):
    return a * b


@njit(cache=True, inline='always')
def mulh(a, b, imm):
    h = _mulhu64(a, b)
    if a < 0:
        h -= b
    if b < 0:
        h -= a
    return h


@njit(cache=True, inline='always')
def mulhsu(a, b, imm):
    h = _mulhu64(a, b)
    if a < 0:
        h -= b
    return h


@njit(cache=True, inline='always')
def mulhu(a, b, imm):
    return _mulhu64(a, b)


@njit(cache=True, inline='always')
def div(a, b, imm):
    return _div64(a, b)


@njit(cache=True, inline='always')
def divu(a, b, imm):
    if b == 0:
        return -1
    return _divu64(a, b)


@njit(cache=True, inline='always')
def rem(a, b, imm):
    if b == 0:
        return a
    if a == SIGN64 and b == -1:
        return 0
    return a - _div64(a, b) * b


@njit(cache=True, inline='always')
def remu(a, b, imm):
    if b == 0:
        return a
    return a - _divu64(a, b) * b


@njit(cache=True, inline='always')
def mulw(a, b, imm):
    return sext32(a * b)


@njit(cache=True, inline='always')
def divw(a, b, imm):
    return sext32(_div64(sext32(a), sext32(b)))


@njit(cache=True, inline='always')
def divuw(a, b, imm):
    bu = b & M32
    if bu == 0:
        return -1
    return sext32((a & M32) // bu)


@njit(cache=True, inline='always')
def remw(a, b, imm):
    a32 = sext32(a)
    b32 = sext32(b)
    if b32 == 0:
        return a32
    return sext32(a32 - _div64(a32, b32) * b32)


@njit(cache=True, inline='always')
def remuw(a, b, imm):
    bu = b & M32
    if bu == 0:
        return sext32(a)
    return sext32((a & M32) % bu)


# RV32 high-half products (registers hold sign-extended 32-bit values)
@njit(cache=True, inline='always')
def mulh_rv32(a, b, imm):
    return sext32((sext32(a) * sext32(b)) >> 32)


@njit(cache=True, inline='always')
def mulhsu_rv32(a, b, imm):
    return sext32((sext32(a) * (b & M32)) >> 32)


@njit(cache=True, inline='always')
def mulhu_rv32(a, b, imm):
    return sext32(srl64((a & M32) * (b & M32), 32))


ALU = {
    "mul": mul, "mulh": mulh, "mulhsu": mulhsu, "mulhu": mulhu, "div": div, "divu": divu,
    "rem": rem, "remu": remu, "mulw": mulw, "divw": divw, "divuw": divuw, "remw": remw, "remuw": remuw,
    "mulh.rv32": mulh_rv32, "mulhsu.rv32": mulhsu_rv32, "mulhu.rv32": mulhu_rv32,
}
RV32_OPS = {
    "mul": "mulw", "mulh": "mulh.rv32", "mulhsu": "mulhsu.rv32", "mulhu": "mulhu.rv32",
    "div": "divw", "divu": "divuw", "rem": "remw", "remu": "remuw",
}
