"""An exact reference model of RISC-V F/D arithmetic in plain Python.

Written straight from IEEE 754-2019 and the RISC-V unprivileged spec, with
no code shared with graphsim.isa.softfloat: operands decode to exact
Fractions, the exact result is rounded once by `round_to`, which takes the
definitions literally (tininess after rounding = "the result rounded with an
unbounded exponent is below 2**emin"). Bit patterns are Python ints
(unsigned); the test converts to and from the module's int64 conventions.
"""

from fractions import Fraction
from math import isqrt

RNE, RTZ, RDN, RUP, RMM = range(5)
NV, DZ, OF, UF, NX = 0x10, 0x08, 0x04, 0x02, 0x01


class Fmt:
    def __init__(self, m, ebits):
        self.m = m
        self.ebits = ebits
        self.width = 1 + m + ebits
        self.bias = (1 << (ebits - 1)) - 1
        self.emin = 1 - self.bias
        self.emax = self.bias
        self.emask = (1 << ebits) - 1
        self.canon = (self.emask << m) | (1 << (m - 1))
        self.sign = 1 << (self.width - 1)

    def inf(self, neg):
        return (self.sign if neg else 0) | (self.emask << self.m)

    def zero(self, neg):
        return self.sign if neg else 0

    def max_finite(self, neg):
        return (self.sign if neg else 0) | ((self.emask - 1) << self.m) | ((1 << self.m) - 1)


F32 = Fmt(23, 8)
F64 = Fmt(52, 11)


class Val:
    """A decoded operand: kind in {'zero', 'num', 'inf', 'qnan', 'snan'}."""

    def __init__(self, fmt, bits):
        self.bits = bits
        self.neg = bool(bits >> (fmt.width - 1))
        e = (bits >> fmt.m) & fmt.emask
        f = bits & ((1 << fmt.m) - 1)
        if e == fmt.emask:
            if f == 0:
                self.kind = "inf"
            else:
                self.kind = "qnan" if f >> (fmt.m - 1) else "snan"
            self.value = None
            return
        if e == 0:
            mant, exp = f, fmt.emin - fmt.m
        else:
            mant, exp = f | (1 << fmt.m), e - fmt.bias - fmt.m
        self.kind = "zero" if mant == 0 else "num"
        v = Fraction(mant) * (Fraction(2) ** exp)
        self.value = -v if self.neg else v
        self.subnormal = e == 0 and mant != 0

    @property
    def nan(self):
        return self.kind in ("qnan", "snan")


def _round_int(x, neg, rm):
    """Round the nonnegative Fraction x to an integer; neg is the sign of the
    number x is the magnitude of."""
    n = x.numerator // x.denominator
    rest = x - n
    if rest == 0:
        return n
    if rm == RTZ:
        return n
    if rm == RDN:
        return n + 1 if neg else n
    if rm == RUP:
        return n if neg else n + 1
    if rest > Fraction(1, 2):
        return n + 1
    if rest < Fraction(1, 2):
        return n
    if rm == RMM:
        return n + 1
    return n + (n & 1)  # RNE


def _exponent(a):
    """e with 2**e <= a < 2**(e+1) for a Fraction a > 0."""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    if Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def round_to(fmt, v, rm):
    """Round the exact nonzero Fraction v to fmt: (bits, flags)."""
    neg = v < 0
    a = -v if neg else v
    e = _exponent(a)
    # rounded with an unbounded exponent
    n = _round_int(a / Fraction(2) ** (e - fmt.m), neg, rm)
    unbounded = n * Fraction(2) ** (e - fmt.m)
    if unbounded >= Fraction(2) ** (fmt.emax + 1):
        if rm == RTZ or (rm == RDN and not neg) or (rm == RUP and neg):
            return fmt.max_finite(neg), OF | NX
        return fmt.inf(neg), OF | NX
    tiny = unbounded < Fraction(2) ** fmt.emin
    q = fmt.emin - fmt.m if e < fmt.emin else e - fmt.m
    n = _round_int(a / Fraction(2) ** q, neg, rm)
    r = n * Fraction(2) ** q
    inexact = r != a
    flags = (NX if inexact else 0) | (UF if tiny and inexact else 0)
    return encode(fmt, r, neg), flags


