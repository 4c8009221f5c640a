"""Bit helpers and spec-named operand accessors (Spike's `insn_t` in functions).

Everything here computes in int64 and works both compiled (numba) and as plain
Python over numpy int64 scalars (NUMBA_DISABLE_JIT=1): no uint64, no Python
integers outside the int64 range.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

M32 = 0xFFFFFFFF
SIGN64 = -0x8000000000000000


@njit(cache=True)
def sext8(v):
    return ((v & 0xFF) ^ 0x80) - 0x80


@njit(cache=True)
def sext16(v):
    return ((v & 0xFFFF) ^ 0x8000) - 0x8000


@njit(cache=True)
def sext32(v):
    return ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


@njit(cache=True)
def sextn(v, n):
    """Sign-extend the low n bits of v (1 <= n <= 63)."""
    m = 1 << (n - 1)
    return ((v & ((m << 1) - 1)) ^ m) - m


@njit(cache=True)
def srl64(v, s):
    """Logical right shift of a 64-bit value by 0..63."""
    if s == 0:
        return v
    return (v >> s) & ((1 << (64 - s)) - 1)


@njit(cache=True)
def ult(a, b):
    """Unsigned 64-bit a < b."""
    return (a ^ SIGN64) < (b ^ SIGN64)


@njit(cache=True)
def bits(w, hi, lo):
    return (w >> lo) & ((1 << (hi - lo + 1)) - 1)


# --- 32-bit instruction fields -------------------------------------------------


@njit(cache=True)
def rd(w):
    return (w >> 7) & 31


@njit(cache=True)
def rs1(w):
    return (w >> 15) & 31


@njit(cache=True)
def rs2(w):
    return (w >> 20) & 31


@njit(cache=True)
def i_imm(w):
    return sextn(w >> 20, 12)


@njit(cache=True)
def s_imm(w):
    return sextn(((w >> 25) << 5) | ((w >> 7) & 31), 12)


@njit(cache=True)
def b_imm(w):
    v = (((w >> 31) & 1) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 63) << 5) | (((w >> 8) & 15) << 1)
    return sextn(v, 13)


@njit(cache=True)
def u_imm(w):
    return sext32(w & 0xFFFFF000)


@njit(cache=True)
def j_imm(w):
    v = (((w >> 31) & 1) << 20) | (((w >> 12) & 255) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 1023) << 1)
    return sextn(v, 21)


@njit(cache=True)
def shamt(w):
    return (w >> 20) & 63


@njit(cache=True)
def csr(w):
    return (w >> 20) & 0xFFF


@njit(cache=True)
def zimm(w):
    return (w >> 15) & 31


@njit(cache=True)
def m5func(w):
    return (w >> 25) & 127


@njit(cache=True)
def rm(w):
    """Rounding mode field of an FP instruction (7: dynamic, from frm)."""
    return (w >> 12) & 7


@njit(cache=True)
def rs3(w):
    """Third source register of the fused multiply-adds."""
    return (w >> 27) & 31


# --- 16-bit (RVC) instruction fields -------------------------------------------


@njit(cache=True)
def rvc_rd(w):
    return (w >> 7) & 31


@njit(cache=True)
def rvc_rs1(w):
    return (w >> 7) & 31


@njit(cache=True)
def rvc_rs2(w):
    return (w >> 2) & 31


@njit(cache=True)
def rvc_rd_p(w):
    return 8 + ((w >> 2) & 7)


@njit(cache=True)
def rvc_rs1_p(w):
    return 8 + ((w >> 7) & 7)


@njit(cache=True)
def rvc_rs2_p(w):
    return 8 + ((w >> 2) & 7)


@njit(cache=True)
def rvc_imm(w):
    return sextn((((w >> 12) & 1) << 5) | ((w >> 2) & 31), 6)


@njit(cache=True)
def rvc_shamt(w):
    return (((w >> 12) & 1) << 5) | ((w >> 2) & 31)


@njit(cache=True)
def rvc_lui_imm(w):
    return rvc_imm(w) << 12


@njit(cache=True)
def rvc_addi4spn_imm(w):
    return (((w >> 6) & 1) << 2) | (((w >> 5) & 1) << 3) | (((w >> 11) & 3) << 4) | (((w >> 7) & 15) << 6)


@njit(cache=True)
def rvc_addi16sp_imm(w):
    v = (
        (((w >> 12) & 1) << 9)
        | (((w >> 6) & 1) << 4)
        | (((w >> 5) & 1) << 6)
        | (((w >> 3) & 3) << 7)
        | (((w >> 2) & 1) << 5)
    )
    return sextn(v, 10)


@njit(cache=True)
def rvc_lw_imm(w):
    return (((w >> 6) & 1) << 2) | (((w >> 10) & 7) << 3) | (((w >> 5) & 1) << 6)


@njit(cache=True)
def rvc_ld_imm(w):
    return (((w >> 10) & 7) << 3) | (((w >> 5) & 3) << 6)


@njit(cache=True)
def rvc_lwsp_imm(w):
    return (((w >> 4) & 7) << 2) | (((w >> 12) & 1) << 5) | (((w >> 2) & 3) << 6)


@njit(cache=True)
def rvc_ldsp_imm(w):
    return (((w >> 5) & 3) << 3) | (((w >> 12) & 1) << 5) | (((w >> 2) & 7) << 6)


@njit(cache=True)
def rvc_swsp_imm(w):
    return (((w >> 9) & 15) << 2) | (((w >> 7) & 3) << 6)


@njit(cache=True)
def rvc_sdsp_imm(w):
    return (((w >> 10) & 7) << 3) | (((w >> 7) & 7) << 6)


@njit(cache=True)
def rvc_j_imm(w):
    v = (
        (((w >> 12) & 1) << 11)
        | (((w >> 11) & 1) << 4)
        | (((w >> 9) & 3) << 8)
        | (((w >> 8) & 1) << 10)
        | (((w >> 7) & 1) << 6)
        | (((w >> 6) & 1) << 7)
        | (((w >> 3) & 7) << 1)
        | (((w >> 2) & 1) << 5)
    )
    return sextn(v, 12)


@njit(cache=True)
def rvc_b_imm(w):
    v = (
        (((w >> 12) & 1) << 8)
        | (((w >> 10) & 3) << 3)
        | (((w >> 5) & 3) << 6)
        | (((w >> 3) & 3) << 1)
        | (((w >> 2) & 1) << 5)
    )
    return sextn(v, 9)
