"""The CSR file: numbers, names, and the read/write rules of each CSR.

`csr_read` / `csr_write` implement the privileged spec's WARL rules as QEMU
7.2's virt machine has them (the oracle for unspecified behaviour) with
these deliberate choices, documented in docs/isa.md:
  * Without F, FS is hard-wired Off; with F it is writable and every write of FP
    state (kernel.exec_fp, FP loads, fflags/frm/fcsr) makes it Dirty. VS/XS are
    Off. SD is not stored: it reads as FS == Dirty (bit 63 on RV64, 31 on RV32).
  * fflags/frm/fcsr exist only with F and are illegal while FS is Off.
  * mstatus.UXL/SXL read 2 (64-bit) on RV64 and are read-only; MBE/SBE/UBE read 0.
  * satp.MODE is WARL: Bare, Sv39, Sv48 and Sv57 as on QEMU 7.2 (RV32: Bare,
    Sv32); writing any other mode leaves satp unchanged (how Linux probes).
  * PMP: all 64 entries' CSRs exist; 16 entries (as QEMU 7.2) are implemented with
    WARL masks and locking, entries 16..63 are read-only zero; PMP does not enforce.
  * menvcfg/senvcfg exist (priv 1.12) with only FIOM writable -- and menvcfg.STCE
    on a hart with Sstc (rv64..._sstc; on RV32, rv32..._sstc, STCE is bit 31 of
    menvcfgh and stimecmph holds stimecmp's high half): stimecmp and STIP are
    handled in cpu/kernel.py (csr_instruction, refresh_sstc); without Sstc,
    stimecmp is illegal and OpenSBI uses the CLINT timer.
  * mhpmcounter3..18 and mhpmevent3..18 are stored but count nothing (QEMU 7.2's
    pmu-num=16); 19..31 read zero.
  * mip.SEIP is the OR of the software-written bit and the PLIC's line (as
    QEMU 7.2; csrrs/csrrc modify only the software bit).
  * Debug triggers: tselect/tdata1..3 exist and read 0 (tdata1.type = 0: no
    trigger), writes are ignored, as a minimal Sdtrig.
  * Unimplemented CSRs raise illegal instruction.
Counters: cycle == instructions executed (one per cycle on the atomic CPU),
instret == instructions retired, time == CLINT mtime.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from .bits import M32, sext32
from .state import (
    FCSR, USED, USED_F, MCAUSE, MCOUNTEREN, MCOUNTINHIBIT, MCYCLE, MEDELEG, MENVCFG, MEPC, MHARTID, MHPMEVENT, MIDELEG, MIE,
    MHPMCOUNTER, MINSTRET, MIP, MISA, SEIP_EXT, SEIP_SW, MSCRATCH, MSTATUS, MTVAL, MTVEC, PMPADDR, PMPCFG, PRV_M, PRV_S, SATP, SCAUSE,
    SCOUNTEREN, SENVCFG, SEPC, SSCRATCH, STVAL, STVEC,
)

# --- CSR numbers -----------------------------------------------------------
CSR_NAMES = {
    0x001: "fflags", 0x002: "frm", 0x003: "fcsr",
    0xC00: "cycle", 0xC01: "time", 0xC02: "instret", 0xC80: "cycleh", 0xC81: "timeh", 0xC82: "instreth",
    0x100: "sstatus", 0x104: "sie", 0x105: "stvec", 0x106: "scounteren", 0x10A: "senvcfg",
    0x140: "sscratch", 0x141: "sepc", 0x142: "scause", 0x143: "stval", 0x144: "sip", 0x14D: "stimecmp", 0x15D: "stimecmph", 0x180: "satp",
    0xF11: "mvendorid", 0xF12: "marchid", 0xF13: "mimpid", 0xF14: "mhartid", 0xF15: "mconfigptr",
    0x300: "mstatus", 0x301: "misa", 0x302: "medeleg", 0x303: "mideleg", 0x304: "mie", 0x305: "mtvec",
    0x306: "mcounteren", 0x30A: "menvcfg", 0x310: "mstatush", 0x31A: "menvcfgh", 0x320: "mcountinhibit",
    0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
    0xB00: "mcycle", 0xB02: "minstret", 0xB80: "mcycleh", 0xB82: "minstreth",
}
for _i in range(3, 32):
    CSR_NAMES[0xC00 + _i] = f"hpmcounter{_i}"
    CSR_NAMES[0xC80 + _i] = f"hpmcounter{_i}h"
    CSR_NAMES[0xB00 + _i] = f"mhpmcounter{_i}"
    CSR_NAMES[0xB80 + _i] = f"mhpmcounter{_i}h"
    CSR_NAMES[0x320 + _i] = f"mhpmevent{_i}"
for _i in range(16):
    CSR_NAMES[0x3A0 + _i] = f"pmpcfg{_i}"
for _i in range(64):
    CSR_NAMES[0x3B0 + _i] = f"pmpaddr{_i}"

# --- mstatus bits ------------------------------------------------------------
MSTATUS_SIE = 1 << 1
MSTATUS_MIE = 1 << 3
MSTATUS_SPIE = 1 << 5
MSTATUS_MPIE = 1 << 7
MSTATUS_SPP = 1 << 8
MSTATUS_MPP = 3 << 11
MSTATUS_FS = 3 << 13  # 0 Off, 1 Initial, 2 Clean, 3 Dirty
MSTATUS_SD64 = -0x8000000000000000
MSTATUS_SD32 = 1 << 31
MISA_F = 1 << 5
MSTATUS_MPRV = 1 << 17
MSTATUS_SUM = 1 << 18
MSTATUS_MXR = 1 << 19
MSTATUS_TVM = 1 << 20
MSTATUS_TW = 1 << 21
MSTATUS_TSR = 1 << 22
MSTATUS_UXL_SXL_64 = (2 << 32) | (2 << 34)

MSTATUS_WMASK = (
    MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_MPRV
    | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
)
SSTATUS_RMASK = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | (3 << 32) | (3 << 13) | (3 << 9) | (3 << 15)
SSTATUS_WMASK = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR

# --- interrupts --------------------------------------------------------------
IRQ_SSI = 1
IRQ_MSI = 3
IRQ_STI = 5
IRQ_MTI = 7
IRQ_SEI = 9
IRQ_MEI = 11
MIP_SSIP = 1 << IRQ_SSI
MIP_MSIP = 1 << IRQ_MSI
MIP_STIP = 1 << IRQ_STI
MIP_MTIP = 1 << IRQ_MTI
MIP_SEIP = 1 << IRQ_SEI
MIP_MEIP = 1 << IRQ_MEI
S_INTS = MIP_SSIP | MIP_STIP | MIP_SEIP
ALL_INTS = S_INTS | MIP_MSIP | MIP_MTIP | MIP_MEIP
MIP_SW_WMASK = MIP_SSIP | MIP_STIP | MIP_SEIP  # MSIP/MTIP/MEIP are driven by the CLINT and PLIC
MIDELEG_WMASK = S_INTS
# exceptions that medeleg can delegate (QEMU 7.2: everything but M-mode ecall is delegable here)
MEDELEG_WMASK = 0xB3FF

SATP64_MODE_SHIFT = 60
PMPADDR_MASK64 = (1 << 54) - 1
PMPADDR_MASK32 = 0xFFFFFFFF

N_PMP = 16  # implemented PMP entries (the CSRs of entries 16..63 read zero)
N_HPM_LAST = 18  # mhpmcounter3..18 exist as storage, 19..31 read zero

# statuses
CSR_OK = 0
CSR_ILLEGAL = 1


@njit(cache=True)
def _counter_allowed(st, idx, priv):
    """cycle/time/instret/hpmcounter access from S/U (mcounteren, scounteren)."""
    if priv == PRV_M:
        return True
    if not ((st[MCOUNTEREN] >> idx) & 1):
        return False
    if priv == PRV_S:
        return True
    return ((st[SCOUNTEREN] >> idx) & 1) != 0


@njit(cache=True)
def counter_value(st, idx, k, mtime):
    """Current value of counter idx (0 cycle, 1 time, 2 instret, 3.. hpm).

    ``k`` is the number of instructions this hart executed since its counters
    were last committed to ``st``.
    """
    if idx == 0:
        if st[MCOUNTINHIBIT] & 1:
            return st[MCYCLE]
        return st[MCYCLE] + k
    if idx == 1:
        return mtime
    if idx == 2:
        if st[MCOUNTINHIBIT] & 4:
            return st[MINSTRET]
        return st[MINSTRET] + k
    if idx > N_HPM_LAST:
        return 0
    return st[MHPMCOUNTER + idx - 3]


@njit(cache=True)
def csr_exists(csr, xl32):
    """Whether csr names an implemented CSR (for the given XLEN)."""
    if 0xC00 <= csr <= 0xC1F or 0xB00 <= csr <= 0xB1F or 0x323 <= csr <= 0x33F:
        return csr != 0xB01
    if 0xC80 <= csr <= 0xC9F or 0xB80 <= csr <= 0xB9F:
        return xl32 and csr != 0xB81
    if 0x3A0 <= csr <= 0x3AF:
        return xl32 or (csr & 1) == 0
    if 0x3B0 <= csr <= 0x3EF:
        return True
    if csr == 0x310 or csr == 0x31A:
        return xl32
    if 0x7A0 <= csr <= 0x7A3:
        return True
    if 1 <= csr <= 3:
        return True  # csr_check: only with F, and not while FS is Off
    return csr in (
        0x100, 0x104, 0x105, 0x106, 0x10A, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180,
        0xF11, 0xF12, 0xF13, 0xF14, 0xF15, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, 0x30A,
        0x320, 0x340, 0x341, 0x342, 0x343, 0x344,
    )


@njit(cache=True)
def csr_check(st, csr, priv, write, xl32):
    """Access check: exists, privilege level, read-only, TVM, counter enables."""
    if not csr_exists(csr, xl32):
        return False
    if csr <= 3 and ((st[MISA] & MISA_F) == 0 or (st[MSTATUS] & MSTATUS_FS) == 0):
        return False
    if ((csr >> 8) & 3) > priv:
        return False
    if write and ((csr >> 10) & 3) == 3:
        return False
    if csr == 0x180 and priv == PRV_S and (st[MSTATUS] & MSTATUS_TVM):
        return False
    if 0xC00 <= csr <= 0xC1F:
        return _counter_allowed(st, csr - 0xC00, priv)
    if 0xC80 <= csr <= 0xC9F:
        return _counter_allowed(st, csr - 0xC80, priv)
    return True


@njit(cache=True)
def fp_csr_read(csr, fcsr):
    """fflags (0x001), frm (0x002) or fcsr (0x003), read from the fcsr register."""
    if csr == 0x001:
        return fcsr & 0x1F
    if csr == 0x002:
        return (fcsr >> 5) & 7
    return fcsr & 0xFF


@njit(cache=True)
def fp_csr_written(csr, fcsr, v):
    """The fcsr register after v is written to fflags, frm or fcsr."""
    if csr == 0x001:
        return (fcsr & ~0x1F) | (v & 0x1F)
    if csr == 0x002:
        return (fcsr & 0x1F) | ((v & 7) << 5)
    return v & 0xFF


@njit(cache=True)
def csr_read(st, csr, xl32, k, mtime):
    """Read a CSR already checked by csr_check. Returns the XLEN-wide value (RV32: sign-extended)."""
    v = 0
    if csr == 0x300 or csr == 0x100:
        v = st[MSTATUS] if csr == 0x300 else st[MSTATUS] & SSTATUS_RMASK
        if not xl32:
            v |= MSTATUS_UXL_SXL_64 if csr == 0x300 else 2 << 32
        if (v & MSTATUS_FS) == MSTATUS_FS:
            v |= MSTATUS_SD32 if xl32 else MSTATUS_SD64
    elif 1 <= csr <= 3:
        v = fp_csr_read(csr, st[FCSR])
    elif csr == 0x310:
        v = 0
    elif csr == 0x301:
        v = st[MISA]
    elif csr == 0x302:
        v = st[MEDELEG]
    elif csr == 0x303:
        v = st[MIDELEG]
    elif csr == 0x304:
        v = st[MIE]
    elif csr == 0x104:
        v = st[MIE] & st[MIDELEG]
    elif csr == 0x344:
        v = st[MIP]
    elif csr == 0x144:
        v = st[MIP] & st[MIDELEG]
    elif csr == 0x305:
        v = st[MTVEC]
    elif csr == 0x105:
        v = st[STVEC]
    elif csr == 0x306:
        v = st[MCOUNTEREN]
    elif csr == 0x106:
        v = st[SCOUNTEREN]
    elif csr == 0x320:
        v = st[MCOUNTINHIBIT]
    elif csr == 0x30A:
        v = st[MENVCFG]
    elif csr == 0x31A:
        v = st[MENVCFG] >> 32  # STCE (bit 31) with Sstc, else 0
    elif csr == 0x10A:
        v = st[SENVCFG]
    elif csr == 0x340:
        v = st[MSCRATCH]
    elif csr == 0x140:
        v = st[SSCRATCH]
    elif csr == 0x341:
        v = st[MEPC]
    elif csr == 0x141:
        v = st[SEPC]
    elif csr == 0x342:
        v = st[MCAUSE]
    elif csr == 0x142:
        v = st[SCAUSE]
    elif csr == 0x343:
        v = st[MTVAL]
    elif csr == 0x143:
        v = st[STVAL]
    elif csr == 0x180:
        v = st[SATP]
    elif csr == 0xF14:
        v = st[MHARTID]
    elif csr == 0xF11 or csr == 0xF12 or csr == 0xF13 or csr == 0xF15:
        v = 0
    elif 0xC00 <= csr <= 0xC1F:
        v = counter_value(st, csr - 0xC00, k, mtime)
    elif 0xC80 <= csr <= 0xC9F:
        v = counter_value(st, csr - 0xC80, k, mtime) >> 32
    elif csr == 0xB00 or csr == 0xB02:
        v = counter_value(st, csr - 0xB00, k, mtime)
    elif csr == 0xB80 or csr == 0xB82:
        v = counter_value(st, csr - 0xB80, k, mtime) >> 32
    elif 0xB03 <= csr <= 0xB1F:
        v = st[MHPMCOUNTER + csr - 0xB03] if csr <= 0xB00 + N_HPM_LAST else 0
    elif 0xB83 <= csr <= 0xB9F:
        v = (st[MHPMCOUNTER + csr - 0xB83] >> 32) if csr <= 0xB80 + N_HPM_LAST else 0
    elif 0x7A0 <= csr <= 0x7A3:
        v = 0
    elif 0x323 <= csr <= 0x33F:
        v = st[MHPMEVENT + csr - 0x323] if csr <= 0x320 + N_HPM_LAST else 0
    elif 0x3A0 <= csr <= 0x3AF:
        n = csr - 0x3A0
        per = 4 if xl32 else 8
        base = n * 4
        v = 0
        for i in range(per - 1, -1, -1):
            v = (v << 8) | (st[PMPCFG + base + i] & 0xFF)
    elif 0x3B0 <= csr <= 0x3EF:
        v = st[PMPADDR + csr - 0x3B0]
    if xl32:
        v = sext32(v)
    return v


@njit(cache=True)
def _pmp_locked(st, i):
    return (st[PMPCFG + i] & 0x80) != 0


@njit(cache=True)
def csr_write(st, csr, v, xl32, k, satp_modes):
    """Write a CSR already checked by csr_check; ``v`` is the XLEN-wide value.

    ``k`` as in csr_read: counter writes account for instructions not yet
    committed. ``satp_modes`` is a bitmask of supported satp MODE values.
    Returns 1 if address translation may have changed (flush TLBs), else 0.
    """
    if xl32:
        v = v & M32
    if csr == 0x300 or csr == 0x100:
        wm = MSTATUS_WMASK if csr == 0x300 else SSTATUS_WMASK
        if st[MISA] & MISA_F:
            wm |= MSTATUS_FS
            if (v & MSTATUS_FS) == MSTATUS_FS:
                st[USED] |= USED_F  # the guest declared FP state live
        st[MSTATUS] = (st[MSTATUS] & ~wm) | (v & wm)
        if ((st[MSTATUS] >> 11) & 3) == 2:  # MPP: 2 is reserved -> keep U
            st[MSTATUS] &= ~MSTATUS_MPP
        return 0
    if csr <= 3:
        st[FCSR] = fp_csr_written(csr, st[FCSR], v)
        st[MSTATUS] |= MSTATUS_FS
        st[USED] |= USED_F
        return 0
    if csr == 0x310 or csr == 0x31A or csr == 0x301:
        return 0
    if csr == 0x302:
        st[MEDELEG] = v & MEDELEG_WMASK
        return 0
    if csr == 0x303:
        st[MIDELEG] = v & MIDELEG_WMASK
        return 0
    if csr == 0x304:
        st[MIE] = v & ALL_INTS
        return 0
    if csr == 0x104:
        m = st[MIDELEG] & S_INTS
        st[MIE] = (st[MIE] & ~m) | (v & m)
        return 0
    if csr == 0x344:
        st[SEIP_SW] = 1 if (v & MIP_SEIP) else 0
        seip = MIP_SEIP if (st[SEIP_SW] | st[SEIP_EXT]) else 0
        st[MIP] = (st[MIP] & ~MIP_SW_WMASK) | (v & (MIP_SSIP | MIP_STIP)) | seip
        return 0
    if csr == 0x144:
        m = st[MIDELEG] & MIP_SSIP
        st[MIP] = (st[MIP] & ~m) | (v & m)
        return 0
    if csr == 0x305:
        if (v & 3) < 2:
            st[MTVEC] = v
        return 0
    if csr == 0x105:
        if (v & 3) < 2:
            st[STVEC] = v
        return 0
    if csr == 0x306:
        st[MCOUNTEREN] = v & M32
        return 0
    if csr == 0x106:
        st[SCOUNTEREN] = v & M32
        return 0
    if csr == 0x320:
        st[MCOUNTINHIBIT] = v & 0xFFFFFFFD
        return 0
    if csr == 0x30A:
        # only FIOM; STCE (bit 63) is kernel.csr_instruction's, and an RV32 write of the low half keeps it
        st[MENVCFG] = ((st[MENVCFG] & ~M32) if xl32 else 0) | (v & 1)
        return 0
    if csr == 0x10A:
        st[SENVCFG] = v & 1
        return 0
    if csr == 0x340:
        st[MSCRATCH] = v
        return 0
    if csr == 0x140:
        st[SSCRATCH] = v
        return 0
    if csr == 0x341:
        st[MEPC] = v & ~1
        return 0
    if csr == 0x141:
        st[SEPC] = v & ~1
        return 0
    if csr == 0x342:
        st[MCAUSE] = v
        return 0
    if csr == 0x142:
        st[SCAUSE] = v
        return 0
    if csr == 0x343:
        st[MTVAL] = v
        return 0
    if csr == 0x143:
        st[STVAL] = v
        return 0
    if csr == 0x180:
        if xl32:
            mode = (v >> 31) & 1
            if not ((satp_modes >> mode) & 1):
                return 0
            st[SATP] = v & M32
        else:
            mode = (v >> SATP64_MODE_SHIFT) & 15
            if not ((satp_modes >> mode) & 1):
                return 0
            st[SATP] = v
        return 1
    # counters: the value written is what the next instruction reads
    # (the kernel adds the slice's count to the counters when the slice ends, unless inhibited)
    # A write replaces the writing instruction's own increment, so the half not written
    # comes from the count before it (k, not k + 1).
    if csr == 0xB00 or csr == 0xB80:
        pend = 0 if (st[MCOUNTINHIBIT] & 1) else k + 1
        cur = counter_value(st, 0, k, 0)
        if csr == 0xB80:
            v = (v << 32) | (cur & M32)
        elif xl32:
            v = (cur & ~M32) | v
        st[MCYCLE] = v - pend
        return 0
    if csr == 0xB02 or csr == 0xB82:
        pend = 0 if (st[MCOUNTINHIBIT] & 4) else k + 1
        cur = counter_value(st, 2, k, 0)
        if csr == 0xB82:
            v = (v << 32) | (cur & M32)
        elif xl32:
            v = (cur & ~M32) | v
        st[MINSTRET] = v - pend
        return 0
    if 0xB03 <= csr <= 0xB1F:
        if csr > 0xB00 + N_HPM_LAST:
            return 0
        i = MHPMCOUNTER + csr - 0xB03
        st[i] = ((st[i] >> 32) << 32) | v if xl32 else v
        return 0
    if 0xB83 <= csr <= 0xB9F:
        if csr > 0xB80 + N_HPM_LAST:
            return 0
        i = MHPMCOUNTER + csr - 0xB83
        st[i] = (st[i] & M32) | (v << 32)
        return 0
    if 0x7A0 <= csr <= 0x7A3:
        return 0
    if 0x323 <= csr <= 0x33F:
        if csr <= 0x320 + N_HPM_LAST:
            st[MHPMEVENT + csr - 0x323] = v
        return 0
    if 0x3A0 <= csr <= 0x3AF:
        n = csr - 0x3A0
        per = 4 if xl32 else 8
        base = n * 4
        for i in range(per):
            e = base + i
            if e < N_PMP and not _pmp_locked(st, e):
                b = (v >> (8 * i)) & 0x9F
                if (b & 3) == 2:  # R=0 W=1 is reserved: keep the previous value
                    b = st[PMPCFG + e]
                st[PMPCFG + e] = b
        return 0
    if 0x3B0 <= csr <= 0x3EF:
        i = csr - 0x3B0
        if i >= N_PMP or _pmp_locked(st, i):
            return 0
        if i + 1 < N_PMP and _pmp_locked(st, i + 1) and ((st[PMPCFG + i + 1] >> 3) & 3) == 1:
            return 0  # locked TOR entry above uses this address
        st[PMPADDR + i] = v & (PMPADDR_MASK32 if xl32 else PMPADDR_MASK64)
        return 0
    return 0
