"""The guest's memory as a hart sees it: virtual addresses translated through
the hart's page tables (as its loads and stores would be, A/D bits included),
for host services that receive pointers from the guest, such as gem5's
readfile and writefile m5ops issued by a user program under Linux."""

from __future__ import annotations

from ..isa import state as S
from ..isa.csr import MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM
from ..isa.state import PRV_M
from ..isa.mmu import ACC_LOAD, ACC_STORE, walk

PAGE = 4096


class GuestMemory:
    """Reads and writes of one hart's virtual memory; each stops at the first untranslatable page."""

    def __init__(self, machine, hart: int):
        self.ram = machine.ram
        self.ram_base = machine.ram_base
        self.regs = machine.core.harts[hart]
        self.xl32 = machine.cpus[hart].params.isa.lower().startswith("rv32")
        self.ram64 = self.ram.view("int64")
        self.ram32 = self.ram.view("int32")

    def _physical(self, va: int, access: int) -> int | None:
        mstatus = int(self.regs[S.MSTATUS])
        priv = int(self.regs[S.PRIV])
        if priv == PRV_M and mstatus & MSTATUS_MPRV:
            priv = (mstatus & MSTATUS_MPP) >> 11
        satp = int(self.regs[S.SATP])
        mode = (satp >> 31) & 1 if self.xl32 else (satp >> 60) & 15
        if priv == PRV_M or mode == 0:
            pa = va
        else:
            pa = int(walk(self.ram64, self.ram32, self.ram_base, len(self.ram), satp, va, access, priv == 0,
                          bool(mstatus & MSTATUS_SUM), bool(mstatus & MSTATUS_MXR), self.xl32))
            if pa < 0:
                return None
        return pa - self.ram_base if 0 <= pa - self.ram_base < len(self.ram) else None

    def _chunks(self, va: int, length: int, access: int):
        """(RAM offset, length) pieces of [va, va + length), page by page, until one does not translate."""
        done = 0
        while done < length:
            piece = min(length - done, PAGE - (va + done) % PAGE)
            offset = self._physical(va + done, access)
            if offset is None or offset + piece > len(self.ram):
                return
            yield offset, piece
            done += piece

    def read(self, va: int, length: int) -> bytes:
        return b"".join(self.ram[o:o + n].tobytes() for o, n in self._chunks(va, length, ACC_LOAD))

    def write(self, va: int, data: bytes) -> int:
        """Copies ``data`` to ``va``; returns how many bytes were written."""
        written = 0
        for offset, piece in self._chunks(va, len(data), ACC_STORE):
            self.ram[offset:offset + piece] = memoryview(data)[written:written + piece]
            written += piece
        return written

    def read_string(self, va: int, limit: int = 4096) -> bytes | None:
        """A NUL-terminated string (without the NUL), or None if it is unreadable or longer than ``limit``."""
        data = bytearray()
        while len(data) < limit:
            chunk = self.read(va + len(data), min(PAGE - (va + len(data)) % PAGE, limit - len(data)))
            if not chunk:
                return None
            end = chunk.find(b"\0")
            if end >= 0:
                return bytes(data + chunk[:end])
            data += chunk
        return None
