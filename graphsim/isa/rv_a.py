"""A extension: LR/SC and AMOs.

An AMO semantics function takes ``(old, src)`` — the memory value (sign-
extended from the access size) and rs2 — and returns the value stored; rd
receives ``old``. LR/SC and the memory side (alignment, reservation) are in
the CPU step. Sizes are in AMO/LR/SC below.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from .bits import SIGN64, sext32


@njit(cache=True, inline='always')
def amoswap(old, src):
    return src


@njit(cache=True, inline='always')
def amoadd(old, src):
    return old + src


@njit(cache=True, inline='always')
def amoxor(old, src):
    return old ^ src


@njit(cache=True, inline='always')
def amoand(old, src):
    return old & src


@njit(cache=True, inline='always')
def amoor(old, src):
    return old | src


@njit(cache=True, inline='always')
def amomin(old, src):
    return old if old < src else src


@njit(cache=True, inline='always')
def amomax(old, src):
    return old if old > src else src


@njit(cache=True, inline='always')
def amominu(old, src):
    return old if (old ^ SIGN64) < (src ^ SIGN64) else src


@njit(cache=True, inline='always')
def amomaxu(old, src):
    return old if (old ^ SIGN64) > (src ^ SIGN64) else src


@njit(cache=True, inline='always')
def amomin_w(old, src):
    return amomin(sext32(old), sext32(src))


@njit(cache=True, inline='always')
def amomax_w(old, src):
    return amomax(sext32(old), sext32(src))


@njit(cache=True, inline='always')
def amominu_w(old, src):
    return amominu(old & 0xFFFFFFFF, src & 0xFFFFFFFF)


@njit(cache=True, inline='always')
def amomaxu_w(old, src):
    return amomaxu(old & 0xFFFFFFFF, src & 0xFFFFFFFF)


AMO = {
    "amoswap.w": (4, amoswap), "amoadd.w": (4, amoadd), "amoxor.w": (4, amoxor), "amoand.w": (4, amoand),
    "amoor.w": (4, amoor), "amomin.w": (4, amomin_w), "amomax.w": (4, amomax_w),
    "amominu.w": (4, amominu_w), "amomaxu.w": (4, amomaxu_w),
    "amoswap.d": (8, amoswap), "amoadd.d": (8, amoadd), "amoxor.d": (8, amoxor), "amoand.d": (8, amoand),
    "amoor.d": (8, amoor), "amomin.d": (8, amomin), "amomax.d": (8, amomax),
    "amominu.d": (8, amominu), "amomaxu.d": (8, amomaxu),
}
LR = {"lr.w": 4, "lr.d": 8}
SC = {"sc.w": 4, "sc.d": 8}
