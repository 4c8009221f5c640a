"""graphsim.isa.softfloat (compiled) against the exact reference model fpref.

Special values crossed exhaustively under every rounding mode, then
hypothesis over random bit patterns, structured values (extreme exponents,
all-ones/one-bit fractions), near-equal operands (cancellation), fused sums
near zero and conversions near the integer limits.
"""

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsim.isa import softfloat as S
from tests.isa import fpref as R

M64 = (1 << 64) - 1
MODES = range(5)
FMTS = {"f32": R.F32, "f64": R.F64}


def s64(v):
    v &= M64
    return v - (1 << 64) if v >> 63 else v


def specials(fmt):
    """Hand-picked operands of one format (unsigned bit patterns)."""
    m, sign, emask = fmt.m, fmt.sign, fmt.emask
    one = fmt.bias << m
    mags = [
        0,  # zero
        1,  # min subnormal
        2,
        (1 << m) - 1,  # max subnormal
        1 << (m - 1),  # a subnormal half of min normal
        1 << m,  # min normal
        (1 << m) + 1,
        one,  # 1.0
        one + 1,  # 1 + ulp
        one - 1,  # 1 - ulp/2
        one | (1 << (m - 1)),  # 1.5
        (fmt.bias + 1) << m,  # 2.0
        ((fmt.bias + 1) << m) | ((1 << m) - 1),  # just below 4
        (emask - 1) << m,  # 2**emax
        ((emask - 1) << m) | ((1 << m) - 1),  # max finite
        (fmt.bias - 1) << m | 0x5555 << (m - 16),  # ~0.667
        emask << m,  # inf
        (emask << m) | (1 << (m - 1)),  # canonical qNaN
        (emask << m) | 1,  # sNaN
        (emask << m) | (1 << (m - 1)) | 5,  # qNaN with payload
    ]
    return [x | s for x in mags for s in (0, sign)]


SPECIALS = {name: specials(fmt) for name, fmt in FMTS.items()}


FORMATS = {"f32": S.F32, "f64": S.F64}
INT_KINDS = {"i32": S.I32, "u32": S.U32, "i64": S.I64, "u64": S.U64}


def module(name, op):
    """softfloat's op on format name, as a function of (operands..., rm) (no rm for the
    comparisons, min/max and classify)."""
    f = FORMATS[name]
    return {
        "add": lambda a, b, rm: S.arith(S.ADD, f, a, b, 0, rm),
        "sub": lambda a, b, rm: S.arith(S.SUB, f, a, b, 0, rm),
        "mul": lambda a, b, rm: S.arith(S.MUL, f, a, b, 0, rm),
        "div": lambda a, b, rm: S.arith(S.DIV, f, a, b, 0, rm),
        "sqrt": lambda a, rm: S.arith(S.SQRT, f, a, 0, 0, rm),
        "muladd": lambda a, b, c, rm: S.arith(S.FMADD, f, a, b, c, rm),
        "min": lambda a, b: S.minmax(a, b, f, False),
        "max": lambda a, b: S.minmax(a, b, f, True),
        "eq": lambda a, b: S.compare(a, b, f, S.EQ),
        "lt": lambda a, b: S.compare(a, b, f, S.LT),
        "le": lambda a, b: S.compare(a, b, f, S.LE),
        "classify": lambda a: S.classify(a, f),
    }[op]


def check(got, want, what):
    gr, gf = got
    wr, wf = want
    assert (gr & M64, gf) == (wr & M64, wf), f"{what}: got {gr & M64:#x}/{gf:#04x} want {wr & M64:#x}/{wf:#04x}"


def as_arg(name, bits):
    return s64(bits) if name == "f64" else bits


REF2 = {"add": R.add, "sub": R.sub, "mul": R.mul, "div": R.div}


