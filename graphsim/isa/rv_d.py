"""D extension: double-precision floating point, one semantics function per instruction.

Same conventions as rv_f.py: ``(a, b, c, rm) -> (value, fflags)`` over raw
64-bit register contents, arithmetic in graphsim/isa/softfloat.py. A double
uses the whole register (no boxing); fcvt.s.d boxes its single result and
fcvt.d.s unboxes its operand.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from . import softfloat as sf
from .rv_f import box, unbox

SIGN64 = -0x8000000000000000


# --- loads ---
@njit(cache=True, inline='always')
def fld(v):
    return v


# --- f, f(, f) -> f ---
@njit(cache=True, inline='always')
def fmadd_d(a, b, c, rm):
    return sf.arith(sf.FMADD, sf.F64, a, b, c, rm)


@njit(cache=True, inline='always')
def fmsub_d(a, b, c, rm):
    return sf.arith(sf.FMSUB, sf.F64, a, b, c, rm)


@njit(cache=True, inline='always')
def fnmsub_d(a, b, c, rm):
    return sf.arith(sf.FNMSUB, sf.F64, a, b, c, rm)


@njit(cache=True, inline='always')
def fnmadd_d(a, b, c, rm):
    return sf.arith(sf.FNMADD, sf.F64, a, b, c, rm)


@njit(cache=True, inline='always')
def fadd_d(a, b, c, rm):
    return sf.arith(sf.ADD, sf.F64, a, b, 0, rm)


@njit(cache=True, inline='always')
def fsub_d(a, b, c, rm):
    return sf.arith(sf.SUB, sf.F64, a, b, 0, rm)


@njit(cache=True, inline='always')
def fmul_d(a, b, c, rm):
    return sf.arith(sf.MUL, sf.F64, a, b, 0, rm)


@njit(cache=True, inline='always')
def fdiv_d(a, b, c, rm):
    return sf.arith(sf.DIV, sf.F64, a, b, 0, rm)


@njit(cache=True, inline='always')
def fsqrt_d(a, b, c, rm):
    return sf.arith(sf.SQRT, sf.F64, a, 0, 0, rm)


@njit(cache=True, inline='always')
def fsgnj_d(a, b, c, rm):
    return (a & ~SIGN64) | (b & SIGN64), 0


@njit(cache=True, inline='always')
def fsgnjn_d(a, b, c, rm):
    return (a & ~SIGN64) | (~b & SIGN64), 0


@njit(cache=True, inline='always')
def fsgnjx_d(a, b, c, rm):
    return a ^ (b & SIGN64), 0


@njit(cache=True, inline='always')
def fmin_d(a, b, c, rm):
    return sf.minmax(a, b, sf.F64, False)


@njit(cache=True, inline='always')
def fmax_d(a, b, c, rm):
    return sf.minmax(a, b, sf.F64, True)


@njit(cache=True, inline='always')
def fcvt_s_d(a, b, c, rm):
    r, fl = sf.convert(a, rm, sf.F64, sf.F32)
    return box(r), fl


@njit(cache=True, inline='always')
def fcvt_d_s(a, b, c, rm):
    return sf.convert(unbox(a), rm, sf.F32, sf.F64)


# --- f -> x ---
@njit(cache=True, inline='always')
def fcvt_w_d(a, b, c, rm):
    return sf.to_int(a, rm, sf.F64, sf.I32)


@njit(cache=True, inline='always')
def fcvt_wu_d(a, b, c, rm):
    return sf.to_int(a, rm, sf.F64, sf.U32)


@njit(cache=True, inline='always')
def fcvt_l_d(a, b, c, rm):
    return sf.to_int(a, rm, sf.F64, sf.I64)


@njit(cache=True, inline='always')
def fcvt_lu_d(a, b, c, rm):
    return sf.to_int(a, rm, sf.F64, sf.U64)


@njit(cache=True, inline='always')
def fmv_x_d(a, b, c, rm):
    return a, 0


@njit(cache=True, inline='always')
def feq_d(a, b, c, rm):
    return sf.compare(a, b, sf.F64, sf.EQ)


@njit(cache=True, inline='always')
def flt_d(a, b, c, rm):
    return sf.compare(a, b, sf.F64, sf.LT)


@njit(cache=True, inline='always')
def fle_d(a, b, c, rm):
    return sf.compare(a, b, sf.F64, sf.LE)


@njit(cache=True, inline='always')
def fclass_d(a, b, c, rm):
    return sf.classify(a, sf.F64), 0


# --- x -> f ---
@njit(cache=True, inline='always')
def fcvt_d_w(a, b, c, rm):
    return sf.from_int(a, rm, sf.F64, sf.I32)


@njit(cache=True, inline='always')
def fcvt_d_wu(a, b, c, rm):
    return sf.from_int(a, rm, sf.F64, sf.U32)


@njit(cache=True, inline='always')
def fcvt_d_l(a, b, c, rm):
    return sf.from_int(a, rm, sf.F64, sf.I64)


@njit(cache=True, inline='always')
def fcvt_d_lu(a, b, c, rm):
    return sf.from_int(a, rm, sf.F64, sf.U64)


@njit(cache=True, inline='always')
def fmv_d_x(a, b, c, rm):
    return a, 0


LOAD = {"fld": (8, fld)}
STORE = {"fsd": 8}
FPU = {
    "fmadd.d": fmadd_d, "fmsub.d": fmsub_d, "fnmsub.d": fnmsub_d, "fnmadd.d": fnmadd_d,
    "fadd.d": fadd_d, "fsub.d": fsub_d, "fmul.d": fmul_d, "fdiv.d": fdiv_d, "fsqrt.d": fsqrt_d,
    "fsgnj.d": fsgnj_d, "fsgnjn.d": fsgnjn_d, "fsgnjx.d": fsgnjx_d, "fmin.d": fmin_d, "fmax.d": fmax_d,
    "fcvt.s.d": fcvt_s_d, "fcvt.d.s": fcvt_d_s,
}
FPX = {
    "fcvt.w.d": fcvt_w_d, "fcvt.wu.d": fcvt_wu_d, "fcvt.l.d": fcvt_l_d, "fcvt.lu.d": fcvt_lu_d,
    "fmv.x.d": fmv_x_d, "feq.d": feq_d, "flt.d": flt_d, "fle.d": fle_d, "fclass.d": fclass_d,
}
XFP = {
    "fcvt.d.w": fcvt_d_w, "fcvt.d.wu": fcvt_d_wu, "fcvt.d.l": fcvt_d_l, "fcvt.d.lu": fcvt_d_lu,
    "fmv.d.x": fmv_d_x,
}
