"""SiFive test finisher (QEMU virt's 'sifive,test0'): a guest write ends the simulation."""

from ..config.schema import RESPONDER, Address, Component, Param, Port, Size
from .base import PythonDevice

FINISHER_PASS = 0x5555
FINISHER_FAIL = 0x3333
FINISHER_RESET = 0x7777


class SifiveTest(PythonDevice, Component):
    kind = "sifive_test"
    doc = "Exit device: writing 0x5555 exits 0, (code << 16) | 0x3333 exits with code, 0x7777 resets."

    base = Param(Address, 0x10_0000, "register address")
    size = Param(Size, "4KiB", "register window")
    port = Port(RESPONDER, "mem", "register access", vector=True)

    @staticmethod
    def decode(value: int) -> tuple[str, int]:
        """What a 32-bit write to the finisher asks for: ('exit', code), ('reset', 0) or ('ignore', 0)."""
        status, code = value & 0xFFFF, (value >> 16) & 0xFFFF
        if status == FINISHER_PASS:
            return "exit", 0
        if status == FINISHER_FAIL:
            return "exit", code
        if status == FINISHER_RESET:
            return "reset", 0
        return "ignore", 0