# --- exhaustive over special values ----------------------------------------------


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_ops_on_special_values(name, op):
    fmt, f = FMTS[name], module(name, op)
    vals = SPECIALS[name]
    for a in vals:
        for b in vals:
            for rm in MODES:
                check(f(as_arg(name, a), as_arg(name, b), rm), REF2[op](fmt, a, b, rm), f"{name}_{op}({a:#x}, {b:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
def test_sqrt_on_special_values(name):
    fmt, f = FMTS[name], module(name, "sqrt")
    for a in SPECIALS[name]:
        for rm in MODES:
            check(f(as_arg(name, a), rm), R.sqrt(fmt, a, rm), f"{name}_sqrt({a:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
def test_muladd_on_special_values(name):
    fmt, f = FMTS[name], module(name, "muladd")
    vals = SPECIALS[name]
    for a in vals:
        for b in vals:
            for c in vals[::3]:
                for rm in (R.RNE, R.RDN, R.RMM):
                    want = R.muladd(fmt, a, b, c, rm)
                    check(f(as_arg(name, a), as_arg(name, b), as_arg(name, c), rm), want, f"{name}_muladd({a:#x}, {b:#x}, {c:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
def test_compare_minmax_classify_on_special_values(name):
    fmt = FMTS[name]
    vals = SPECIALS[name]
    for a in vals:
        assert module(name, "classify")(as_arg(name, a)) == R.classify(fmt, a), hex(a)
        for b in vals:
            x, y = as_arg(name, a), as_arg(name, b)
            check(module(name, "min")(x, y), R.minmax(fmt, a, b, False), f"min {a:#x} {b:#x}")
            check(module(name, "max")(x, y), R.minmax(fmt, a, b, True), f"max {a:#x} {b:#x}")
            for op in ("eq", "lt", "le"):
                check(module(name, op)(x, y), R.compare(fmt, a, b, op), f"{op} {a:#x} {b:#x}")


def test_canonical_nan_constants():
    assert S.F32_CANON == R.F32.canon
    assert S.F64_CANON == R.F64.canon


# --- the exactness boundaries, by hand ---------------------------------------------


def test_tininess_is_detected_after_rounding():
    # 0x1.fffffep-127 * (1 + 2**-23)... : products just below 2**-126 that round to it
    fmt = R.F32
    min_normal = 1 << 23
    below = min_normal - 1  # largest subnormal 0x007fffff
    # (2**-126 - 2**-149) * (1 + 2**-23 + 2**-24)-ish: use a*b with b slightly above 1
    a = below
    b = (fmt.bias << 23) | 1  # 1 + 2**-23
    for rm in MODES:
        want = R.mul(fmt, a, b, rm)
        check(S.arith(S.MUL, S.F32, a, b, 0, rm), want, f"rm={rm}")
    # RNE: the exact product 2**-126 * (1 - 2**-24 - 2**-47) rounds up to min normal
    # with an unbounded exponent too, so it is not tiny: NX only
    r, fl = S.arith(S.MUL, S.F32, a, b, 0, R.RNE)
    assert r == min_normal and fl == R.NX


def test_fused_zero_signs_and_nv_on_inf_times_zero_plus_qnan():
    for name, fmt in FMTS.items():
        inf, zero, qnan = fmt.inf(False), 0, fmt.canon
        f = module(name, "muladd")
        assert f(as_arg(name, inf), zero, as_arg(name, qnan), 0)[1] == R.NV
        one = fmt.bias << fmt.m
        # 1*1 + (-1) = +0, -0 under RDN
        assert f(as_arg(name, one), as_arg(name, one), as_arg(name, one | fmt.sign), R.RNE) == (0, 0)
        assert f(as_arg(name, one), as_arg(name, one), as_arg(name, one | fmt.sign), R.RDN)[0] & M64 == fmt.sign


# --- generated operands ------------------------------------------------------------


def operand(fmt):
    m, emask = fmt.m, fmt.emask
    any_bits = st.integers(0, (1 << fmt.width) - 1)
    exps = st.one_of(
        st.sampled_from([0, 1, 2, emask - 2, emask - 1, emask, fmt.bias - 1, fmt.bias, fmt.bias + 1]),
        st.integers(0, emask),
        st.integers(fmt.bias - 40, fmt.bias + 40),
    )
    fracs = st.one_of(
        st.sampled_from([0, 1, (1 << m) - 1, 1 << (m - 1), (1 << m) - 2, 3]),
        st.integers(0, (1 << m) - 1),
        st.integers(0, 15).map(lambda k: ((1 << m) - 1) >> k << k),
    )
    structured = st.builds(lambda s, e, f: (fmt.sign if s else 0) | (e << m) | f, st.booleans(), exps, fracs)
    return st.one_of(any_bits, structured)


def near(fmt, x, k):
    """x moved k ulps (bit patterns), kept inside the format's patterns."""
    return (x + k) % (1 << fmt.width)


SET = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@SET
@given(data=st.data())
def test_binary_ops_generated(name, op, data):
    fmt = FMTS[name]
    a = data.draw(operand(fmt))
    b = data.draw(st.one_of(operand(fmt), st.integers(-8, 8).map(lambda k: near(fmt, a, k)),
                            st.integers(-8, 8).map(lambda k: near(fmt, a ^ fmt.sign, k))))
    rm = data.draw(st.sampled_from(MODES))
    check(module(name, op)(as_arg(name, a), as_arg(name, b), rm), REF2[op](fmt, a, b, rm), f"{name}_{op}({a:#x}, {b:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
@SET
@given(data=st.data())
def test_sqrt_generated(name, data):
    fmt = FMTS[name]
    a = data.draw(operand(fmt))
    rm = data.draw(st.sampled_from(MODES))
    check(module(name, "sqrt")(as_arg(name, a), rm), R.sqrt(fmt, a, rm), f"{name}_sqrt({a:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
@SET
@given(data=st.data())
def test_muladd_generated(name, data):
    fmt = FMTS[name]
    a = data.draw(operand(fmt))
    b = data.draw(operand(fmt))
    # c: anything, or near -(a*b) for cancellation, or tiny against a big product
    prod, _ = R.mul(fmt, a, b, R.RNE)
    c = data.draw(st.one_of(operand(fmt), st.integers(-4, 4).map(lambda k: near(fmt, prod ^ fmt.sign, k)),
                            st.integers(-4, 4).map(lambda k: near(fmt, prod, k))))
    rm = data.draw(st.sampled_from(MODES))
    check(module(name, "muladd")(as_arg(name, a), as_arg(name, b), as_arg(name, c), rm), R.muladd(fmt, a, b, c, rm),
          f"{name}_muladd({a:#x}, {b:#x}, {c:#x}, rm={rm})")


@pytest.mark.parametrize("name", FMTS)
@SET
@given(data=st.data())
def test_compare_minmax_classify_generated(name, data):
    fmt = FMTS[name]
    a = data.draw(operand(fmt))
    b = data.draw(st.one_of(operand(fmt), st.integers(-2, 2).map(lambda k: near(fmt, a, k))))
    x, y = as_arg(name, a), as_arg(name, b)
    assert module(name, "classify")(x) == R.classify(fmt, a)
    check(module(name, "min")(x, y), R.minmax(fmt, a, b, False), "min")
    check(module(name, "max")(x, y), R.minmax(fmt, a, b, True), "max")
    for op in ("eq", "lt", "le"):
        check(module(name, op)(x, y), R.compare(fmt, a, b, op), op)


# --- conversions -------------------------------------------------------------------


def reg_form(kind, n):
    """An integer result as written to rd (int64): 32-bit results sign-extended."""
    if kind in ("i32", "u32"):
        n &= 0xFFFFFFFF
        return n - (1 << 32) if n >> 31 else n
    return s64(n)


def int_limits_operands(fmt):
    """Floats at and around +-2**31, 2**32, 2**63, 2**64 and small values."""
    out = []
    for p in (0, 1, 30, 31, 32, 33, 52, 53, 62, 63, 64, 65):
        e = (fmt.bias + p) << fmt.m
        for f in (0, 1, 2, (1 << fmt.m) - 1, 1 << (fmt.m - 1)):
            for s in (0, fmt.sign):
                out.append(s | e | f)
                out.append(s | (e - (1 << fmt.m) + ((1 << fmt.m) - 1 - f)))  # just below 2**p
    for half in (fmt.bias - 1, fmt.bias - 2):  # 0.5, 0.25 and neighbours
        for f in (0, 1, (1 << fmt.m) - 1, 1 << (fmt.m - 1)):
            out += [(half << fmt.m) | f, fmt.sign | (half << fmt.m) | f]
    return out


def int_kinds():
    return ["i32", "u32", "i64", "u64"]


def check_to_int(name, a, kind, rm):
    fmt = FMTS[name]
    n, fl = R.to_int(fmt, a, kind, rm)
    got = S.to_int(as_arg(name, a), rm, FORMATS[name], INT_KINDS[kind])
    assert got == (reg_form(kind, n), fl), f"{name}_to_{kind}({a:#x}, rm={rm}): got {got} want {(reg_form(kind, n), fl)}"


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("kind", int_kinds())
def test_to_int_at_limits(name, kind):
    for a in int_limits_operands(FMTS[name]) + SPECIALS[name]:
        for rm in MODES:
            check_to_int(name, a, kind, rm)


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("kind", int_kinds())
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_to_int_generated(name, kind, data):
    fmt = FMTS[name]
    a = data.draw(st.one_of(operand(fmt), st.sampled_from(int_limits_operands(fmt)).flatmap(
        lambda x: st.integers(-3, 3).map(lambda k: near(fmt, x, k)))))
    check_to_int(name, a, kind, data.draw(st.sampled_from(MODES)))


def int_value(kind, v):
    """The integer an int64 register value v stands for, as the conversion reads it."""
    if kind == "i32":
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v >> 31 else v
    if kind == "u32":
        return v & 0xFFFFFFFF
    if kind == "i64":
        return s64(v)
    return v & M64


def check_from_int(name, kind, v, rm):
    fmt = FMTS[name]
    want = R.from_int(fmt, int_value(kind, v), rm)
    check(S.from_int(s64(v), rm, FORMATS[name], INT_KINDS[kind]), want, f"{kind}_to_{name}({v:#x}, rm={rm})")


INT_EDGES = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0x100000000, 0xFFFFFF, 0x1000001, 0x1FFFFFF,
             (1 << 53) + 1, (1 << 54) - 1, (1 << 63) - 1, 1 << 63, (1 << 63) + 1, M64, M64 - 1, 0xFFFFFFFF80000000,
             0x0000000100000001, 0xFFFFFFFF7FFFFFFF, (1 << 62) + (1 << 9), (1 << 62) + (1 << 10) - 1]


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("kind", int_kinds())
def test_from_int_edges(name, kind):
    for v in INT_EDGES:
        for rm in MODES:
            check_from_int(name, kind, v, rm)


@pytest.mark.parametrize("name", FMTS)
@pytest.mark.parametrize("kind", int_kinds())
@settings(max_examples=150, deadline=None)
@given(v=st.one_of(st.integers(0, M64), st.integers(0, 63).flatmap(lambda p: st.integers(-3, 3).map(lambda k: ((1 << p) + k) & M64))),
       rm=st.sampled_from(MODES))
def test_from_int_generated(name, kind, v, rm):
    check_from_int(name, kind, v, rm)


def test_f32_f64_conversions():
    for a in SPECIALS["f32"]:
        check(S.convert(a, R.RNE, S.F32, S.F64), R.convert(R.F32, R.F64, a, R.RNE), f"f32_to_f64({a:#x})")
    for a in SPECIALS["f64"]:
        for rm in MODES:
            check(S.convert(s64(a), rm, S.F64, S.F32), R.convert(R.F64, R.F32, a, rm), f"f64_to_f32({a:#x}, {rm})")


@settings(max_examples=400, deadline=None)
@given(a=st.one_of(operand(R.F64), st.integers(R.F64.bias - 160, R.F64.bias - 120).flatmap(
    lambda e: st.integers(0, (1 << 52) - 1).map(lambda f: (e << 52) | f))), rm=st.sampled_from(MODES))
def test_f64_to_f32_generated(a, rm):
    # exponents around binary32's subnormal range included
    check(S.convert(s64(a), rm, S.F64, S.F32), R.convert(R.F64, R.F32, a, rm), f"f64_to_f32({a:#x}, {rm})")


@settings(max_examples=500, deadline=None)
@given(a=operand(R.F32))
def test_f32_to_f64_generated(a):
    check(S.convert(a, R.RNE, S.F32, S.F64), R.convert(R.F32, R.F64, a, R.RNE), f"f32_to_f64({a:#x})")


# --- many more generated operands, without hypothesis's per-example cost --------------


def random_operand(rng, fmt):
    m = fmt.m
    pick = rng.randrange(3)
    if pick == 0:
        return rng.getrandbits(fmt.width)
    e = rng.choice([0, 1, 2, fmt.emask - 1, fmt.emask, fmt.bias, rng.randrange(fmt.emask + 1),
                    fmt.bias + rng.randrange(-30, 30)])
    f = rng.choice([0, 1, (1 << m) - 1, 1 << (m - 1), rng.getrandbits(m), ((1 << m) - 1) >> rng.randrange(16) << rng.randrange(8) & ((1 << m) - 1)])
    return (fmt.sign if rng.random() < 0.5 else 0) | (e << m) | f


@pytest.mark.parametrize("name", FMTS)
def test_random_operands_all_arithmetic(name):
    import random

    fmt = FMTS[name]
    rng = random.Random(0x5EED + fmt.m)
    for _ in range(6000):
        a = random_operand(rng, fmt)
        b = random_operand(rng, fmt) if rng.random() < 0.6 else near(fmt, a ^ (fmt.sign * rng.randrange(2)), rng.randrange(-6, 7))
        rm = rng.randrange(5)
        x, y = as_arg(name, a), as_arg(name, b)
        for op, ref in REF2.items():
            check(module(name, op)(x, y, rm), ref(fmt, a, b, rm), f"{name}_{op}({a:#x}, {b:#x}, rm={rm})")
        prod, _ = R.mul(fmt, a, b, R.RNE)
        c = random_operand(rng, fmt) if rng.random() < 0.5 else near(fmt, prod ^ fmt.sign, rng.randrange(-3, 4))
        check(module(name, "muladd")(x, y, as_arg(name, c), rm), R.muladd(fmt, a, b, c, rm),
              f"{name}_muladd({a:#x}, {b:#x}, {c:#x}, rm={rm})")
        check(module(name, "sqrt")(x, rm), R.sqrt(fmt, a, rm), f"{name}_sqrt({a:#x}, rm={rm})")


# --- the same code as plain Python ---------------------------------------------------


def test_softfloat_without_jit():
    """The module runs as plain Python (NUMBA_DISABLE_JIT=1) with the same answers."""
    code = (
        "from graphsim.isa import softfloat as S\n"
        "import tests.isa.test_softfloat as T, tests.isa.fpref as R\n"
        "for name, fmt in T.FMTS.items():\n"
        "    vals = T.SPECIALS[name][::2]\n"
        "    for a in vals:\n"
        "        for b in vals:\n"
        "            for op in ('add', 'mul', 'div'):\n"
        "                T.check(T.module(name, op)(T.as_arg(name, a), T.as_arg(name, b), 0), T.REF2[op](fmt, a, b, 0), op)\n"
        "            T.check(T.module(name, 'muladd')(T.as_arg(name, a), T.as_arg(name, b), T.as_arg(name, b), 2),\n"
        "                    R.muladd(fmt, a, b, b, 2), 'muladd')\n"
        "        T.check(T.module(name, 'sqrt')(T.as_arg(name, a), 0), R.sqrt(fmt, a, 0), 'sqrt')\n"
        "        for kind in T.int_kinds():\n"
        "            T.check_to_int(name, a, kind, 4)\n"
        "    for v in T.INT_EDGES:\n"
        "        for kind in T.int_kinds():\n"
        "            T.check_from_int(name, kind, v, 3)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


# --- the host fast path against the exact path ------------------------------------


def _band_operands(rng, n, fmt):
    """Operands for the fast path (RNE, exponents in its band) and just outside
    it, with near-cancelling pairs and fused sums near zero."""
    import numpy as np

    m, bias = fmt.m, fmt.bias
    span = 300 if m == 52 else 127
    sign = rng.integers(0, 2, n, dtype=np.int64) << (fmt.width - 1)
    exp = bias + rng.integers(-span - 3, span + 4, n, dtype=np.int64)
    exp = np.where(rng.random(n) < 0.5, bias + rng.integers(-30, 31, n, dtype=np.int64), exp)
    exp = np.clip(exp, 0, 2 * bias + 1)
    frac = rng.integers(0, 1 << m, n, dtype=np.int64)
    # fractions with trailing zeros make exact results and halfway cases common
    frac = np.where(rng.random(n) < 0.3, frac & ~((1 << rng.integers(0, m, n, dtype=np.int64)) - 1), frac)
    return sign | (exp << m) | frac


@pytest.mark.parametrize("name", FMTS)
def test_fast_path_matches_exact_path(name):
    """Millions of RNE operations: the public functions (fast path where it
    applies) against the integer-only path they fall back to."""
    import numpy as np
    from numba import njit

    fmt = FMTS[name]
    m, e = (52, 11) if name == "f64" else (23, 8)
    rng = np.random.default_rng(20261203)
    n = 400_000
    a = _band_operands(rng, n, fmt)
    b = _band_operands(rng, n, fmt)
    # b near -a for cancellation, c near -(a*b) for the fused sum
    sign_bit = np.int64(-(1 << 63)) if name == "f64" else np.int64(1 << 31)
    near_neg_a = (a ^ sign_bit) + rng.integers(-3, 4, n)
    b = np.where(rng.random(n) < 0.3, near_neg_a, b)
    c = _band_operands(rng, n, fmt)
    mask = -1 if name == "f64" else 0xFFFFFFFF
    f = FORMATS[name]
    sign = sign_bit
    fused = (S.FMADD, S.FMSUB, S.FNMSUB, S.FNMADD)

    @njit
    def compare(a, b, c):
        bad = np.zeros(9, np.int64) - 1
        for i in range(a.size):
            x, y, z = a[i] & mask, b[i] & mask, c[i] & mask
            if i & 1:  # c near -(a*b)
                p, _ = S._mul(x, y, 0, m, e)
                z = ((p ^ sign) + (i % 7) - 3) & mask
            if S.arith(S.ADD, f, x, y, 0, 0) != S._add(x, y, 0, m, e):
                bad[0] = i
            if S.arith(S.SUB, f, x, y, 0, 0) != S._add(x, y ^ sign, 0, m, e):
                bad[1] = i
            if S.arith(S.MUL, f, x, y, 0, 0) != S._mul(x, y, 0, m, e):
                bad[2] = i
            if S.arith(S.DIV, f, x, y, 0, 0) != S._div(x, y, 0, m, e):
                bad[3] = i
            if S.arith(S.SQRT, f, x, 0, 0, 0) != S._sqrt(x, 0, m, e):
                bad[4] = i
            for k in range(4):  # the four sign variants of the fused multiply-add
                xs = x ^ sign if k >= 2 else x
                zs = z ^ sign if k == 1 or k == 3 else z
                if S.arith(fused[k], f, x, y, z, 0) != S._muladd(xs, y, zs, 0, m, e):
                    bad[5 + k] = i
        return bad

    bad = compare(a, b, c)
    for k, op in enumerate(("add", "sub", "mul", "div", "sqrt", "fmadd", "fmsub", "fnmsub", "fnmadd")):
        assert bad[k] == -1, f"{name}_{op}: fast path differs at {a[bad[k]]:#x} {b[bad[k]]:#x}"
