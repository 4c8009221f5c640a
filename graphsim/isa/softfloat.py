"""IEEE 754 binary32/binary64 arithmetic, bit-exact as RISC-V defines it.

The F and D semantics call these. Every operation is one function for both
formats, named by its fraction width (``F32``, ``F64``). Operands and results
are int64 bit patterns (binary32 in the low 32 bits, zero-extended; binary64
as its raw pattern); NaN-boxing is the caller's. ``rm`` is a resolved rounding
mode (RNE, RTZ, RDN, RUP, RMM); every function but classify returns
``(result, fflags)``. RISC-V rules, as QEMU's softfloat applies them: every
NaN result is the canonical NaN, tininess is detected after rounding, UF
needs an inexact tiny result, inf*0 in a fused multiply-add is invalid even
when the addend is a quiet NaN, float-to-integer conversions saturate (NaN to
the largest value) raising NV alone.

The exact path works on an unbounded-exponent form (class, sign, unbiased
exponent, significand with its leading 1 at bit ``m``) and rounds once in
``_round_pack`` from a 62-bit significand (leading 1 at bit 61, lost bits
jammed into bit 0). Wide intermediates (products, the fused sum, the square
root check) are 124-bit numbers in two 62-bit limbs, so every step is exact
int64 arithmetic both compiled and as plain Python (NUMBA_DISABLE_JIT=1).

The common case takes a fast path on the host's IEEE arithmetic (`fast`):
rounding mode RNE with operands whose exponents keep every intermediate far
from overflow and underflow. The CPU kernel calls `fast` directly for the
arithmetic of FP code (graphsim/isa/fpexec.py); the operations below try it
first. tests/isa/test_softfloat.py checks both paths against the exact
reference and against each other.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import math
import struct
from fractions import Fraction

from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic, overload

from .bits import M32, SIGN64, sext32, srl64

# rounding modes (the frm encoding)
RNE = 0
RTZ = 1
RDN = 2
RUP = 3
RMM = 4

# fflags bits
NV = 0x10
DZ = 0x08
OF = 0x04
UF = 0x02
NX = 0x01

F32_CANON = 0x7FC00000
F64_CANON = 0x7FF8000000000000

# (fraction bits, exponent bits) of each format
_M32, _E32 = 23, 8
_M64, _E64 = 52, 11
# The formats as the interface names them: by fraction width. A binary32
# operand is its pattern in the low 32 bits (upper bits zero).
F32 = _M32
F64 = _M64

M62 = (1 << 62) - 1
M63 = (1 << 63) - 1

# operand classes from _unpack
_ZERO = 0
_FINITE = 1  # normal or subnormal, nonzero
_INF = 2
_QNAN = 3
_SNAN = 4


# --- integer helpers ---------------------------------------------------------------


@njit(cache=True)
def _msb(x):
    """Index of the highest set bit of 0 < x < 2**63."""
    n = 0
    if x >> 32:
        x >>= 32
        n += 32
    if x >> 16:
        x >>= 16
        n += 16
    if x >> 8:
        x >>= 8
        n += 8
    if x >> 4:
        x >>= 4
        n += 4
    if x >> 2:
        x >>= 2
        n += 2
    if x >> 1:
        n += 1
    return n


@njit(cache=True)
def _shr_jam(x, s):
    """x >> s for 0 <= x < 2**63, any bit shifted out ORed into bit 0."""
    if s == 0:
        return x
    if s >= 63:
        return 1 if x != 0 else 0
    lost = 1 if (x & ((1 << s) - 1)) != 0 else 0
    return (x >> s) | lost


@njit(cache=True)
def _mul62(a, b):
    """a * b for 0 <= a, b < 2**62 as 62-bit limbs (hi, lo)."""
    a0 = a & 0x7FFFFFFF
    a1 = a >> 31
    b0 = b & 0x7FFFFFFF
    b1 = b >> 31
    mid = a0 * b1 + a1 * b0
    lo = a0 * b0 + ((mid & 0x7FFFFFFF) << 31)
    hi = a1 * b1 + (mid >> 31) + (lo >> 62)
    return hi, lo & M62


@njit(cache=True)
def _shl124(h, l, s):
    """(h, l) << s for a result below 2**124 (h == 0 when s >= 62)."""
    if s == 0:
        return h, l
    if s >= 62:
        return l << (s - 62), 0
    return (h << s) | (l >> (62 - s)), (l << s) & M62


@njit(cache=True)
def _shr_jam124(h, l, s):
    """(h, l) >> s in 62-bit limbs, bits shifted out ORed into bit 0."""
    if s == 0:
        return h, l
    if s < 62:
        lost = 1 if (l & ((1 << s) - 1)) != 0 else 0
        return h >> s, (l >> s) | ((h & ((1 << s) - 1)) << (62 - s)) | lost
    if s < 124:
        t = s - 62
        lost = 1 if (l != 0 or (h & ((1 << t) - 1)) != 0) else 0
        return 0, (h >> t) | lost
    return 0, 1 if (h != 0 or l != 0) else 0


@njit(cache=True)
def _top62(h, l):
    """A nonzero 124-bit (h, l) normalised: (msb index, significand with its
    leading 1 at bit 61 and lost bits jammed)."""
    if h != 0:
        top = 62 + _msb(h)
    else:
        top = _msb(l)
    if top <= 61:
        return top, l << (61 - top)
    s = top - 61
    if s >= 62:
        t = s - 62
        lost = 1 if (l != 0 or (h & ((1 << t) - 1)) != 0) else 0
        return top, (h >> t) | lost
    lost = 1 if (l & ((1 << s) - 1)) != 0 else 0
    return top, (h << (62 - s)) | (l >> s) | lost


# --- host binary64 access (compiled: register bitcasts and llvm.fma) -----------------


def _as_double(bits):
    """The binary64 value with these bits."""
    return struct.unpack("<d", struct.pack("<q", int(bits)))[0]


def _double_bits(x):
    return struct.unpack("<q", struct.pack("<d", float(x)))[0]


def _fma(a, b, c):
    """a*b + c rounded once (plain-Python twin of llvm.fma, for finite values)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@intrinsic
