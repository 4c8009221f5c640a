"""Every component kind graphsim knows: importing a kind's module registers it."""

from .cpu import atomic, atomic_warm, pipelined, timing  # noqa: F401
from .devices import clint, plic, sifive_test, simctl, uart16550, virtio_blk, virtio_mmio  # noqa: F401
from .mem import bus, cache, memory  # noqa: F401
