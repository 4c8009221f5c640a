"""What GDB sees of a machine: registers per hart, memory through a hart's
translation, and the target description (XML) matching the configured ISA.

Register numbers (the `regnum`s of the target description, as QEMU numbers them
and GDB's riscv port expects): x0..x31 are 0..31, pc 32, f0..f31 33..64 (only
with F), CSR n is 65 + n (fflags 66, frm 67, fcsr 68 in the FPU feature), and
the current privilege mode (`priv`, org.gnu.gdb.riscv.virtual) is 4161.

Nothing here has a side effect a guest could see unless GDB writes: the page
walk reads page tables without setting A/D bits or filling a TLB, and memory
outside RAM (device registers) is refused rather than read.
"""

from __future__ import annotations

from ..isa import csr as CSR
from ..isa import mmu as MMU
from ..isa import state as S

PC_REGNUM = 32
FP_REGNUM = 33
CSR_REGNUM = 65
PRIV_REGNUM = 65 + 4096

XREG_NAMES = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 "
              "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()
FREG_NAMES = ("ft0 ft1 ft2 ft3 ft4 ft5 ft6 ft7 fs0 fs1 fa0 fa1 fa2 fa3 fa4 fa5 fa6 fa7 "
              "fs2 fs3 fs4 fs5 fs6 fs7 fs8 fs9 fs10 fs11 ft8 ft9 ft10 ft11").split()
FP_CSRS = (0x001, 0x002, 0x003)
MSTATUS_MPRV = 1 << 17


class DebugError(Exception):
    """A request the target refuses (the stub answers with an error packet)."""


def _csr_listed(n: int) -> bool:
    """CSRs shown to GDB: every implemented one except the counters that count nothing
    (hpmcounter/mhpmcounter/mhpmevent 3..31) and PMP entries 16..63 (read-only zero)."""
    if 0xC03 <= n <= 0xC1F or 0xC83 <= n <= 0xC9F or 0xB03 <= n <= 0xB1F or 0xB83 <= n <= 0xB9F:
        return False
    if 0x323 <= n <= 0x33F or 0x3C0 <= n <= 0x3EF:
        return False
    return n not in FP_CSRS


