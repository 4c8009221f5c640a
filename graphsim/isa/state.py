"""Hart architectural state: declared once, packed into one int64 row per hart.

The machine allocates ``harts = np.zeros((nharts, HART_WORDS), np.int64)``;
each CPU component owns a row. ``HART_FIELDS`` (a tuple of `StateField`) is
the declaration checkpoints save; the offsets below are derived from the
declaration order and are the constants the compiled kernel indexes with.
Every field is int64. CSRs hold their full internal value (for RV32 the
upper halves of 64-bit CSRs such as mstatus/mcycle live in the same word).

Decode caches and TLBs are NOT here: they are derived, rebuilt empty on
restore (graphsim/cpu/core.py).
"""

from __future__ import annotations

import numpy as np

from ..config.schema import StateField

# (name, shape, doc). Shapes are fixed: PMP has 64 entries in the spec's CSR space.
_LAYOUT = (
    ("x", (32,), "integer registers x0..x31 (RV32: sign-extended 32-bit values)"),
    ("pc", (), "program counter (RV32: zero-extended)"),
    ("priv", (), "privilege mode: 0 U, 1 S, 3 M"),
    ("tick", (), "this hart's local time in ticks (1 tick = 1 ps)"),
    ("icount", (), "instructions executed (retired or trapped), never written by the guest"),
    ("wfi", (), "1 while the hart sleeps in WFI"),
    ("lr_valid", (), "1 while an LR reservation is held"),
    ("lr_addr", (), "virtual address of the LR reservation"),
    ("lr_value", (), "value the LR loaded (SC succeeds only if memory still holds it, as QEMU)"),
    ("used", (), "features the guest has used (USED_* bits; bit 8 + satp.MODE per paging mode)"),
    ("misa", (), "misa (read-only: reflects the configured ISA)"),
    ("mhartid", (), "mhartid"),
    ("mstatus", (), "mstatus (RV32: includes mstatush in bits 32..63)"),
    ("mtvec", (), "mtvec"),
    ("medeleg", (), "medeleg"),
    ("mideleg", (), "mideleg"),
    ("mie", (), "mie"),
    ("mip", (), "mip as read (SEIP = seip_sw | seip_ext; MSIP/MTIP/MEIP driven by CLINT and PLIC)"),
    ("seip_sw", (), "the software-written mip.SEIP bit"),
    ("seip_ext", (), "the PLIC's S-mode external interrupt level"),
    ("mscratch", (), "mscratch"),
    ("mepc", (), "mepc"),
    ("mcause", (), "mcause"),
    ("mtval", (), "mtval"),
    ("mcounteren", (), "mcounteren"),
    ("mcountinhibit", (), "mcountinhibit"),
    ("mcycle", (), "mcycle"),
    ("minstret", (), "minstret"),
    ("menvcfg", (), "menvcfg"),
    ("stvec", (), "stvec"),
    ("sscratch", (), "sscratch"),
    ("sepc", (), "sepc"),
    ("scause", (), "scause"),
    ("stval", (), "stval"),
    ("scounteren", (), "scounteren"),
    ("senvcfg", (), "senvcfg"),
    ("satp", (), "satp"),
    ("pmpcfg", (64,), "PMP configuration bytes, one per entry"),
    ("pmpaddr", (64,), "pmpaddr0..63"),
    ("mhpmevent", (29,), "mhpmevent3..31 (stored; no events are counted)"),
    ("mhpmcounter", (29,), "mhpmcounter3..31 (stored; they do not count)"),
    # state version 2: the F and D extensions
    ("f", (32,), "floating-point registers f0..f31, 64-bit patterns (a single is NaN-boxed: upper 32 bits ones)"),
    ("fcsr", (), "fcsr: fflags in bits 0..4 (NX UF OF DZ NV), frm in bits 5..7"),
    ("stimecmp", (), "stimecmp (Sstc): the S-mode timer compare against time"),
)

# Fields added after state version 1 (a version-1 checkpoint lacks them; see graphsim/checkpoint/upgrade.py)
_SINCE = {"f": 2, "fcsr": 2, "stimecmp": 2}  # stimecmp: absent from older checkpoints, which had no Sstc
FP_FIELDS = ("f", "fcsr")


def _fields():
    out = []
    for name, shape, doc in _LAYOUT:
        out.append(StateField(name, "int64", shape, doc, architectural=True, since=_SINCE.get(name, 1)))
    return tuple(out)


HART_FIELDS: tuple[StateField, ...] = _fields()

OFFSETS: dict[str, int] = {}
_off = 0
for _name, _shape, _doc in _LAYOUT:
    OFFSETS[_name] = _off
    _off += int(np.prod(_shape)) if _shape else 1
HART_WORDS = _off

