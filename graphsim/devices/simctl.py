"""Simulator control: gem5's m5ops.

The RISC-V encoding is gem5's: the custom-3 opcode with the function in bits
31:25 (``0x7b | func << 25``), arguments in a0.., the result in a0. The CPU
models decode it and exit to the machine, which performs the operation; this
component adds the MMIO twin for code that cannot emit custom instructions:
write the arguments to ARG0..ARG5, then the function number to FUNC; the
result is read back from RESULT.
"""

from __future__ import annotations

from ..config.schema import RESPONDER, Address, Component, Param, Port, Size, StateField
from .base import PythonDevice

M5OP_OPCODE = 0x7B

# gem5's function numbers (src/sim/pseudo_inst / include/gem5/asm/generic/m5ops.h).
M5OPS = {
    0x00: "arm",
    0x01: "quiesce",
    0x21: "exit",
    0x22: "fail",
    0x40: "reset_stats",
    0x41: "dump_stats",
    0x42: "dump_reset_stats",
    0x43: "checkpoint",
    0x4F: "write_file",  # (buffer, length, offset, host file name): guest data into the run directory
    0x50: "read_file",  # (buffer, length, offset): the host's --script file into the guest
    0x52: "switch_cpu",
    0x5A: "work_begin",
    0x5B: "work_end",
}
M5OP_NUMBERS = {name: func for func, name in M5OPS.items()}

ARG0, FUNC, RESULT = 0x00, 0x40, 0x48  # ARGn at ARG0 + 8*n, n = 0..5


def m5op_word(func: int) -> int:
    """The instruction word of an m5op."""
    return M5OP_OPCODE | (func << 25)


class Simctl(PythonDevice, Component):
    kind = "simctl"
    doc = "gem5 m5ops through MMIO (the custom-3 instructions work without this device)."

    base = Param(Address, 0x1001_0000, "register window (unused by QEMU virt)")
    size = Param(Size, "4KiB", "register window size")
    port = Port(RESPONDER, "mem", "register access", vector=True)

    state = (
        StateField("args", "uint64", (6,), "argument registers ARG0..ARG5"),
        StateField("result", "uint64", (), "result of the last operation"),
    )

    def mmio_read(self, offset: int, size: int) -> int:
        if offset == RESULT:
            return int(self.state_arrays["result"])
        if ARG0 <= offset < ARG0 + 48 and offset % 8 == 0:
            return int(self.state_arrays["args"][offset // 8])
        return 0

    def mmio_write(self, offset: int, size: int, value: int):
        if ARG0 <= offset < ARG0 + 48 and offset % 8 == 0:
            self.state_arrays["args"][offset // 8] = value & 0xFFFF_FFFF_FFFF_FFFF
        elif offset == FUNC:
            result = self.bus.m5op(value, [int(a) for a in self.state_arrays["args"]])
            self.state_arrays["result"][()] = result & 0xFFFF_FFFF_FFFF_FFFF