class DebugTarget:
    """Registers and memory of the machine's harts, for the GDB stub."""

    def __init__(self, machine):
        self.machine = machine
        isas = machine.core.isas
        self.xlen = isas[0].xlen
        self.has_f = "f" in isas[0].exts
        self.flen = 64 if "d" in isas[0].exts else 32
        self.nharts = len(isas)
        xl32 = self.xlen == 32
        self.csrs = sorted(n for n, name in CSR.CSR_NAMES.items()
                           if _csr_listed(n) and CSR.csr_exists(n, xl32))

    @property
    def core(self):
        return self.machine.core  # (switch_cpu replaces it)

    # --- target description ----------------------------------------------------
    def target_xml(self) -> bytes:
        x = self.xlen
        lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">', '<target version="1.0">',
                 f"<architecture>riscv:rv{x}</architecture>", '<feature name="org.gnu.gdb.riscv.cpu">']
        for i, name in enumerate(XREG_NAMES):
            kind = "code_ptr" if name == "ra" else "data_ptr" if name in ("sp", "gp", "tp", "fp") else "int"
            lines.append(f'<reg name="{name}" bitsize="{x}" type="{kind}" regnum="{i}"/>')
        lines += [f'<reg name="pc" bitsize="{x}" type="code_ptr" regnum="{PC_REGNUM}"/>', "</feature>"]
        if self.has_f:
            lines.append('<feature name="org.gnu.gdb.riscv.fpu">')
            if self.flen == 64:
                lines.append('<union id="riscv_double"><field name="float" type="ieee_single"/>'
                             '<field name="double" type="ieee_double"/></union>')
                ftype = "riscv_double"
            else:
                ftype = "ieee_single"
            for i, name in enumerate(FREG_NAMES):
                lines.append(f'<reg name="{name}" bitsize="{self.flen}" type="{ftype}" regnum="{FP_REGNUM + i}"/>')
            for n in FP_CSRS:
                lines.append(f'<reg name="{CSR.CSR_NAMES[n]}" bitsize="32" type="int" regnum="{CSR_REGNUM + n}"/>')
            lines.append("</feature>")
        lines.append('<feature name="org.gnu.gdb.riscv.csr">')
        for n in self.csrs:
            lines.append(f'<reg name="{CSR.CSR_NAMES[n]}" bitsize="{x}" type="int" regnum="{CSR_REGNUM + n}" '
                         'group="csr"/>')
        lines += ["</feature>", '<feature name="org.gnu.gdb.riscv.virtual">',
                  f'<reg name="priv" bitsize="{x}" type="int" regnum="{PRIV_REGNUM}"/>', "</feature>", "</target>"]
        return ("\n".join(lines) + "\n").encode()

    # --- registers ---------------------------------------------------------------
    def _size(self, regnum: int) -> int:
        """Bytes of a register, or 0 if there is no such register."""
        if 0 <= regnum <= PC_REGNUM or regnum == PRIV_REGNUM:
            return self.xlen // 8
        if self.has_f and FP_REGNUM <= regnum < FP_REGNUM + 32:
            return self.flen // 8
        n = regnum - CSR_REGNUM
        if n in FP_CSRS and self.has_f:
            return 4
        if n in self.csrs:
            return self.xlen // 8
        return 0

    def _mtime(self) -> int:
        return self.core.mtime()

    def read_register(self, h: int, regnum: int) -> bytes | None:
        size = self._size(regnum)
        if not size:
            return None
        st = self.core.harts[h]
        if regnum < 32:
            v = int(st[S.X + regnum])
        elif regnum == PC_REGNUM:
            v = int(st[S.PC])
        elif regnum == PRIV_REGNUM:
            v = int(st[S.PRIV])
        elif regnum < CSR_REGNUM:
            v = int(st[S.F + regnum - FP_REGNUM])
        else:
            v = int(CSR.csr_read(st, regnum - CSR_REGNUM, self.xlen == 32, 0, self._mtime()))
        return (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def write_register(self, h: int, regnum: int, data: bytes) -> bool:
        size = self._size(regnum)
        if not size or len(data) != size:
            return False
        v = int.from_bytes(data, "little")
        st = self.core.harts[h]
        signed = _signed(v, 8 * size)
        if regnum == 0:
            return True  # x0 stays zero
        if regnum < 32:
            st[S.X + regnum] = signed
        elif regnum == PC_REGNUM:
            st[S.PC] = _signed(v, 64)
        elif regnum == PRIV_REGNUM:
            if v not in (S.PRV_U, S.PRV_S, S.PRV_M):
                return False
            st[S.PRIV] = v
            self._flush_tlb(h)
        elif regnum < CSR_REGNUM:
            if self.flen == 32:
                v |= 0xFFFFFFFF00000000  # NaN-boxed
            st[S.F + regnum - FP_REGNUM] = _signed(v, 64)
        else:
            n = regnum - CSR_REGNUM
            if ((n >> 10) & 3) == 3 and n not in FP_CSRS:
                return False  # read-only CSR
            if CSR.csr_write(st, n, signed, self.xlen == 32, 0, self._satp_modes(h)):
                self._flush_tlb(h)
        return True

    def _satp_modes(self, h: int) -> int:
        from ..cpu import layout as L

        w = self.core.work
        return int(w[w[L.C_HART] + h * L.HC_WORDS + L.HC_SATP_MODES])

    def _flush_tlb(self, h: int):
        from ..cpu import layout as L

        w = self.core.work
        MMU.tlb_flush(w, w[L.C_TLB] + h * MMU.TLB_WORDS_PER_HART)

    def general_registers(self, h: int) -> bytes:
        """The 'g' packet: x0..x31 and pc (the rest is read with 'p')."""
        return b"".join(self.read_register(h, i) for i in range(PC_REGNUM + 1))

    def write_general_registers(self, h: int, data: bytes) -> bool:
        size = self.xlen // 8
        if len(data) != size * (PC_REGNUM + 1):
            return False
        for i in range(PC_REGNUM + 1):
            self.write_register(h, i, data[i * size:(i + 1) * size])
        return True

    def pc(self, h: int) -> int:
        return int(self.core.harts[h, S.PC]) & ((1 << self.xlen) - 1)

    # --- memory -------------------------------------------------------------------
    def translate(self, h: int, va: int) -> int:
        """Physical address of virtual va as hart h's loads see it now (MPRV honoured), by a
        page walk that reads the page tables and nothing else: no A/D bits set, no TLB filled,
        no permission check (a debugger may look at any mapped page)."""
        st = self.core.harts[h]
        xl32 = self.xlen == 32
        va &= (1 << self.xlen) - 1
        priv = int(st[S.PRIV])
        mstatus = int(st[S.MSTATUS])
        if priv == S.PRV_M and mstatus & MSTATUS_MPRV:
            priv = (mstatus >> 11) & 3
        satp = int(st[S.SATP]) & ((1 << self.xlen) - 1)
        mode = (satp >> 31) & 1 if xl32 else (satp >> 60) & 15
        if priv == S.PRV_M or mode == 0:
            return va
        if xl32:
            levels, ptesize, vbits, ppn_mask = 2, 4, 10, (1 << 22) - 1
        else:
            levels, ptesize, vbits, ppn_mask = mode - 5, 8, 9, (1 << 44) - 1
            top = 12 + 9 * levels
            if (va >> (top - 1)) not in (0, (1 << (65 - top)) - 1):
                raise DebugError(f"0x{va:x} is not a canonical Sv{top} address")
        table = (satp & ppn_mask) << 12
        for level in range(levels - 1, -1, -1):
            vpn = (va >> (12 + level * vbits)) & ((1 << vbits) - 1)
            pte = int.from_bytes(self._ram_bytes(table + vpn * ptesize, ptesize, "page table entry"), "little")
            if not pte & MMU.PTE_V or (pte & (MMU.PTE_R | MMU.PTE_W)) == MMU.PTE_W:
                break
            ppn = (pte >> 10) & ppn_mask
            if pte & (MMU.PTE_R | MMU.PTE_X):
                low = (1 << (12 + level * vbits)) - 1
                if ppn & ((1 << (level * vbits)) - 1):
                    break  # misaligned superpage
                return ((ppn << 12) & ~low) | (va & low)
            table = ppn << 12
        raise DebugError(f"0x{va:x} is not mapped (hart {h}, satp 0x{satp:x})")

    def _ram_bytes(self, pa: int, n: int, what: str = "memory") -> bytes:
        m = self.machine
        off = pa - m.ram_base
        if off < 0 or off + n > len(m.ram):
            raise DebugError(f"{what} at physical 0x{pa:x}+{n} is outside RAM (device registers are not read)")
        return m.ram[off:off + n].tobytes()

    def physical_pieces(self, h: int, va: int, n: int):
        """(physical address, length) pieces of [va, va + n), one per page."""
        while n > 0:
            step = min(n, 4096 - (va & 0xFFF))
            yield self.translate(h, va), step
            va += step
            n -= step

    def read_memory(self, h: int, va: int, n: int) -> bytes:
        return b"".join(self._ram_bytes(pa, k) for pa, k in self.physical_pieces(h, va, n))

    def write_memory(self, h: int, va: int, data: bytes):
        pieces = list(self.physical_pieces(h, va, len(data)))  # every page checked before anything is written
        for pa, k in pieces:
            self._ram_bytes(pa, k)
        done = 0
        for pa, k in pieces:
            self.write_physical(pa, data[done:done + k])
            done += k

    def read_physical(self, pa: int, n: int) -> bytes:
        return self._ram_bytes(pa, n)

    def write_physical(self, pa: int, data: bytes):
        import numpy as np

        self._ram_bytes(pa, len(data))
        off = pa - self.machine.ram_base
        self.machine.ram[off:off + len(data)] = np.frombuffer(data, dtype=np.uint8)


def _signed(v: int, bits: int) -> int:
    """v (unsigned, `bits` wide) as the int64 the hart state stores (sign-extended)."""
    v &= (1 << bits) - 1
    if v >= 1 << (bits - 1):
        v -= 1 << bits
    return v