def _bitcast_to_double(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bitcast_to_int(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _llvm_fma(typingctx, a, b, c):
    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@overload(_as_double)
def _as_double_compiled(bits):
    return lambda bits: _bitcast_to_double(bits)


@overload(_double_bits)
def _double_bits_compiled(x):
    return lambda x: _bitcast_to_int(x)


@overload(_fma)
def _fma_compiled(a, b, c):
    return lambda a, b, c: _llvm_fma(a, b, c)


# --- unpack, round and pack --------------------------------------------------------


@njit(cache=True)
def _sign_bit(sign, m):
    if sign == 0:
        return 0
    return SIGN64 if m == _M64 else 0x80000000


@njit(cache=True)
def _unpack(x, m, ebits):
    """(class, sign, unbiased exponent, significand with leading 1 at bit m)."""
    emask = (1 << ebits) - 1
    fmask = (1 << m) - 1
    sign = (x >> (m + ebits)) & 1
    ef = (x >> m) & emask
    frac = x & fmask
    bias = emask >> 1
    if ef == emask:
        if frac == 0:
            return _INF, sign, 0, 0
        if (frac >> (m - 1)) & 1:
            return _QNAN, sign, 0, 0
        return _SNAN, sign, 0, 0
    if ef == 0:
        if frac == 0:
            return _ZERO, sign, 0, 0
        top = _msb(frac)
        return _FINITE, sign, 1 - bias - (m - top), frac << (m - top)
    return _FINITE, sign, ef - bias, frac | (1 << m)


@njit(cache=True)
def _round_inc(odd, r, half, sign, rm):
    """1 if a result whose dropped bits are r (half = the halfway value) rounds
    away from zero under rm, else 0."""
    if r == 0:
        return 0
    if rm == RNE:
        return 1 if (r > half or (r == half and odd != 0)) else 0
    if rm == RTZ:
        return 0
    if rm == RDN:
        return sign
    if rm == RUP:
        return 1 - sign
    return 1 if r >= half else 0


@njit(cache=True)
def _inf(sign, m, ebits):
    return _sign_bit(sign, m) | (((1 << ebits) - 1) << m)


@njit(cache=True)
def _round_pack(sign, e, sig, rm, m, ebits):
    """Round sig * 2**(e - 61) (sig's leading 1 at bit 61, sticky in bit 0) to
    the format; returns (bits, flags)."""
    bias = (1 << (ebits - 1)) - 1
    emin = 1 - bias
    rbits = 61 - m
    rmask = (1 << rbits) - 1
    half = 1 << (rbits - 1)
    sb = _sign_bit(sign, m)
    if e < emin:
        # tiny unless rounding with an unbounded exponent reaches 2**emin
        tiny = 1
        if e == emin - 1:
            q = sig >> rbits
            if q + _round_inc(q & 1, sig & rmask, half, sign, rm) >> (m + 1):
                tiny = 0
        sig = _shr_jam(sig, emin - e)
        r = sig & rmask
        q = sig >> rbits
        q += _round_inc(q & 1, r, half, sign, rm)
        if r == 0:
            return sb | q, 0
        return sb | q, (NX | UF) if tiny else NX
    r = sig & rmask
    q = sig >> rbits
    q += _round_inc(q & 1, r, half, sign, rm)
    if q >> (m + 1):
        q >>= 1
        e += 1
    if e > bias:
        if rm == RTZ or (rm == RDN and sign == 0) or (rm == RUP and sign != 0):
            return sb | ((((2 * bias) << m) | ((1 << m) - 1))), OF | NX
        return _inf(sign, m, ebits), OF | NX
    bits = sb | (((e + bias) << m) + (q & ((1 << m) - 1)))
    return bits, NX if r != 0 else 0


@njit(cache=True)
def _canon(m):
    return F64_CANON if m == _M64 else F32_CANON


@njit(cache=True)
def _nan_flags(ca, cb):
    return NV if (ca == _SNAN or cb == _SNAN) else 0


# --- arithmetic --------------------------------------------------------------------


@njit(cache=True)
def _add(a, b, rm, m, ebits):
    ca, sa, ea, ma = _unpack(a, m, ebits)
    cb, sb, eb, mb = _unpack(b, m, ebits)
    if ca >= _QNAN or cb >= _QNAN:
        return _canon(m), _nan_flags(ca, cb)
    if ca == _INF:
        if cb == _INF and sa != sb:
            return _canon(m), NV
        return a, 0
    if cb == _INF:
        return b, 0
    if ca == _ZERO:
        if cb == _ZERO and sa != sb:
            return _sign_bit(1 if rm == RDN else 0, m), 0
        return b, 0
    if cb == _ZERO:
        return a, 0
    if ea < eb or (ea == eb and ma < mb):
        sa, ea, ma, sb, eb, mb = sb, eb, mb, sa, ea, ma
    # operands with their leading 1 at bit 60: the sum fits below 2**62
    siga = ma << (60 - m)
    sigb = _shr_jam(mb << (60 - m), ea - eb)
    if sa == sb:
        s = siga + sigb
    else:
        s = siga - sigb
        if s == 0:
            return _sign_bit(1 if rm == RDN else 0, m), 0
    top = _msb(s)
    return _round_pack(sa, ea + top - 60, s << (61 - top), rm, m, ebits)


@njit(cache=True)
def _mul(a, b, rm, m, ebits):
    ca, sa, ea, ma = _unpack(a, m, ebits)
    cb, sb, eb, mb = _unpack(b, m, ebits)
    if ca >= _QNAN or cb >= _QNAN:
        return _canon(m), _nan_flags(ca, cb)
    sign = sa ^ sb
    if ca == _INF or cb == _INF:
        if ca == _ZERO or cb == _ZERO:
            return _canon(m), NV
        return _inf(sign, m, ebits), 0
    if ca == _ZERO or cb == _ZERO:
        return _sign_bit(sign, m), 0
    e = ea + eb
    if m == _M64:
        h, l = _mul62(ma, mb)  # leading 1 at bit 104 or 105
        sig = (h << 19) | (l >> 43) | (1 if (l & ((1 << 43) - 1)) != 0 else 0)
    else:
        sig = (ma * mb) << 15  # leading 1 at bit 46 or 47
    if sig >> 62:
        sig = _shr_jam(sig, 1)
        e += 1
    return _round_pack(sign, e, sig, rm, m, ebits)


@njit(cache=True)
def _div(a, b, rm, m, ebits):
    ca, sa, ea, ma = _unpack(a, m, ebits)
    cb, sb, eb, mb = _unpack(b, m, ebits)
    if ca >= _QNAN or cb >= _QNAN:
        return _canon(m), _nan_flags(ca, cb)
    sign = sa ^ sb
    if ca == _INF:
        if cb == _INF:
            return _canon(m), NV
        return _inf(sign, m, ebits), 0
    if cb == _INF:
        return _sign_bit(sign, m), 0
    if cb == _ZERO:
        if ca == _ZERO:
            return _canon(m), NV
        return _inf(sign, m, ebits), DZ
    if ca == _ZERO:
        return _sign_bit(sign, m), 0
    e = ea - eb
    if ma < mb:
        ma <<= 1
        e -= 1
    # 1 <= ma/mb < 2: long division, the remainder jammed into bit 0
    if m == _M64:
        q = ma // mb
        r = ma - q * mb
        for _ in range(6):  # 10 quotient bits a step: r < 2**53
            r <<= 10
            d = r // mb
            q = (q << 10) | d
            r -= d * mb
        sig = (q << 1) | (1 if r != 0 else 0)
    else:
        n = ma << 37
        q = n // mb
        r = n - q * mb
        sig = (q << 24) | (1 if r != 0 else 0)
    return _round_pack(sign, e, sig, rm, m, ebits)


@njit(cache=True)
def _sqrt(a, rm, m, ebits):
    ca, sa, ea, ma = _unpack(a, m, ebits)
    if ca >= _QNAN:
        return _canon(m), NV if ca == _SNAN else 0
    if ca == _ZERO:
        return a, 0
    if sa != 0:
        return _canon(m), NV
    if ca == _INF:
        return a, 0
    if ea & 1:
        ma <<= 1
        ea -= 1
    # q = floor(sqrt(X)) for X = ma << (m + 4), so 2**(m+2) <= q < 2**(m+3)
    xh, xl = _shl124(0, ma, m + 4)
    q = int(math.sqrt(float(xh) * 4611686018427387904.0 + float(xl)))
    while True:
        h, l = _mul62(q, q)
        if h > xh or (h == xh and l > xl):
            q -= 1
        else:
            break
    while True:
        h, l = _mul62(q + 1, q + 1)
        if h < xh or (h == xh and l <= xl):
            q += 1
        else:
            break
    h, l = _mul62(q, q)
    inexact = 1 if (h != xh or l != xl) else 0
    return _round_pack(0, ea >> 1, (q << (59 - m)) | inexact, rm, m, ebits)


@njit(cache=True)
def _muladd(a, b, c, rm, m, ebits):
    ca, sa, ea, ma = _unpack(a, m, ebits)
    cb, sb, eb, mb = _unpack(b, m, ebits)
    cc, sc, ec, mc = _unpack(c, m, ebits)
    infzero = (ca == _INF and cb == _ZERO) or (ca == _ZERO and cb == _INF)
    if ca >= _QNAN or cb >= _QNAN or cc >= _QNAN:
        if infzero or ca == _SNAN or cb == _SNAN or cc == _SNAN:
            return _canon(m), NV
        return _canon(m), 0
    ps = sa ^ sb
    if ca == _INF or cb == _INF:
        if infzero or (cc == _INF and sc != ps):
            return _canon(m), NV
        return _inf(ps, m, ebits), 0
    if cc == _INF:
        return c, 0
    if ca == _ZERO or cb == _ZERO:
        if cc == _ZERO:
            if ps == sc:
                return _sign_bit(ps, m), 0
            return _sign_bit(1 if rm == RDN else 0, m), 0
        return c, 0
    # exact product P and addend C scaled as X * 2**(e - 120), 124-bit limbs
    ph, pl = _mul62(ma, mb)
    ph, pl = _shl124(ph, pl, 120 - 2 * m)
    e = ea + eb
    sign = ps
    if cc != _ZERO:
        ch, cl = _shl124(0, mc, 120 - m)
        if e > ec:
            ch, cl = _shr_jam124(ch, cl, e - ec)
        elif ec > e:
            ph, pl = _shr_jam124(ph, pl, ec - e)
            e = ec
        if ps == sc:
            pl += cl
            ph += ch + (pl >> 62)
            pl &= M62
        else:
            if ph < ch or (ph == ch and pl < cl):
                ph, pl, ch, cl = ch, cl, ph, pl
                sign = sc
            pl -= cl
            ph -= ch
            if pl < 0:
                pl += 1 << 62
                ph -= 1
            if ph == 0 and pl == 0:
                return _sign_bit(1 if rm == RDN else 0, m), 0
    top, sig = _top62(ph, pl)
    return _round_pack(sign, e + top - 120, sig, rm, m, ebits)


# --- comparisons, min/max, classify ------------------------------------------------


@njit(cache=True)
def _is_nan(x, m, ebits):
    emask = (1 << ebits) - 1
    return ((x >> m) & emask) == emask and (x & ((1 << m) - 1)) != 0


@njit(cache=True)
def _is_snan(x, m, ebits):
    return _is_nan(x, m, ebits) and ((x >> (m - 1)) & 1) == 0


@njit(cache=True)
def _order_key(x, m, ebits, zeros_equal):
    """An integer ordered like the (non-NaN) value x; -0 ranks below +0
    unless zeros_equal."""
    mag = x & ((1 << (m + ebits)) - 1)
    if (x >> (m + ebits)) & 1:
        return -mag if zeros_equal else -mag - 1
    return mag


@njit(cache=True)
def minmax(a, b, fmt, want_max):
    """RISC-V fmin/fmax: IEEE 754-2019 minimumNumber/maximumNumber (-0 < +0)."""
    ebits = _E64 if fmt == F64 else _E32
    na = _is_nan(a, fmt, ebits)
    nb = _is_nan(b, fmt, ebits)
    flags = NV if (_is_snan(a, fmt, ebits) or _is_snan(b, fmt, ebits)) else 0
    if na and nb:
        return _canon(fmt), flags
    if na:
        return b, flags
    if nb:
        return a, flags
    ka = _order_key(a, fmt, ebits, False)
    kb = _order_key(b, fmt, ebits, False)
    if want_max:
        return (a if ka > kb else b), 0
    return (a if ka < kb else b), 0


# comparison kinds
EQ = 0  # quiet
LT = 1  # signalling
LE = 2  # signalling


@njit(cache=True)
def compare(a, b, fmt, kind):
    """(1 or 0, flags) of a == b, a < b or a <= b."""
    ebits = _E64 if fmt == F64 else _E32
    if _is_nan(a, fmt, ebits) or _is_nan(b, fmt, ebits):
        if kind != EQ or _is_snan(a, fmt, ebits) or _is_snan(b, fmt, ebits):
            return 0, NV
        return 0, 0
    ka = _order_key(a, fmt, ebits, True)
    kb = _order_key(b, fmt, ebits, True)
    if kind == EQ:
        return (1 if ka == kb else 0), 0
    if kind == LT:
        return (1 if ka < kb else 0), 0
    return (1 if ka <= kb else 0), 0


@njit(cache=True)
def classify(x, fmt):
    """The fclass mask (one bit of ten)."""
    m = fmt
    ebits = _E64 if fmt == F64 else _E32
    emask = (1 << ebits) - 1
    sign = (x >> (m + ebits)) & 1
    ef = (x >> m) & emask
    frac = x & ((1 << m) - 1)
    if ef == emask:
        if frac == 0:
            return 1 << 0 if sign else 1 << 7
        return 1 << 9 if (frac >> (m - 1)) & 1 else 1 << 8
    if ef == 0:
        if frac == 0:
            return 1 << 3 if sign else 1 << 4
        return 1 << 2 if sign else 1 << 5
    return 1 << 1 if sign else 1 << 6


# --- conversions -------------------------------------------------------------------

# integer kinds
I32 = 0
U32 = 1
I64 = 2
U64 = 3


@njit(cache=True)
def _int_limit(kind, negative):
    """The saturated result (as written to rd) of an out-of-range conversion."""
    if kind == I32:
        return -0x80000000 if negative else 0x7FFFFFFF
    if kind == I64:
        return SIGN64 if negative else M63
    if negative:
        return 0
    return -1  # u32 max sign-extended, u64 max


@njit(cache=True)
def to_int(a, rm, fmt, kind):
    """a converted to integer kind I32/U32/I64/U64 as written to rd (32-bit
    results sign-extended), saturating with NV alone."""
    if fmt == F64 and rm == RTZ:
        # 1 <= |a| < 2**31: the host's truncating conversion, NX when it dropped a fraction
        e = (a >> 52) & 0x7FF
        if 1023 <= e and e <= 1023 + 30 and (a >= 0 or kind == I32 or kind == I64):
            x = _as_double(a)
            q = int(x)
            return q, NX if float(q) != x else 0
    m = fmt
    c, s, e, mant = _unpack(a, m, _E64 if fmt == F64 else _E32)
    if c >= _QNAN:
        return _int_limit(kind, 0), NV
    if c == _INF or e >= 64:
        return _int_limit(kind, s), NV
    if c == _ZERO:
        return 0, 0
    if e == 63:  # 2**63 <= |a| < 2**64
        if kind == U64 and s == 0:
            return SIGN64 | ((mant << (63 - m)) & M63), 0
        if kind == I64 and s != 0 and mant == (1 << m):
            return SIGN64, 0
        return _int_limit(kind, s), NV
    inexact = 0
    if e >= m:
        q = mant << (e - m)
    else:
        sig = mant << (61 - m)
        sh = 61 - e
        if sh > 62:
            sig = 1
            sh = 62
        r = sig & ((1 << sh) - 1)
        q = sig >> sh
        q += _round_inc(q & 1, r, 1 << (sh - 1), s, rm)
        inexact = 1 if r != 0 else 0
    flags = NX if inexact else 0
    if kind == I32:
        if q > (0x80000000 if s else 0x7FFFFFFF):
            return _int_limit(kind, s), NV
        return (-q if s else q), flags
    if kind == I64:
        return (-q if s else q), flags
    if s != 0:
        if q != 0:
            return 0, NV
        return 0, flags
    if kind == U32:
        if q > M32:
            return -1, NV
        return sext32(q), flags
    return q, flags


@njit(cache=True)
def from_int(v, rm, fmt, kind):
    """The integer register value v, read as kind I32/U32/I64/U64, rounded to fmt."""
    if fmt == F64:
        # exact on the host: every 32-bit integer, 64-bit ones up to 2**53
        if kind == I32:
            return _double_bits(float(sext32(v))), 0
        if kind == U32:
            return _double_bits(float(v & M32)), 0
        if kind == I64 and -(1 << 53) <= v and v <= (1 << 53):
            return _double_bits(float(v)), 0
    m = fmt
    ebits = _E64 if fmt == F64 else _E32
    sign = 0
    if kind == I32:
        x = sext32(v)
        if x < 0:
            sign = 1
            x = -x
    elif kind == U32:
        x = v & M32
    elif kind == I64:
        x = v
        if x < 0:
            sign = 1
            if x == SIGN64:  # |x| = 2**63, exactly representable
                return _round_pack(1, 63, 1 << 61, rm, m, ebits)
            x = -x
    else:
        x = v
    if x == 0:
        return 0, 0
    if x < 0:  # unsigned 64-bit >= 2**63
        return _round_pack(0, 63, srl64(x, 2) | (1 if (x & 3) != 0 else 0), rm, m, ebits)
    top = _msb(x)
    if top <= 61:
        return _round_pack(sign, top, x << (61 - top), rm, m, ebits)
    return _round_pack(sign, top, _shr_jam(x, top - 61), rm, m, ebits)


@njit(cache=True)
def convert(a, rm, fmt_from, fmt_to):
    """a rounded from one format to the other (fcvt.s.d, fcvt.d.s)."""
    if fmt_from == F32:
        x = _host_operand(a, F32)
        if x == x:  # normal: widening is exact
            return _double_bits(x), 0
    elif rm == RNE and _LO64 <= ((a >> 52) & 0x7FF) <= _HI64:
        r, fl = _narrow32(_as_double(a), True)
        if fl >= 0:
            return r, fl
    m_from, m_to = fmt_from, fmt_to
    e_from = _E64 if fmt_from == F64 else _E32
    e_to = _E64 if fmt_to == F64 else _E32
    c, s, e, mant = _unpack(a, m_from, e_from)
    if c >= _QNAN:
        return _canon(m_to), NV if c == _SNAN else 0
    if c == _INF:
        return _inf(s, m_to, e_to), 0
    if c == _ZERO:
        return _sign_bit(s, m_to), 0
    return _round_pack(s, e, mant << (61 - m_from), rm, m_to, e_to)


# --- fast path on host arithmetic (RNE, operands in a safe band) --------------------

# The operations of `fast` (the fused ones as RISC-V's four sign variants).
FMADD = 0  # a*b + c
FMSUB = 1  # a*b - c
FNMSUB = 2  # -(a*b) + c
FNMADD = 3  # -(a*b) - c
ADD = 4
SUB = 5
MUL = 6
DIV = 7
SQRT = 8

# binary64 operands with a biased exponent in [_LO64, _HI64] (|x| in
# [2**-300, 2**301)): sums, products, quotients, roots and fused sums of them
# and their error terms stay normal and finite. binary32 operands qualify when
# normal: computed in binary64 they are as far from its limits.
_LO64 = 1023 - 300
_HI64 = 1023 + 300


@njit(cache=True)
def _host_operand(x, fmt):
    """The host binary64 value of an operand in the safe band, else NaN."""
    if fmt == F64:
        e = (x >> 52) & 0x7FF
        if e < _LO64 or e > _HI64:
            return math.nan
        return _as_double(x)
    e = (x >> 23) & 0xFF
    if e == 0 or e == 0xFF:
        return math.nan
    # the binary64 pattern of the same value: exponent rebiased, fraction widened
    sign = SIGN64 if (x & 0x80000000) else 0
    return _as_double(sign | ((e + 896) << 52) | ((x & 0x7FFFFF) << 29))


@njit(cache=True)
def _two_sum_err(x, y, s):
    """The exact error of s = RN(x + y) (Knuth's TwoSum)."""
    yy = s - x
    return (x - (s - yy)) + (y - yy)


@njit(cache=True)
def _narrow32(s, exact):
    """RNE of the binary64 s to binary32 for a normal result at least 2**-125:
    (bits, flags), or (0, -1) outside that range. exact: s itself is exact."""
    d = _double_bits(s)
    mag = d & M63
    low = mag & 0x1FFFFFFF
    r = (mag + 0x0FFFFFFF + ((mag >> 29) & 1)) >> 29
    ef = (r >> 23) - 896
    if ef < 2 or ef > 254:
        return 0, -1
    bits = ((d >> 32) & 0x80000000) | (ef << 23) | (r & 0x7FFFFF)
    return bits, NX if (low != 0 or not exact) else 0


@njit(cache=True)
def _rounded(r, exact, fmt):
    """(bits, flags) of the host result r of an RNE operation whose binary64
    rounding was exact or not: binary64 as it is, binary32 rounded once more."""
    if fmt == F64:
        return _double_bits(r), 0 if exact else NX
    return _narrow32(r, exact)


@njit(cache=True)
def fast(op, fmt, a, b, c):
    """op (FMADD..SQRT) of a, b, c (those it reads) rounded to nearest-even,
    computed on the host's IEEE binary64: (bits, flags), or (0, -1) when an
    operand is outside the safe band or the result needs the exact path.

    In the band a result is normal and finite, so the only flag is NX, and it
    comes from an exact error term (TwoSum, the fma residual of a product,
    quotient or root, Boldo-Muller's ErrFma for the fused sum). binary32 runs
    in binary64, where + - * / sqrt of binary32 operands round once more
    without harm (53 >= 2*24+2); its fused sum takes the exact path when the
    binary64 value sits on a binary32 halfway point."""
    x = _host_operand(a, fmt)
    if x != x:
        return 0, -1
    if op == SQRT:
        if x < 0.0:
            return 0, -1
        r = math.sqrt(x)
        return _rounded(r, _fma(-r, r, x) == 0.0, fmt)
    y = _host_operand(b, fmt)
    if y != y:
        return 0, -1
    if op == ADD or op == SUB:
        if op == SUB:
            y = -y
        s = x + y
        return _rounded(s, _two_sum_err(x, y, s) == 0.0, fmt)
    if op == MUL:
        p = x * y  # (binary32: exact, 48 bits)
        return _rounded(p, _fma(x, y, -p) == 0.0, fmt)
    if op == DIV:
        q = x / y
        return _rounded(q, _fma(-q, y, x) == 0.0, fmt)
    z = _host_operand(c, fmt)
    if z != z:
        return 0, -1
    if op == FNMSUB or op == FNMADD:
        x = -x
    if op == FMSUB or op == FNMADD:
        z = -z
    if fmt == F32:
        p = x * y  # exact
        s = p + z
        err = _two_sum_err(p, z, s)
        if err != 0.0 and (_double_bits(s) & 0x1FFFFFFF) == 0x10000000:
            return 0, -1  # on a binary32 halfway point: the error decides
        return _narrow32(s, err == 0.0)
    r = _fma(x, y, z)
    if r == 0.0:
        return 0, -1  # an exact zero: its sign follows the exact path's rules
    # ErrFma (Boldo and Muller): x*y + z - r == g + a2 exactly
    u1 = x * y
    u2 = _fma(x, y, -u1)
    a1 = z + u2
    a2 = _two_sum_err(z, u2, a1)
    b1 = u1 + a1
    b2 = _two_sum_err(u1, a1, b1)
    g = (b1 - r) + b2
    return _double_bits(r), NX if g + a2 != 0.0 else 0


# --- arithmetic: the interface ----------------------------------------------------


@njit(cache=True)
def arith(op, fmt, a, b, c, rm):
    """op (FMADD..SQRT) of a, b, c (those it reads), rounded once under rm: (bits, flags)."""
    if rm == RNE:
        r, fl = fast(op, fmt, a, b, c)
        if fl >= 0:
            return r, fl
    ebits = _E64 if fmt == F64 else _E32
    if op == ADD:
        return _add(a, b, rm, fmt, ebits)
    if op == SUB:
        return _add(a, b ^ _sign_bit(1, fmt), rm, fmt, ebits)
    if op == MUL:
        return _mul(a, b, rm, fmt, ebits)
    if op == DIV:
        return _div(a, b, rm, fmt, ebits)
    if op == SQRT:
        return _sqrt(a, rm, fmt, ebits)
    sign = _sign_bit(1, fmt)
    if op == FNMSUB or op == FNMADD:
        a ^= sign
    if op == FMSUB or op == FNMADD:
        c ^= sign
    return _muladd(a, b, c, rm, fmt, ebits)
