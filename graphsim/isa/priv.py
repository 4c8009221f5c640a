"""Privileged architecture: traps, interrupts, xRET, WFI, SFENCE.VMA rules.

Exception causes and interrupt numbers follow the privileged spec. Traps
are delegated to S-mode through medeleg/mideleg when taken from S or U.
Interrupt priority is MEI > MSI > MTI > SEI > SSI > STI. The LR reservation
is cleared on every trap and xRET (the spec allows it; Linux relies on an SC
failing after a context switch).
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from .csr import (
    MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_TSR,
    MSTATUS_TVM, MSTATUS_TW,
)
from .state import (
    LR_VALID, MCAUSE, PMPCFG, MEDELEG, MEPC, MIDELEG, MIE, MIP, MSTATUS, MTVAL, MTVEC, PC, PRIV, PRV_M, PRV_S,
    PRV_U, SCAUSE, SEPC, STVAL, STVEC, USED, USED_S, USED_U,
)

# exception causes
EXC_INST_MISALIGNED = 0
EXC_INST_ACCESS = 1
EXC_ILLEGAL = 2
EXC_BREAKPOINT = 3
EXC_LOAD_MISALIGNED = 4
EXC_LOAD_ACCESS = 5
EXC_STORE_MISALIGNED = 6
EXC_STORE_ACCESS = 7
EXC_ECALL_U = 8
EXC_ECALL_S = 9
EXC_ECALL_M = 11
EXC_INST_PAGE = 12
EXC_LOAD_PAGE = 13
EXC_STORE_PAGE = 15

EXC_NAMES = {
    0: "instruction address misaligned", 1: "instruction access fault", 2: "illegal instruction",
    3: "breakpoint", 4: "load address misaligned", 5: "load access fault",
    6: "store/AMO address misaligned", 7: "store/AMO access fault", 8: "environment call from U-mode",
    9: "environment call from S-mode", 11: "environment call from M-mode", 12: "instruction page fault",
    13: "load page fault", 15: "store/AMO page fault",
}

# interrupts in priority order
IRQ_PRIORITY = (11, 3, 7, 9, 1, 5)


@njit(cache=True)
def enter_mode(st, priv):
    st[PRIV] = priv
    if priv == PRV_S:
        st[USED] |= USED_S
    elif priv == PRV_U:
        st[USED] |= USED_U


@njit(cache=True)
def take_trap(st, cause, interrupt, tval, pc, xl32):
    """Enter the trap handler for an exception (interrupt=False) or interrupt.

    ``pc`` is the address of the faulting instruction (or of the next one to
    run, for an interrupt). Sets pc, privilege, and the xepc/xcause/xtval/xstatus CSRs.
    """
    priv = st[PRIV]
    st[LR_VALID] = 0
    if interrupt:
        deleg = (st[MIDELEG] >> cause) & 1
    else:
        deleg = (st[MEDELEG] >> cause) & 1
    if xl32:
        icause = cause | (0x80000000 if interrupt else 0)
    else:
        icause = cause | ((-0x8000000000000000) if interrupt else 0)
    if priv <= PRV_S and deleg:
        st[SCAUSE] = icause
        st[SEPC] = pc
        st[STVAL] = tval
        s = st[MSTATUS]
        s = (s & ~MSTATUS_SPIE) | (MSTATUS_SPIE if (s & MSTATUS_SIE) else 0)
        s &= ~MSTATUS_SIE
        s = (s & ~MSTATUS_SPP) | (MSTATUS_SPP if priv == PRV_S else 0)
        st[MSTATUS] = s
        tvec = st[STVEC]
        enter_mode(st, PRV_S)
    else:
        st[MCAUSE] = icause
        st[MEPC] = pc
        st[MTVAL] = tval
        s = st[MSTATUS]
        s = (s & ~MSTATUS_MPIE) | (MSTATUS_MPIE if (s & MSTATUS_MIE) else 0)
        s &= ~MSTATUS_MIE
        s = (s & ~MSTATUS_MPP) | (priv << 11)
        st[MSTATUS] = s
        tvec = st[MTVEC]
        st[PRIV] = PRV_M
    base = tvec & ~3
    if interrupt and (tvec & 3) == 1:
        base += 4 * cause
    if xl32:
        base &= 0xFFFFFFFF
    st[PC] = base


@njit(cache=True)
def pending_interrupt(st):
    """The interrupt the hart takes now, or -1 (checks enables and delegation)."""
    pend = st[MIP] & st[MIE]
    if pend == 0:
        return -1
    priv = st[PRIV]
    mstatus = st[MSTATUS]
    mideleg = st[MIDELEG]
    m_pend = pend & ~mideleg
    if priv < PRV_M or (mstatus & MSTATUS_MIE):
        if m_pend:
            for irq in IRQ_PRIORITY:
                if (m_pend >> irq) & 1:
                    return irq
    s_pend = pend & mideleg
    if s_pend and (priv < PRV_S or (priv == PRV_S and (mstatus & MSTATUS_SIE))):
        for irq in IRQ_PRIORITY:
            if (s_pend >> irq) & 1:
                return irq
    return -1


@njit(cache=True)
def mret(st, xl32):
    """MRET (caller checked priv == M). Returns the new pc."""
    s = st[MSTATUS]
    mpp = (s >> 11) & 3
    s = (s & ~MSTATUS_MIE) | (MSTATUS_MIE if (s & MSTATUS_MPIE) else 0)
    s |= MSTATUS_MPIE
    s &= ~MSTATUS_MPP  # MPP <- U (least privileged supported mode)
    if mpp != PRV_M:
        s &= ~MSTATUS_MPRV
    st[MSTATUS] = s
    enter_mode(st, mpp)
    st[LR_VALID] = 0
    pc = st[MEPC]
    if xl32:
        pc &= 0xFFFFFFFF
    return pc


@njit(cache=True)
def mret_allowed(st):
    """MRET needs M-mode; as QEMU 7.2, returning to S/U while no PMP entry is
    active (every pmpcfg.A = OFF) is an illegal instruction."""
    if st[PRIV] != PRV_M:
        return False
    if ((st[MSTATUS] >> 11) & 3) != PRV_M:
        for i in range(64):
            if (st[PMPCFG + i] >> 3) & 3:
                return True
        return False
    return True


@njit(cache=True)
def sret(st, xl32):
    """SRET (caller checked the privilege and TSR). Returns the new pc."""
    s = st[MSTATUS]
    spp = PRV_S if (s & MSTATUS_SPP) else PRV_U
    s = (s & ~MSTATUS_SIE) | (MSTATUS_SIE if (s & MSTATUS_SPIE) else 0)
    s |= MSTATUS_SPIE
    s &= ~MSTATUS_SPP
    s &= ~MSTATUS_MPRV  # SRET always returns to a mode below M
    st[MSTATUS] = s
    enter_mode(st, spp)
    st[LR_VALID] = 0
    pc = st[SEPC]
    if xl32:
        pc &= 0xFFFFFFFF
    return pc


@njit(cache=True)
def sret_allowed(st):
    priv = st[PRIV]
    if priv == PRV_U:
        return False
    if priv == PRV_S and (st[MSTATUS] & MSTATUS_TSR):
        return False
    return True


@njit(cache=True)
def wfi_allowed(st):
    """QEMU 7.2: WFI is illegal in U-mode (S-mode exists) and in S-mode when mstatus.TW=1."""
    priv = st[PRIV]
    if priv == PRV_U:
        return False
    if priv == PRV_S and (st[MSTATUS] & MSTATUS_TW):
        return False
    return True


@njit(cache=True)
def sfence_allowed(st):
    priv = st[PRIV]
    if priv == PRV_U:
        return False
    if priv == PRV_S and (st[MSTATUS] & MSTATUS_TVM):
        return False
    return True


@njit(cache=True)
def data_priv(st):
    """Effective privilege for loads/stores (MPRV: M-mode accesses use MPP)."""
    priv = st[PRIV]
    s = st[MSTATUS]
    if priv == PRV_M and (s & MSTATUS_MPRV):
        return (s >> 11) & 3
    return priv

