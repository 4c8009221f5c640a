"""The contract of a device served in Python: read/write callbacks on its address
range, plus the machine services it may use (DMA into guest RAM, an IRQ line).

Hot devices (CLINT, PLIC, UART) are modelled inside the compiled kernel instead;
these are the rare ones, reached through an MMIO exit from the kernel.
"""

from __future__ import annotations

from typing import Protocol


class DmaError(Exception):
    """A device tried to reach memory outside guest RAM; the device reports an I/O error to the guest."""


class Bus(Protocol):
    """What the machine offers a Python device."""

    def dma_read(self, paddr: int, length: int) -> bytes: ...

    def dma_write(self, paddr: int, data: bytes) -> None: ...

    def set_irq(self, irq: int, level: bool) -> None: ...


class PythonDevice:
    """Mixin for components served in Python. Offsets are relative to the component's base."""

    def attach(self, bus: Bus) -> None:
        self.bus = bus

    def mmio_read(self, offset: int, size: int) -> int:
        return 0

    def mmio_write(self, offset: int, size: int, value: int) -> None:
        pass
