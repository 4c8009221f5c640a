"""Zicsr: the CSR access instructions.

The read/write rules of each CSR live in csr.py; here are the instruction
semantics: which value is written and whether a read or write happens
(csrrw with rd=x0 does not read; csrrs/csrrc with rs1=x0 (or zimm=0) do not
write, so they are legal on read-only CSRs).
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit


@njit(cache=True)
def csrrw(old, src):
    return src


@njit(cache=True)
def csrrs(old, src):
    return old | src


@njit(cache=True)
def csrrc(old, src):
    return old & ~src


@njit(cache=True)
def new_value(kind, old, src):
    """kind 0 = csrrw(i), 1 = csrrs(i), 2 = csrrc(i)."""
    if kind == 0:
        return csrrw(old, src)
    if kind == 1:
        return csrrs(old, src)
    return csrrc(old, src)


@njit(cache=True)
def does_write(kind, rs1_field):
    return kind == 0 or rs1_field != 0


@njit(cache=True)
def does_read(kind, rd):
    return kind != 0 or rd != 0
