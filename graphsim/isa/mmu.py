"""Sv39/Sv48/Sv57 (RV64) and Sv32 (RV32) page-table walks and the software TLB.

A/D bits are set by the walker as QEMU 7.2 does: a walk that would be
permitted sets A (and D for a store/AMO) in the leaf PTE in RAM. A TLB
entry for stores is only ever filled by a store walk (so D is known set);
a load walk fills only the load TLB. Permission checks happen at walk time
for the (privilege, SUM, MXR) context that is part of every TLB tag, so
no flush is needed when those change; satp writes and sfence.vma flush.

TLB layout (in the work array, per hart): 3 kinds (fetch, load, store) x
TLB_ENTRIES direct-mapped entries x 2 words (tag, physical page base).
Tag = (vpn << 3) | context, context = (U-mode << 2) | (SUM << 1) | MXR.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit

from .bits import sextn

ACC_FETCH = 0
ACC_LOAD = 1
ACC_STORE = 2

WALK_PAGE_FAULT = -1
WALK_ACCESS_FAULT = -2

TLB_ENTRIES = 256
TLB_WORDS_PER_HART = 3 * TLB_ENTRIES * 2

PTE_V = 1
PTE_R = 2
PTE_W = 4
PTE_X = 8
PTE_U = 16
PTE_G = 32
PTE_A = 64
PTE_D = 128

# faults by access kind
PAGE_FAULT_CAUSE = (12, 13, 15)
ACCESS_FAULT_CAUSE = (1, 5, 7)


@njit(cache=True)
def walk(ram64, ram32, ram_base, ram_size, satp, va, acc, priv_u, sum_, mxr, xl32):
    """Translate va for an access of kind acc under satp (Sv32 on RV32;
    Sv39, Sv48 or Sv57 on RV64 by satp.MODE). Returns the physical address,
    or WALK_PAGE_FAULT / WALK_ACCESS_FAULT. Updates A/D in the leaf PTE."""
    if xl32:
        levels = 2
        ptesize = 4
        vbits = 10
        ppn_mask = (1 << 22) - 1
        root = (satp & ppn_mask) << 12
        va = va & 0xFFFFFFFF
    else:
        levels = ((satp >> 60) & 15) - 5  # 8 Sv39 -> 3, 9 Sv48 -> 4, 10 Sv57 -> 5
        ptesize = 8
        vbits = 9
        ppn_mask = (1 << 44) - 1
        root = (satp & ppn_mask) << 12
        if sextn(va, 12 + 9 * levels) != va:
            return WALK_PAGE_FAULT
    a = root
    i = levels - 1
    pte = 0
    pte_addr = 0
    while True:
        vpn_i = (va >> (12 + i * vbits)) & ((1 << vbits) - 1)
        pte_addr = a + vpn_i * ptesize
        off = pte_addr - ram_base
        if off < 0 or off + ptesize > ram_size:
            return WALK_ACCESS_FAULT
        if xl32:
            pte = np.int64(ram32[off >> 2]) & 0xFFFFFFFF
        else:
            pte = ram64[off >> 3]
            if (pte >> 54) != 0:  # reserved, PBMT and N bits (Svpbmt/Svnapot not implemented)
                return WALK_PAGE_FAULT
        if (pte & PTE_V) == 0 or ((pte & PTE_R) == 0 and (pte & PTE_W) != 0):
            return WALK_PAGE_FAULT
        if (pte & (PTE_R | PTE_X)) != 0:
            break
        i -= 1
        if i < 0:
            return WALK_PAGE_FAULT
        a = ((pte >> 10) & ppn_mask) << 12
    # leaf permission checks
    if priv_u:
        if (pte & PTE_U) == 0:
            return WALK_PAGE_FAULT
    else:
        if (pte & PTE_U) != 0 and (acc == ACC_FETCH or not sum_):
            return WALK_PAGE_FAULT
    if acc == ACC_FETCH:
        if (pte & PTE_X) == 0:
            return WALK_PAGE_FAULT
    elif acc == ACC_LOAD:
        if (pte & PTE_R) == 0 and not (mxr and (pte & PTE_X) != 0):
            return WALK_PAGE_FAULT
    else:
        if (pte & PTE_W) == 0:
            return WALK_PAGE_FAULT
    ppn = (pte >> 10) & ppn_mask
    if i > 0 and (ppn & ((1 << (i * vbits)) - 1)) != 0:
        return WALK_PAGE_FAULT  # misaligned superpage
    # A/D update
    want = PTE_A | (PTE_D if acc == ACC_STORE else 0)
    if (pte & want) != want:
        pte |= want
        off = pte_addr - ram_base
        if xl32:
            ram32[off >> 2] = ((pte & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
        else:
            ram64[off >> 3] = pte
    low_mask = (1 << (12 + i * vbits)) - 1
    return ((ppn << 12) & ~low_mask) | (va & low_mask)


@njit(cache=True)
def tlb_flush(work, tlb_base):
    for j in range(TLB_WORDS_PER_HART // 2):
        work[tlb_base + 2 * j] = -1
