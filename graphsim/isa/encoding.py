"""Instruction encodings as data: the parser of the tables in ``opcodes/``.

Each table file holds one extension in riscv-opcodes text format (see
``opcodes/README`` for provenance and the two graphsim additions: `!=`
constraints and `=>` compressed expansions). This module turns them into
`Encoding` records; the decoder generator, the disassembler and the tests
all read the encodings from here, never from retyped bit patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

OPCODES_DIR = Path(__file__).with_name("opcodes")

# table file -> (extension name, xlens)
TABLES = {
    "rv_i": ("i", (32, 64)),
    "rv32_i": ("i", (32,)),
    "rv64_i": ("i", (64,)),
    "rv_m": ("m", (32, 64)),
    "rv64_m": ("m", (64,)),
    "rv_a": ("a", (32, 64)),
    "rv64_a": ("a", (64,)),
    "rv_f": ("f", (32, 64)),
    "rv64_f": ("f", (64,)),
    "rv_d": ("d", (32, 64)),
    "rv64_d": ("d", (64,)),
    "rv_c": ("c", (32, 64)),
    "rv32_c": ("c", (32,)),
    "rv64_c": ("c", (64,)),
    "rv_zicsr": ("zicsr", (32, 64)),
    "rv_zifencei": ("zifencei", (32, 64)),
    "rv_system": ("priv", (32, 64)),
    "custom3_m5op": ("m5op", (32, 64)),
}

OPERAND_FIELDS = {
    "rd": (11, 7),
    "rs1": (19, 15),
    "rs2": (24, 20),
    "imm12": (31, 20),
    "imm12hi": (31, 25),
    "imm12lo": (11, 7),
    "bimm12hi": (31, 25),
    "bimm12lo": (11, 7),
    "imm20": (31, 12),
    "jimm20": (31, 12),
    "shamtd": (25, 20),
    "shamtw": (24, 20),
    "csr": (31, 20),
    "zimm": (19, 15),
    "aq": (26, 26),
    "rl": (25, 25),
    "fm": (31, 28),
    "pred": (27, 24),
    "succ": (23, 20),
    "m5func": (31, 25),
    "rm": (14, 12),
    "rs3": (31, 27),
}


@dataclass(frozen=True)
class Encoding:
    name: str
    ext: str
    xlens: tuple
    table: str
    mask: int
    match: int
    operands: tuple = ()
    # constraints: ((bit positions high-to-low), forbidden value)
    constraints: tuple = ()
    # compressed: (base instruction name, ((operand, value-or-accessor), ...))
    expansion: tuple | None = None
    length: int = 4

    def matches(self, word: int) -> bool:
        if (word & self.mask) != self.match:
            return False
        for positions, value in self.constraints:
            if _gather(word, positions) == value:
                return False
        return True


def _gather(word, positions):
    v = 0
    for p in positions:
        v = (v << 1) | ((word >> p) & 1)
    return v


def _positions(spec: str) -> tuple:
    out = []
    for part in spec.split(","):
        if ".." in part:
            hi, lo = (int(x) for x in part.split(".."))
            out.extend(range(hi, lo - 1, -1))
        else:
            out.append(int(part))
    return tuple(out)


_BITS = re.compile(r"^([0-9.,]+)(!?=)(\w+)$")


def parse_line(line: str, table: str) -> Encoding:
    ext, xlens = TABLES[table]
    expansion = None
    if "=>" in line:
        line, exp = line.split("=>", 1)
        toks = exp.split()
        base, args = toks[0], []
        for t in toks[1:]:
            k, v = t.split("=")
            args.append((k, int(v, 0) if re.match(r"^-?\d", v) else v))
        expansion = (base, tuple(args))
    toks = line.split()
    name, mask, match, operands, constraints = toks[0], 0, 0, [], []
    width = 16 if name.startswith("c.") else 32
    for t in toks[1:]:
        m = _BITS.match(t)
        if not m:
            if t not in OPERAND_FIELDS:
                raise ValueError(f"{table}: {name}: unknown operand field {t!r}")
            operands.append(t)
            continue
        positions, op, value = _positions(m.group(1)), m.group(2), int(m.group(3), 0)
        if value >= (1 << len(positions)):
            raise ValueError(f"{table}: {name}: value {value} does not fit bits {m.group(1)}")
        if op == "!=":
            constraints.append((positions, value))
            continue
        for i, p in enumerate(positions):
            bit = 1 << p
            if mask & bit:
                raise ValueError(f"{table}: {name}: bit {p} given twice")
            mask |= bit
            if (value >> (len(positions) - 1 - i)) & 1:
                match |= bit
    # operand bits must not collide with fixed bits
    for f in operands:
        hi, lo = OPERAND_FIELDS[f]
        fm = ((1 << (hi - lo + 1)) - 1) << lo
        if fm & mask:
            raise ValueError(f"{table}: {name}: operand {f} overlaps fixed bits")
        mask_cover = fm
        del mask_cover
    if width == 32 and not expansion:
        covered = mask
        for f in operands:
            hi, lo = OPERAND_FIELDS[f]
            covered |= ((1 << (hi - lo + 1)) - 1) << lo
        if covered != 0xFFFFFFFF:
            raise ValueError(f"{table}: {name}: bits {0xFFFFFFFF & ~covered:#x} are neither fixed nor operands")
    return Encoding(name, ext, xlens, table, mask, match, tuple(operands), tuple(constraints), expansion, width // 8)


@lru_cache(maxsize=None)
def load_tables() -> tuple:
    """Every encoding of every table, in table order."""
    out = []
    for table in TABLES:
        for raw in (OPCODES_DIR / table).read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                out.append(parse_line(line, table))
    return tuple(out)


def encodings_for(xlen: int, exts=None) -> list:
    """The encodings of one XLEN (optionally only the named extensions)."""
    return [e for e in load_tables() if xlen in e.xlens and (exts is None or e.ext in exts)]


def overlaps(a: Encoding, b: Encoding) -> bool:
    """True if some instruction word matches both encodings (constraints included)."""
    if a.length != b.length:
        return False
    common = a.mask & b.mask
    if (a.match ^ b.match) & common:
        return False
    fixed = a.mask | b.mask
    value = a.match | b.match
    for x, y in ((a, b), (b, a)):
        for positions, forbidden in x.constraints:
            # excluded if the union of fixed bits pins these positions to the forbidden value
            if all(fixed >> p & 1 for p in positions) and _gather(value, positions) == forbidden:
                return False
    return True


@dataclass
class IsaConfig:
    """What a CPU's `isa` string enables."""

    xlen: int
    exts: frozenset = field(default_factory=frozenset)

    @property
    def misa(self) -> int:
        v = (2 if self.xlen == 64 else 1) << (self.xlen - 2)
        for letter in "imafdcsu":
            if letter in self.exts:
                v |= 1 << (ord(letter) - ord("a"))
        return v

    @property
    def has_fp(self) -> bool:
        return "f" in self.exts

    def canonical(self) -> str:
        """The ISA string in canonical order with G expanded, as the device tree's riscv,isa
        carries it (Linux reads single letters there and does not know G)."""
        letters = "".join(c for c in "imafdc" if c in self.exts)
        multi = sorted(e for e in self.exts if len(e) > 1)
        multi = [e for e in multi if e.startswith("z")] + [e for e in multi if not e.startswith("z")]
        return f"rv{self.xlen}{letters}" + "".join(f"_{e}" for e in multi)


