"""IEEE 754 binary32/binary64 arithmetic, bit-exact as RISC-V defines it.

The F and D semantics call these. Operands and results are int64 bit patterns
(binary32 in the low 32 bits, zero-extended; binary64 as its raw pattern);
NaN-boxing is the caller's. ``rm`` is a resolved rounding mode (RNE, RTZ,
RDN, RUP, RMM); every function but classify returns ``(result, fflags)``.
RISC-V rules, as QEMU's softfloat applies them: every NaN result is the
canonical NaN, tininess is detected after rounding, UF needs an inexact tiny
result, inf*0 in a fused multiply-add is invalid even when the addend is a
quiet NaN, float-to-integer conversions saturate (NaN to the largest value)
raising NV alone.

The exact path works on an unbounded-exponent form (class, sign, unbiased
exponent, significand with its leading 1 at bit ``m``) and rounds once in
``_round_pack`` from a 62-bit significand (leading 1 at bit 61, lost bits
jammed into bit 0). Wide intermediates (products, the fused sum, the square
root check) are 124-bit numbers in two 62-bit limbs, so every step is exact
int64 arithmetic both compiled and as plain Python (NUMBA_DISABLE_JIT=1).
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import math

from numba import njit

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
def _minmax(a, b, m, ebits, want_max):
    na = _is_nan(a, m, ebits)
    nb = _is_nan(b, m, ebits)
    flags = NV if (_is_snan(a, m, ebits) or _is_snan(b, m, ebits)) else 0
    if na and nb:
        return _canon(m), flags
    if na:
        return b, flags
    if nb:
        return a, flags
    ka = _order_key(a, m, ebits, False)
    kb = _order_key(b, m, ebits, False)
    if want_max:
        return (a if ka > kb else b), 0
    return (a if ka < kb else b), 0


@njit(cache=True)
def _compare(a, b, m, ebits, kind):
    """kind 0: a == b (quiet), 1: a < b, 2: a <= b (signalling)."""
    if _is_nan(a, m, ebits) or _is_nan(b, m, ebits):
        if kind != 0 or _is_snan(a, m, ebits) or _is_snan(b, m, ebits):
            return 0, NV
        return 0, 0
    ka = _order_key(a, m, ebits, True)
    kb = _order_key(b, m, ebits, True)
    if kind == 0:
        return (1 if ka == kb else 0), 0
    if kind == 1:
        return (1 if ka < kb else 0), 0
    return (1 if ka <= kb else 0), 0


@njit(cache=True)
def _classify(x, m, ebits):
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
_I32 = 0
_U32 = 1
_I64 = 2
_U64 = 3


@njit(cache=True)
def _int_limit(kind, negative):
    """The saturated result (as written to rd) of an out-of-range conversion."""
    if kind == _I32:
        return -0x80000000 if negative else 0x7FFFFFFF
    if kind == _I64:
        return SIGN64 if negative else M63
    if negative:
        return 0
    return -1  # u32 max sign-extended, u64 max


@njit(cache=True)
def _to_int(a, rm, m, ebits, kind):
    c, s, e, mant = _unpack(a, m, ebits)
    if c >= _QNAN:
        return _int_limit(kind, 0), NV
    if c == _INF or e >= 64:
        return _int_limit(kind, s), NV
    if c == _ZERO:
        return 0, 0
    if e == 63:  # 2**63 <= |a| < 2**64
        if kind == _U64 and s == 0:
            return SIGN64 | ((mant << (63 - m)) & M63), 0
        if kind == _I64 and s != 0 and mant == (1 << m):
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
    if kind == _I32:
        if q > (0x80000000 if s else 0x7FFFFFFF):
            return _int_limit(kind, s), NV
        return (-q if s else q), flags
    if kind == _I64:
        return (-q if s else q), flags
    if s != 0:
        if q != 0:
            return 0, NV
        return 0, flags
    if kind == _U32:
        if q > M32:
            return -1, NV
        return sext32(q), flags
    return q, flags


@njit(cache=True)
def _from_int(v, rm, m, ebits, kind):
    sign = 0
    if kind == _I32:
        x = sext32(v)
        if x < 0:
            sign = 1
            x = -x
    elif kind == _U32:
        x = v & M32
    elif kind == _I64:
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
def _convert(a, rm, m_from, e_from, m_to, e_to):
    c, s, e, mant = _unpack(a, m_from, e_from)
    if c >= _QNAN:
        return _canon(m_to), NV if c == _SNAN else 0
    if c == _INF:
        return _inf(s, m_to, e_to), 0
    if c == _ZERO:
        return _sign_bit(s, m_to), 0
    return _round_pack(s, e, mant << (61 - m_from), rm, m_to, e_to)


# --- the interface: binary32 -------------------------------------------------------


@njit(cache=True)
def f32_add(a, b, rm):
    return _add(a & M32, b & M32, rm, _M32, _E32)


@njit(cache=True)
def f32_sub(a, b, rm):
    return _add(a & M32, (b & M32) ^ 0x80000000, rm, _M32, _E32)


@njit(cache=True)
def f32_mul(a, b, rm):
    return _mul(a & M32, b & M32, rm, _M32, _E32)


@njit(cache=True)
def f32_div(a, b, rm):
    return _div(a & M32, b & M32, rm, _M32, _E32)


@njit(cache=True)
def f32_sqrt(a, rm):
    return _sqrt(a & M32, rm, _M32, _E32)


@njit(cache=True)
def f32_muladd(a, b, c, rm):
    return _muladd(a & M32, b & M32, c & M32, rm, _M32, _E32)


@njit(cache=True)
def f32_min(a, b):
    return _minmax(a & M32, b & M32, _M32, _E32, False)


@njit(cache=True)
def f32_max(a, b):
    return _minmax(a & M32, b & M32, _M32, _E32, True)


@njit(cache=True)
def f32_eq(a, b):
    return _compare(a & M32, b & M32, _M32, _E32, 0)


@njit(cache=True)
def f32_lt(a, b):
    return _compare(a & M32, b & M32, _M32, _E32, 1)


@njit(cache=True)
def f32_le(a, b):
    return _compare(a & M32, b & M32, _M32, _E32, 2)


@njit(cache=True)
def f32_classify(a):
    return _classify(a & M32, _M32, _E32)


@njit(cache=True)
def f32_to_i32(a, rm):
    return _to_int(a & M32, rm, _M32, _E32, _I32)


@njit(cache=True)
def f32_to_u32(a, rm):
    return _to_int(a & M32, rm, _M32, _E32, _U32)


@njit(cache=True)
def f32_to_i64(a, rm):
    return _to_int(a & M32, rm, _M32, _E32, _I64)


@njit(cache=True)
def f32_to_u64(a, rm):
    return _to_int(a & M32, rm, _M32, _E32, _U64)


@njit(cache=True)
def i32_to_f32(v, rm):
    return _from_int(v, rm, _M32, _E32, _I32)


@njit(cache=True)
def u32_to_f32(v, rm):
    return _from_int(v, rm, _M32, _E32, _U32)


@njit(cache=True)
def i64_to_f32(v, rm):
    return _from_int(v, rm, _M32, _E32, _I64)


@njit(cache=True)
def u64_to_f32(v, rm):
    return _from_int(v, rm, _M32, _E32, _U64)


@njit(cache=True)
def f32_to_f64(a):
    return _convert(a & M32, RNE, _M32, _E32, _M64, _E64)


# --- the interface: binary64 -------------------------------------------------------


@njit(cache=True)
def f64_add(a, b, rm):
    return _add(a, b, rm, _M64, _E64)


@njit(cache=True)
def f64_sub(a, b, rm):
    return _add(a, b ^ SIGN64, rm, _M64, _E64)


@njit(cache=True)
def f64_mul(a, b, rm):
    return _mul(a, b, rm, _M64, _E64)


@njit(cache=True)
def f64_div(a, b, rm):
    return _div(a, b, rm, _M64, _E64)


@njit(cache=True)
def f64_sqrt(a, rm):
    return _sqrt(a, rm, _M64, _E64)


@njit(cache=True)
def f64_muladd(a, b, c, rm):
    return _muladd(a, b, c, rm, _M64, _E64)


@njit(cache=True)
def f64_min(a, b):
    return _minmax(a, b, _M64, _E64, False)


@njit(cache=True)
def f64_max(a, b):
    return _minmax(a, b, _M64, _E64, True)


@njit(cache=True)
def f64_eq(a, b):
    return _compare(a, b, _M64, _E64, 0)


@njit(cache=True)
def f64_lt(a, b):
    return _compare(a, b, _M64, _E64, 1)


@njit(cache=True)
def f64_le(a, b):
    return _compare(a, b, _M64, _E64, 2)


@njit(cache=True)
def f64_classify(a):
    return _classify(a, _M64, _E64)


@njit(cache=True)
def f64_to_i32(a, rm):
    return _to_int(a, rm, _M64, _E64, _I32)


@njit(cache=True)
def f64_to_u32(a, rm):
    return _to_int(a, rm, _M64, _E64, _U32)


@njit(cache=True)
def f64_to_i64(a, rm):
    return _to_int(a, rm, _M64, _E64, _I64)


@njit(cache=True)
def f64_to_u64(a, rm):
    return _to_int(a, rm, _M64, _E64, _U64)


@njit(cache=True)
def i32_to_f64(v, rm):
    return _from_int(v, rm, _M64, _E64, _I32)


@njit(cache=True)
def u32_to_f64(v, rm):
    return _from_int(v, rm, _M64, _E64, _U32)


@njit(cache=True)
def i64_to_f64(v, rm):
    return _from_int(v, rm, _M64, _E64, _I64)


@njit(cache=True)
def u64_to_f64(v, rm):
    return _from_int(v, rm, _M64, _E64, _U64)


@njit(cache=True)
def f64_to_f32(a, rm):
    return _convert(a, rm, _M64, _E64, _M32, _E32)