def encode(fmt, r, neg):
    """Bits of the representable nonnegative Fraction r with sign neg."""
    s = fmt.sign if neg else 0
    if r == 0:
        return s
    if r < Fraction(2) ** fmt.emin:
        mant = r / Fraction(2) ** (fmt.emin - fmt.m)
        assert mant.denominator == 1
        return s | int(mant)
    e = _exponent(r)
    mant = r / Fraction(2) ** (e - fmt.m)
    assert mant.denominator == 1 and (1 << fmt.m) <= mant < (2 << fmt.m)
    return s | ((e + fmt.bias) << fmt.m) | (int(mant) - (1 << fmt.m))


def _exact(fmt, v, rm, zero_sign_neg):
    """Round an exact result; an exact zero takes the sign given."""
    if v == 0:
        return fmt.zero(zero_sign_neg), 0
    return round_to(fmt, v, rm)


def _nan_flags(*vals):
    return NV if any(x.kind == "snan" for x in vals) else 0


def add(fmt, a, b, rm):
    x, y = Val(fmt, a), Val(fmt, b)
    if x.nan or y.nan:
        return fmt.canon, _nan_flags(x, y)
    if x.kind == "inf" and y.kind == "inf":
        return (fmt.canon, NV) if x.neg != y.neg else (fmt.inf(x.neg), 0)
    if x.kind == "inf" or y.kind == "inf":
        return fmt.inf(x.neg if x.kind == "inf" else y.neg), 0
    s = x.value + y.value
    if s == 0:
        if x.kind == "zero" and y.kind == "zero" and x.neg == y.neg:
            return fmt.zero(x.neg), 0
        return fmt.zero(rm == RDN), 0
    return round_to(fmt, s, rm)


def sub(fmt, a, b, rm):
    return add(fmt, a, b ^ fmt.sign, rm)


def mul(fmt, a, b, rm):
    x, y = Val(fmt, a), Val(fmt, b)
    if x.nan or y.nan:
        return fmt.canon, _nan_flags(x, y)
    neg = x.neg != y.neg
    if x.kind == "inf" or y.kind == "inf":
        if x.kind == "zero" or y.kind == "zero":
            return fmt.canon, NV
        return fmt.inf(neg), 0
    return _exact(fmt, x.value * y.value, rm, neg)


def div(fmt, a, b, rm):
    x, y = Val(fmt, a), Val(fmt, b)
    if x.nan or y.nan:
        return fmt.canon, _nan_flags(x, y)
    neg = x.neg != y.neg
    if x.kind == "inf":
        return (fmt.canon, NV) if y.kind == "inf" else (fmt.inf(neg), 0)
    if y.kind == "inf":
        return fmt.zero(neg), 0
    if y.kind == "zero":
        return (fmt.canon, NV) if x.kind == "zero" else (fmt.inf(neg), DZ)
    return _exact(fmt, x.value / y.value, rm, neg)


def sqrt(fmt, a, rm):
    x = Val(fmt, a)
    if x.nan:
        return fmt.canon, _nan_flags(x)
    if x.kind == "zero":
        return a, 0
    if x.neg:
        return fmt.canon, NV
    if x.kind == "inf":
        return a, 0
    # r = floor(sqrt(x) * 2**k) with k large enough that x * 4**k is an
    # integer and r has 80 bits more than the format. When inexact, sqrt(x)
    # lies strictly between r and r + 1 (times 2**-k), where no rounding
    # boundary is, so (r + 1/2) * 2**-k rounds the same way.
    v = x.value
    k = (v.denominator.bit_length() + 1) // 2 + fmt.m + 80
    n = v * Fraction(4) ** k
    assert n.denominator == 1
    r = isqrt(int(n))
    if r * r == n:
        return round_to(fmt, Fraction(r, 2**k), rm)
    return round_to(fmt, Fraction(2 * r + 1, 2 ** (k + 1)), rm)


