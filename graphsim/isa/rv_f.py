"""F extension: single-precision floating point, one semantics function per instruction.

The arithmetic is graphsim/isa/softfloat.py (bit-exact IEEE 754 as RISC-V
defines it); this module adds what the ISA adds around it: NaN-boxing (a
single lives in the low 32 bits of a 64-bit f register whose upper 32 bits
are all ones; an operand that is not so boxed reads as the canonical NaN),
the sign-injection and move instructions, and the fused multiply-add
variants as sign flips of one muladd.

Every function takes ``(a, b, c, rm)`` — the raw 64-bit contents of the
source registers (rs1, rs2, rs3; for instructions that read an integer
register, ``a`` is that register's value) and a resolved rounding mode
0..4 — and returns ``(value, fflags)``: the value written to rd (boxed for
an f destination, sign-extended for an x destination) and the exception
flags to accrue. graphsim/isa/fpexec.py resolves the dynamic rounding mode
and traps reserved ones; the kernel accrues the flags and marks mstatus.FS
Dirty. Which register file each instruction reads and writes is
given by the tables at the end (`FPU`, `FPX`, `XFP`).
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from . import softfloat as sf
from .bits import sext32

SIGN32 = 0x80000000
BOX = -0x100000000  # the upper 32 bits all ones
CANON32 = 0x7FC00000


@njit(cache=True, inline='always')
def unbox(v):
    """The single held in a 64-bit register value (the canonical NaN if it is not NaN-boxed)."""
    if (v >> 32) == -1:
        return v & 0xFFFFFFFF
    return CANON32


@njit(cache=True, inline='always')
def box(v):
    return (v & 0xFFFFFFFF) | BOX


# --- loads (class "load": value loaded, sign-extended from 4 bytes -> register) ---
@njit(cache=True, inline='always')
def flw(v):
    return box(v)


# --- f, f(, f) -> f ---
@njit(cache=True, inline='always')
def fmadd_s(a, b, c, rm):
    r, fl = sf.arith(sf.FMADD, sf.F32, unbox(a), unbox(b), unbox(c), rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fmsub_s(a, b, c, rm):
    r, fl = sf.arith(sf.FMSUB, sf.F32, unbox(a), unbox(b), unbox(c), rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fnmsub_s(a, b, c, rm):
    r, fl = sf.arith(sf.FNMSUB, sf.F32, unbox(a), unbox(b), unbox(c), rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fnmadd_s(a, b, c, rm):
    r, fl = sf.arith(sf.FNMADD, sf.F32, unbox(a), unbox(b), unbox(c), rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fadd_s(a, b, c, rm):
    r, fl = sf.arith(sf.ADD, sf.F32, unbox(a), unbox(b), 0, rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fsub_s(a, b, c, rm):
    r, fl = sf.arith(sf.SUB, sf.F32, unbox(a), unbox(b), 0, rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fmul_s(a, b, c, rm):
    r, fl = sf.arith(sf.MUL, sf.F32, unbox(a), unbox(b), 0, rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fdiv_s(a, b, c, rm):
    r, fl = sf.arith(sf.DIV, sf.F32, unbox(a), unbox(b), 0, rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fsqrt_s(a, b, c, rm):
    r, fl = sf.arith(sf.SQRT, sf.F32, unbox(a), 0, 0, rm)
    return box(r), fl


@njit(cache=True, inline='always')
def fsgnj_s(a, b, c, rm):
    return box((unbox(a) & ~SIGN32) | (unbox(b) & SIGN32)), 0


@njit(cache=True, inline='always')
def fsgnjn_s(a, b, c, rm):
    return box((unbox(a) & ~SIGN32) | (~unbox(b) & SIGN32)), 0


@njit(cache=True, inline='always')
def fsgnjx_s(a, b, c, rm):
    return box(unbox(a) ^ (unbox(b) & SIGN32)), 0


@njit(cache=True, inline='always')
def fmin_s(a, b, c, rm):
    r, fl = sf.minmax(unbox(a), unbox(b), sf.F32, False)
    return box(r), fl


@njit(cache=True, inline='always')
def fmax_s(a, b, c, rm):
    r, fl = sf.minmax(unbox(a), unbox(b), sf.F32, True)
    return box(r), fl


# --- f -> x ---
@njit(cache=True, inline='always')
def fcvt_w_s(a, b, c, rm):
    return sf.to_int(unbox(a), rm, sf.F32, sf.I32)


@njit(cache=True, inline='always')
def fcvt_wu_s(a, b, c, rm):
    return sf.to_int(unbox(a), rm, sf.F32, sf.U32)


@njit(cache=True, inline='always')
def fcvt_l_s(a, b, c, rm):
    return sf.to_int(unbox(a), rm, sf.F32, sf.I64)


@njit(cache=True, inline='always')
def fcvt_lu_s(a, b, c, rm):
    return sf.to_int(unbox(a), rm, sf.F32, sf.U64)


@njit(cache=True, inline='always')
def fmv_x_w(a, b, c, rm):
    return sext32(a), 0  # the raw low 32 bits, boxed or not


@njit(cache=True, inline='always')
def feq_s(a, b, c, rm):
    return sf.compare(unbox(a), unbox(b), sf.F32, sf.EQ)


@njit(cache=True, inline='always')
def flt_s(a, b, c, rm):
    return sf.compare(unbox(a), unbox(b), sf.F32, sf.LT)


@njit(cache=True, inline='always')
def fle_s(a, b, c, rm):
    return sf.compare(unbox(a), unbox(b), sf.F32, sf.LE)


@njit(cache=True, inline='always')
def fclass_s(a, b, c, rm):
    return sf.classify(unbox(a), sf.F32), 0


# --- x -> f ---
@njit(cache=True, inline='always')
def fcvt_s_w(a, b, c, rm):
    r, fl = sf.from_int(a, rm, sf.F32, sf.I32)
    return box(r), fl


@njit(cache=True, inline='always')
def fcvt_s_wu(a, b, c, rm):
    r, fl = sf.from_int(a, rm, sf.F32, sf.U32)
    return box(r), fl


@njit(cache=True, inline='always')
def fcvt_s_l(a, b, c, rm):
    r, fl = sf.from_int(a, rm, sf.F32, sf.I64)
    return box(r), fl


@njit(cache=True, inline='always')
def fcvt_s_lu(a, b, c, rm):
    r, fl = sf.from_int(a, rm, sf.F32, sf.U64)
    return box(r), fl


@njit(cache=True, inline='always')
def fmv_w_x(a, b, c, rm):
    return box(a), 0


LOAD = {"flw": (4, flw)}
STORE = {"fsw": 4}  # stores the low 32 bits of the f register as they are
# Register files: FPU reads f registers and writes an f register; FPX reads f, writes x; XFP reads x, writes f.
FPU = {
    "fmadd.s": fmadd_s, "fmsub.s": fmsub_s, "fnmsub.s": fnmsub_s, "fnmadd.s": fnmadd_s,
    "fadd.s": fadd_s, "fsub.s": fsub_s, "fmul.s": fmul_s, "fdiv.s": fdiv_s, "fsqrt.s": fsqrt_s,
    "fsgnj.s": fsgnj_s, "fsgnjn.s": fsgnjn_s, "fsgnjx.s": fsgnjx_s, "fmin.s": fmin_s, "fmax.s": fmax_s,
}
FPX = {
    "fcvt.w.s": fcvt_w_s, "fcvt.wu.s": fcvt_wu_s, "fcvt.l.s": fcvt_l_s, "fcvt.lu.s": fcvt_lu_s,
    "fmv.x.w": fmv_x_w, "feq.s": feq_s, "flt.s": flt_s, "fle.s": fle_s, "fclass.s": fclass_s,
}
XFP = {
    "fcvt.s.w": fcvt_s_w, "fcvt.s.wu": fcvt_s_wu, "fcvt.s.l": fcvt_s_l, "fcvt.s.lu": fcvt_s_lu,
    "fmv.w.x": fmv_w_x,
}