def parse_isa(isa: str) -> IsaConfig:
    """Parse e.g. "rv64imafdc_zicsr_zifencei" or "rv64gc" (G = IMAFD + Zicsr + Zifencei;
    S and U modes are always present).

    Raises ValueError naming what is unsupported.
    """
    s = isa.strip().lower()
    m = re.match(r"^rv(32|64)([a-z]*)((?:_[a-z0-9]+)*)$", s)
    if not m:
        raise ValueError(f"{isa!r} is not an ISA string like 'rv64imac_zicsr_zifencei'")
    xlen = int(m.group(1))
    letters = m.group(2)
    if not letters.startswith(("i", "g")):
        raise ValueError(f"{isa!r}: the base must be I")
    exts = set()
    for ch in letters:
        if ch == "g":
            exts |= {"i", "m", "a", "f", "d", "zicsr", "zifencei"}
        else:
            exts.add(ch)
    for z in m.group(3).split("_"):
        if z:
            exts.add(z)
    unsupported = exts - {"i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zihintpause", "sstc", "s", "u"}
    if unsupported:
        raise ValueError(f"{isa!r}: unsupported extension(s) {', '.join(sorted(unsupported))} (graphsim implements IMAFDC, Zicsr, Zifencei, Zihintpause, Sstc)")
    if "d" in exts and "f" not in exts:
        raise ValueError(f"{isa!r}: D requires F (write rv{xlen}imafd..., or g)")
    exts |= {"s", "u", "zicsr"}  # privileged modes; Zicsr is required by the privileged architecture
    return IsaConfig(xlen, frozenset(exts))
