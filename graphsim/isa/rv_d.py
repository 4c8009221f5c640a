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
@njit(cache=True)
def fld(v):
    return v


# --- f, f(, f) -> f ---
@njit(cache=True)
def fmadd_d(a, b, c, rm):
    return sf.f64_muladd(a, b, c, rm)


@njit(cache=True)
def fmsub_d(a, b, c, rm):
    return sf.f64_muladd(a, b, c ^ SIGN64, rm)


@njit(cache=True)
def fnmsub_d(a, b, c, rm):
    return sf.f64_muladd(a ^ SIGN64, b, c, rm)


@njit(cache=True)
def fnmadd_d(a, b, c, rm):
    return sf.f64_muladd(a ^ SIGN64, b, c ^ SIGN64, rm)


@njit(cache=True)
def fadd_d(a, b, c, rm):
    return sf.f64_add(a, b, rm)


@njit(cache=True)
def fsub_d(a, b, c, rm):
    return sf.f64_sub(a, b, rm)


@njit(cache=True)
def fmul_d(a, b, c, rm):
    return sf.f64_mul(a, b, rm)


@njit(cache=True)
def fdiv_d(a, b, c, rm):
    return sf.f64_div(a, b, rm)


@njit(cache=True)
def fsqrt_d(a, b, c, rm):
    return sf.f64_sqrt(a, rm)


@njit(cache=True)
def fsgnj_d(a, b, c, rm):
    return (a & ~SIGN64) | (b & SIGN64), 0


@njit(cache=True)
def fsgnjn_d(a, b, c, rm):
    return (a & ~SIGN64) | (~b & SIGN64), 0


@njit(cache=True)
def fsgnjx_d(a, b, c, rm):
    return a ^ (b & SIGN64), 0


@njit(cache=True)
def fmin_d(a, b, c, rm):
    return sf.f64_min(a, b)


@njit(cache=True)
def fmax_d(a, b, c, rm):
    return sf.f64_max(a, b)


@njit(cache=True)
def fcvt_s_d(a, b, c, rm):
    r, fl = sf.f64_to_f32(a, rm)
    return box(r), fl


@njit(cache=True)
def fcvt_d_s(a, b, c, rm):
    return sf.f32_to_f64(unbox(a))


# --- f -> x ---
@njit(cache=True)
def fcvt_w_d(a, b, c, rm):
    return sf.f64_to_i32(a, rm)


@njit(cache=True)
def fcvt_wu_d(a, b, c, rm):
    return sf.f64_to_u32(a, rm)


@njit(cache=True)
def fcvt_l_d(a, b, c, rm):
    return sf.f64_to_i64(a, rm)


@njit(cache=True)
def fcvt_lu_d(a, b, c, rm):
    return sf.f64_to_u64(a, rm)


@njit(cache=True)
def fmv_x_d(a, b, c, rm):
    return a, 0


@njit(cache=True)
def feq_d(a, b, c, rm):
    return sf.f64_eq(a, b)


@njit(cache=True)
def flt_d(a, b, c, rm):
    return sf.f64_lt(a, b)


@njit(cache=True)
def fle_d(a, b, c, rm):
    return sf.f64_le(a, b)


@njit(cache=True)
def fclass_d(a, b, c, rm):
    return sf.f64_classify(a), 0


# --- x -> f ---
@njit(cache=True)
def fcvt_d_w(a, b, c, rm):
    return sf.i32_to_f64(a, rm)


@njit(cache=True)
def fcvt_d_wu(a, b, c, rm):
    return sf.u32_to_f64(a, rm)


@njit(cache=True)
def fcvt_d_l(a, b, c, rm):
    return sf.i64_to_f64(a, rm)


@njit(cache=True)
def fcvt_d_lu(a, b, c, rm):
    return sf.u64_to_f64(a, rm)


@njit(cache=True)
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