def muladd(fmt, a, b, c, rm):
    x, y, z = Val(fmt, a), Val(fmt, b), Val(fmt, c)
    infzero = {x.kind, y.kind} == {"inf", "zero"}
    if x.nan or y.nan or z.nan:
        return fmt.canon, NV if (infzero or _nan_flags(x, y, z)) else 0
    if infzero:
        return fmt.canon, NV
    pneg = x.neg != y.neg
    if x.kind == "inf" or y.kind == "inf":
        if z.kind == "inf" and z.neg != pneg:
            return fmt.canon, NV
        return fmt.inf(pneg), 0
    if z.kind == "inf":
        return fmt.inf(z.neg), 0
    s = x.value * y.value + z.value
    if s == 0:
        pzero = x.kind == "zero" or y.kind == "zero"
        if pzero and z.kind == "zero" and pneg == z.neg:
            return fmt.zero(pneg), 0
        return fmt.zero(rm == RDN), 0
    return round_to(fmt, s, rm)


def _ordered(x):
    """Sort key of a non-NaN value, -0 below +0."""
    return (_num(x), 0 if x.neg else 1)


def minmax(fmt, a, b, want_max):
    x, y = Val(fmt, a), Val(fmt, b)
    flags = _nan_flags(x, y)
    if x.nan and y.nan:
        return fmt.canon, flags
    if x.nan:
        return b, flags
    if y.nan:
        return a, flags
    if want_max:
        return (a if _ordered(x) > _ordered(y) else b), 0
    return (a if _ordered(x) < _ordered(y) else b), 0


def _num(x):
    if x.kind == "inf":
        return float("-inf") if x.neg else float("inf")
    return x.value


def compare(fmt, a, b, kind):
    """kind 'eq' (quiet), 'lt', 'le' (signalling) -> (0/1, flags)."""
    x, y = Val(fmt, a), Val(fmt, b)
    if x.nan or y.nan:
        if kind != "eq":
            return 0, NV
        return 0, _nan_flags(x, y)
    p, q = _num(x), _num(y)
    res = {"eq": p == q, "lt": p < q, "le": p <= q}[kind]
    return int(res), 0


def classify(fmt, a):
    x = Val(fmt, a)
    if x.kind == "inf":
        return 1 << (0 if x.neg else 7)
    if x.kind == "snan":
        return 1 << 8
    if x.kind == "qnan":
        return 1 << 9
    if x.kind == "zero":
        return 1 << (3 if x.neg else 4)
    if x.subnormal:
        return 1 << (2 if x.neg else 5)
    return 1 << (1 if x.neg else 6)


INT_RANGES = {"i32": (-(2**31), 2**31 - 1), "u32": (0, 2**32 - 1), "i64": (-(2**63), 2**63 - 1), "u64": (0, 2**64 - 1)}


def to_int(fmt, a, kind, rm):
    """The integer value the spec defines (not yet in register form) and flags."""
    lo, hi = INT_RANGES[kind]
    x = Val(fmt, a)
    if x.nan:
        return hi, NV
    if x.kind == "inf":
        return (lo if x.neg else hi), NV
    if x.kind == "zero":
        return 0, 0
    mag = -x.value if x.neg else x.value
    n = _round_int(mag, x.neg, rm)
    n = -n if x.neg else n
    if n < lo:
        return lo, NV
    if n > hi:
        return hi, NV
    return n, NX if n != x.value else 0


def from_int(fmt, n, rm):
    if n == 0:
        return 0, 0
    return round_to(fmt, Fraction(n), rm)


def convert(src, dst, a, rm):
    x = Val(src, a)
    if x.nan:
        return dst.canon, _nan_flags(x)
    if x.kind == "inf":
        return dst.inf(x.neg), 0
    if x.kind == "zero":
        return dst.zero(x.neg), 0
    return round_to(dst, x.value, rm)
