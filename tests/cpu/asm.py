"""Test helpers: assemble bare-metal programs and run them on a Core with a
minimal ELF loader and a SiFive test finisher served in Python."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from graphsim.cpu.core import Core, CoreConfig

CACHE = Path(tempfile.gettempdir()) / "graphsim-test-asm"
FINISHER = 0x100000
RAM_BASE = 0x80000000

PRELUDE = """
    .equ UART, 0x10000000
    .equ FINISHER, 0x100000
    .equ CLINT, 0x2000000
    .macro EXIT code
        li t6, ((\\code) << 16) | 0x3333
        .if \\code == 0
        li t6, 0x5555
        .endif
        li t5, FINISHER
        sw t6, 0(t5)
    1:  j 1b
    .endm
"""


def assemble(src: str, xlen: int = 64, march: str | None = None) -> Path:
    """Assemble (and link at 0x80000000) a program; cached by content."""
    march = march or ("rv64imac_zicsr_zifencei" if xlen == 64 else "rv32imac_zicsr_zifencei")
    abi = "lp64" if xlen == 64 else "ilp32"
    text = PRELUDE + src
    key = hashlib.sha1(f"{march}{abi}-N{text}".encode()).hexdigest()[:16]
    CACHE.mkdir(exist_ok=True)
    elf = CACHE / f"{key}.elf"
    if not elf.exists():
        s = CACHE / f"{key}.S"
        s.write_text(text)
        subprocess.run(
            ["riscv64-unknown-elf-gcc", f"-march={march}", f"-mabi={abi}", "-nostdlib", "-nostartfiles",
             "-static", "-Wl,-Ttext=0x80000000", "-Wl,--no-relax", "-Wl,-N", "-o", str(elf) + ".tmp", str(s)],
            check=True, capture_output=True, text=True)
        os.replace(str(elf) + ".tmp", elf)
    return elf


def load_elf(path, ram: np.ndarray, ram_base: int = RAM_BASE) -> int:
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as f:
        e = ELFFile(f)
        for seg in e.iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            pa = seg["p_paddr"]
            data = seg.data()
            o = pa - ram_base
            ram[o : o + len(data)] = np.frombuffer(data, np.uint8)
        return e["e_entry"]


class Run:
    def __init__(self, core):
        self.core = core
        self.out = bytearray()
        self.exit_code = None
        self.exits = []


def run_elf(path, xlen=64, isa=None, nharts=1, ram_size=16 << 20, max_insts=50_000_000, extra_mmio=(),
            mmio_handler=None, rx=b"", chunk=100_000_000, **cfg) -> Run:
    isa = isa or ("rv64imac_zicsr_zifencei" if xlen == 64 else "rv32imac_zicsr_zifencei")
    ram = np.zeros(ram_size, np.uint8)
    entry = load_elf(path, ram)
    config = CoreConfig(nharts=nharts, isa=isa, ram_size=ram_size, reset_vector=entry,
                        mmio_ranges=[(FINISHER, 0x1000), *extra_mmio], **cfg)
    core = Core(config, ram)
    r = Run(core)
    if rx:
        core.uart_push_rx(rx)
    left = max_insts
    while left > 0:
        before = core.total_icount()
        ex = core.run(min(chunk, left))
        left -= core.total_icount() - before
        r.exits.append(ex.reason)
        r.out += core.uart_drain()
        if ex.reason == "mmio":
            if FINISHER <= ex.paddr < FINISHER + 0x1000:
                if ex.is_write:
                    v = ex.value & 0xFFFF
                    if v == 0x5555:
                        r.exit_code = 0
                        break
                    if v == 0x3333:
                        r.exit_code = (ex.value >> 16) & 0xFFFF
                        break
                core.complete_mmio(0)
            elif mmio_handler:
                core.complete_mmio(mmio_handler(core, ex))
            else:
                core.complete_mmio(0)
        elif ex.reason == "m5op":
            if ex.func == 0x21:
                r.exit_code = int(core.harts[ex.hart, 10])
                break
            core.complete_m5op(0)
        elif ex.reason == "idle":
            break
    r.out += core.uart_drain()
    return r