# Module-level constants the kernel indexes with (numba freezes these as literals).
X = OFFSETS["x"]
PC = OFFSETS["pc"]
PRIV = OFFSETS["priv"]
TICK = OFFSETS["tick"]
ICOUNT = OFFSETS["icount"]
WFI = OFFSETS["wfi"]
LR_VALID = OFFSETS["lr_valid"]
LR_ADDR = OFFSETS["lr_addr"]
LR_VALUE = OFFSETS["lr_value"]
USED = OFFSETS["used"]
MISA = OFFSETS["misa"]
MHARTID = OFFSETS["mhartid"]
MSTATUS = OFFSETS["mstatus"]
MTVEC = OFFSETS["mtvec"]
MEDELEG = OFFSETS["medeleg"]
MIDELEG = OFFSETS["mideleg"]
MIE = OFFSETS["mie"]
MIP = OFFSETS["mip"]
MSCRATCH = OFFSETS["mscratch"]
MEPC = OFFSETS["mepc"]
MCAUSE = OFFSETS["mcause"]
MTVAL = OFFSETS["mtval"]
MCOUNTEREN = OFFSETS["mcounteren"]
MCOUNTINHIBIT = OFFSETS["mcountinhibit"]
MCYCLE = OFFSETS["mcycle"]
MINSTRET = OFFSETS["minstret"]
MENVCFG = OFFSETS["menvcfg"]
STVEC = OFFSETS["stvec"]
SSCRATCH = OFFSETS["sscratch"]
SEPC = OFFSETS["sepc"]
SCAUSE = OFFSETS["scause"]
STVAL = OFFSETS["stval"]
SCOUNTEREN = OFFSETS["scounteren"]
SENVCFG = OFFSETS["senvcfg"]
SATP = OFFSETS["satp"]
PMPCFG = OFFSETS["pmpcfg"]
PMPADDR = OFFSETS["pmpaddr"]
MHPMEVENT = OFFSETS["mhpmevent"]
MHPMCOUNTER = OFFSETS["mhpmcounter"]
SEIP_SW = OFFSETS["seip_sw"]
SEIP_EXT = OFFSETS["seip_ext"]
F = OFFSETS["f"]
FCSR = OFFSETS["fcsr"]
STIMECMP = OFFSETS["stimecmp"]

# Privilege levels
PRV_U = 0
PRV_S = 1
PRV_M = 3

# Bits of the `used` field: what the guest has exercised (for checkpoint compatibility records)
USED_M = 1 << 0  # an M-extension instruction executed
USED_A = 1 << 1  # an LR/SC/AMO executed
USED_C = 1 << 2  # a compressed instruction executed
USED_S = 1 << 3  # S-mode entered
USED_U = 1 << 4  # U-mode entered
USED_PAGING = 1 << 5  # a translation with satp.MODE != Bare happened
USED_F = 1 << 6  # an F or D instruction executed, an FP CSR was written, or mstatus.FS was made Dirty
USED_D = 1 << 7  # a D instruction executed
USED_PAGING_SHIFT = 8  # bit (8 + satp.MODE) set per paging mode used: 16 Sv39, 17 Sv48, 18 Sv57; RV32: 9 Sv32
USED_ZIHINTPAUSE = 1 << 24  # a pause hint executed on a hart whose ISA has Zihintpause
USED_SSTC = 1 << 25  # menvcfg.STCE was set: the S-mode timer is stimecmp (Sstc)

USED_BITS = {
    "M": USED_M,
    "A": USED_A,
    "C": USED_C,
    "S-mode": USED_S,
    "U-mode": USED_U,
    "paging": USED_PAGING,
    "F": USED_F,
    "D": USED_D,
    "Zihintpause": USED_ZIHINTPAUSE,
    "Sstc": USED_SSTC,
}


def describe_used(used: int, xlen: int = 64) -> dict:
    """The `used` mask as a record: {'M': True, ..., 'paging_modes': ['sv39']}."""
    out = {k: bool(used & v) for k, v in USED_BITS.items()}
    modes = []
    for mode in range(16):
        if used & (1 << (USED_PAGING_SHIFT + mode)):
            if xlen == 32:
                modes.append({1: "sv32"}.get(mode, f"mode{mode}"))
            else:
                modes.append({8: "sv39", 9: "sv48", 10: "sv57"}.get(mode, f"mode{mode}"))
    out["paging_modes"] = modes
    return out


def field_views(row: np.ndarray) -> dict[str, np.ndarray]:
    """Writable views of one hart row, one per declared field (0-d views for scalars).

    Restoring a checkpoint must write into these in place (``view[...] = saved``).
    """
    out = {}
    for name, shape, _doc in _LAYOUT:
        off = OFFSETS[name]
        if shape:
            out[name] = row[off : off + int(np.prod(shape))].reshape(shape)
        else:
            out[name] = row[off : off + 1].reshape(())
    return out
