"""The virtio-mmio transport (version 2, one split virtqueue), as on QEMU virt.

Written once: a device kind supplies its ID, feature bits, config space and
request handler; the transport does the registers, feature negotiation, queue
set-up, used-ring bookkeeping and interrupts. Every guest-supplied address goes
through the machine's bounds-checked DMA, so a bad ring address marks the
device DEVICE_NEEDS_RESET for the guest instead of failing on the host.

`virtio_mmio` itself is an empty transport (device ID 0): QEMU's virt board
always has eight of them, and guests probe every slot.
"""

from __future__ import annotations

import struct

import numpy as np

from ..checkpoint.upgrade import upgrader
from ..config.schema import REQUESTER, RESPONDER, Address, Component, Int, Param, Port, Size, StateField
from .base import DmaError, PythonDevice

MAGIC = 0x74726976  # "virt"
VENDOR = 0x554D4551  # "QEMU", as QEMU reports it
QUEUE_NUM_MAX = 256
MASK32, MASK64 = (1 << 32) - 1, (1 << 64) - 1

VIRTIO_F_VERSION_1 = 1 << 32

STATUS_DEVICE_NEEDS_RESET = 0x40
INT_USED_BUFFER = 1
INT_CONFIG_CHANGE = 2

DESC_F_NEXT = 1
DESC_F_WRITE = 2

# Register offsets of the virtio-mmio transport.
R_MAGIC, R_VERSION, R_DEVICE_ID, R_VENDOR = 0x000, 0x004, 0x008, 0x00C
R_DEVICE_FEATURES, R_DEVICE_FEATURES_SEL = 0x010, 0x014
R_DRIVER_FEATURES, R_DRIVER_FEATURES_SEL = 0x020, 0x024
R_QUEUE_SEL, R_QUEUE_NUM_MAX, R_QUEUE_NUM, R_QUEUE_READY = 0x030, 0x034, 0x038, 0x044
R_QUEUE_NOTIFY, R_INTERRUPT_STATUS, R_INTERRUPT_ACK, R_STATUS = 0x050, 0x060, 0x064, 0x070
R_QUEUE_DESC, R_QUEUE_DRIVER, R_QUEUE_DEVICE = 0x080, 0x090, 0x0A0  # low word; high word at +4
R_CONFIG_GENERATION, R_CONFIG = 0x0FC, 0x100
_QUEUE_ADDRESSES = ((R_QUEUE_DESC, "queue_desc"), (R_QUEUE_DRIVER, "queue_driver"), (R_QUEUE_DEVICE, "queue_device"))


# The registers behind QueueSel, one entry per virtqueue (state version 2).
QUEUE_FIELDS = (
    ("queue_num", "queue size chosen by the driver"),
    ("queue_ready", "queue enabled"),
    ("queue_desc", "descriptor table address"),
    ("queue_driver", "available ring address"),
    ("queue_device", "used ring address"),
    ("last_avail_idx", "next available-ring entry to serve"),
)
DEVICE_FIELDS = (
    ("status", "device status byte written by the driver"),
    ("device_features_sel", "which 32-bit word of the device features is shown"),
    ("driver_features", "features accepted by the driver"),
    ("driver_features_sel", "which 32-bit word of the driver features is written"),
    ("queue_sel", "the virtqueue the queue registers address"),
    ("interrupt_status", "pending interrupt causes"),
    ("config_generation", "bumped when the configuration changes"),
)


def transport_state(queues: int) -> tuple[StateField, ...]:
    """The transport's state for a device with ``queues`` virtqueues."""
    return tuple(StateField(name, "int64", (), doc, since=2 if name == "queue_sel" else 1)
                 for name, doc in DEVICE_FIELDS) + \
        tuple(StateField(name, "int64", (queues,), doc) for name, doc in QUEUE_FIELDS)


def per_queue_registers(queues: int):
    """Version 1 kept one set of queue registers as scalars (QueueSel was ignored); version 2 keeps
    them per queue, selected by QueueSel. A block device had one queue, an empty transport none."""

    def upgrade(fields):
        for name, _ in QUEUE_FIELDS:
            fields[name] = np.asarray(fields[name], dtype=np.int64).reshape(1)[:queues]
        fields["queue_sel"] = np.zeros((), dtype=np.int64)
        return fields

    return upgrade


upgrader("virtio_mmio", 1)(per_queue_registers(0))
upgrader("virtio_blk", 1)(per_queue_registers(1))


def _signed64(value: int) -> int:
    """A 64-bit unsigned register value as the int64 that stores it."""
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


class BadChain(Exception):
    """A descriptor chain the device cannot follow (loop, out-of-range index, no status byte)."""


class VirtioMmio(PythonDevice, Component):
    kind = "virtio_mmio"
    doc = "An empty virtio-mmio transport (device ID 0), as in QEMU virt's unused slots."

    device_id = 0  # subclasses: the virtio device type

    base = Param(Address, 0x1000_1000, "register window (QEMU virt slots: 0x10001000 + 0x1000*i)")
    size = Param(Size, "4KiB", "register window size")
    irq = Param(Int, 1, "PLIC source (QEMU virt slot i uses 1+i)", min=1)
    port = Port(RESPONDER, "mem", "register access", vector=True)
    irq_line = Port(REQUESTER, "irq", "interrupt to the PLIC")

    state_version = 2
    state = transport_state(0)

    # --- what a device kind supplies ------------------------------------------

    @property
    def device_features(self) -> int:
        return 0

    def config_space(self) -> bytes:
        return b""

    def serve_request(self, queue: int, head: int, num: int) -> int:
        """Serve the request whose chain starts at ``head``; return the bytes written to guest buffers."""
        raise BadChain()

    # --- registers -------------------------------------------------------------

    # Registers are int64 arrays holding the device's 32- or 64-bit unsigned values in two's complement.

    def reg(self, name: str) -> int:
        return int(self.state_arrays[name]) & MASK64

    def set_reg(self, name: str, value: int):
        self.state_arrays[name][()] = _signed64(value)

    @property
    def queues(self) -> int:
        return self.state_arrays["queue_num"].shape[0]

    def qreg(self, name: str, queue: int | None = None) -> int:
        """A register of the selected queue (or of ``queue``); 0 for a queue the device lacks."""
        queue = self.reg("queue_sel") if queue is None else queue
        return int(self.state_arrays[name][queue]) & MASK64 if queue < self.queues else 0

    def set_qreg(self, name: str, value: int, queue: int | None = None):
        queue = self.reg("queue_sel") if queue is None else queue
        if queue < self.queues:
            self.state_arrays[name][queue] = _signed64(value)

    def mmio_read(self, offset: int, size: int) -> int:
        if offset >= R_CONFIG:
            config = self.config_space()
            index = offset - R_CONFIG
            return int.from_bytes(config[index:index + size].ljust(size, b"\0"), "little")
        if size != 4:
            return 0
        registers = {
            R_MAGIC: MAGIC, R_VERSION: 2, R_DEVICE_ID: self.device_id, R_VENDOR: VENDOR,
            R_QUEUE_NUM_MAX: QUEUE_NUM_MAX if self.reg("queue_sel") < self.queues else 0,
            R_QUEUE_READY: self.qreg("queue_ready"), R_INTERRUPT_STATUS: self.reg("interrupt_status"),
            R_STATUS: self.reg("status"), R_CONFIG_GENERATION: self.reg("config_generation"),
        }
        if offset in registers:
            return registers[offset]
        if offset == R_DEVICE_FEATURES:
            sel = self.reg("device_features_sel")
            return (self.device_features >> (32 * sel)) & 0xFFFF_FFFF if sel < 2 else 0
        for register, field in _QUEUE_ADDRESSES:
            if offset in (register, register + 4):
                return (self.qreg(field) >> (32 if offset == register + 4 else 0)) & 0xFFFF_FFFF
        return 0

    def mmio_write(self, offset: int, size: int, value: int):
        if size != 4 or offset >= R_CONFIG or not self.device_id:
            return  # config space is read-only here; an empty slot ignores writes
        value &= 0xFFFF_FFFF
        if offset == R_DEVICE_FEATURES_SEL:
            self.set_reg("device_features_sel", value)
        elif offset == R_DRIVER_FEATURES:
            sel = self.reg("driver_features_sel")
            if sel < 2:
                mask = MASK32 << (32 * sel)
                self.set_reg("driver_features", (self.reg("driver_features") & ~mask | value << (32 * sel)) & MASK64)
        elif offset == R_DRIVER_FEATURES_SEL:
            self.set_reg("driver_features_sel", value)
        elif offset == R_QUEUE_SEL:
            self.set_reg("queue_sel", value)
        elif offset == R_QUEUE_NUM:
            self.set_qreg("queue_num", value)
        elif offset == R_QUEUE_READY:
            self.set_qreg("queue_ready", value & 1)
        elif offset == R_QUEUE_NOTIFY:
            if value < self.queues:
                self.serve_queue(value)
        elif offset == R_INTERRUPT_ACK:
            value &= INT_USED_BUFFER | INT_CONFIG_CHANGE
            self.set_reg("interrupt_status", self.reg("interrupt_status") & ~value)
            self.update_irq()
        elif offset == R_STATUS:
            if value == 0:
                self.reset()
            else:
                self.set_reg("status", value & 0xFF)  # the device status field is 8 bits
        else:
            for register, field in _QUEUE_ADDRESSES:
                if offset in (register, register + 4):
                    shift = 32 if offset == register + 4 else 0
                    old = self.qreg(field)
                    self.set_qreg(field, (old & ~(MASK32 << shift) | value << shift) & MASK64)

    def reset(self):
        for field in self.state:
            if field.name != "config_generation":
                self.state_arrays[field.name][...] = 0
        self.update_irq()

    def update_irq(self):
        self.bus.set_irq(self.params.irq, self.reg("interrupt_status") != 0)

    # --- the queue ---------------------------------------------------------------

    def serve_queue(self, queue: int):
        num = self.qreg("queue_num", queue)
        if not self.qreg("queue_ready", queue) or num == 0 or num > QUEUE_NUM_MAX or num & (num - 1):
            return
        driver, device = self.qreg("queue_driver", queue), self.qreg("queue_device", queue)
        try:
            avail_idx = struct.unpack("<H", self.bus.dma_read(driver + 2, 2))[0]
            if (avail_idx - self.qreg("last_avail_idx", queue)) & 0xFFFF > num:
                # More buffers made available than the queue holds (virtio 1.1, 2.6.6): the driver is
                # broken. One notification never costs more than one pass over the queue.
                raise BadChain()
            served = False
            while self.qreg("last_avail_idx", queue) != avail_idx:
                slot = self.qreg("last_avail_idx", queue) % num
                head = struct.unpack("<H", self.bus.dma_read(driver + 4 + 2 * slot, 2))[0]
                written = self.serve_request(queue, head, num)
                used_idx = struct.unpack("<H", self.bus.dma_read(device + 2, 2))[0]
                self.bus.dma_write(device + 4 + 8 * (used_idx % num), struct.pack("<II", head, written))
                self.bus.dma_write(device + 2, struct.pack("<H", (used_idx + 1) & 0xFFFF))
                self.set_qreg("last_avail_idx", (self.qreg("last_avail_idx", queue) + 1) & 0xFFFF, queue)
                served = True
            if served:
                self.set_reg("interrupt_status", self.reg("interrupt_status") | INT_USED_BUFFER)
        except (DmaError, BadChain):
            # The rings themselves are unreachable or malformed: the device cannot go on.
            self.set_reg("status", self.reg("status") | STATUS_DEVICE_NEEDS_RESET)
            self.set_reg("interrupt_status", self.reg("interrupt_status") | INT_CONFIG_CHANGE)
        self.update_irq()

    def read_chain(self, queue: int, head: int, num: int) -> list[tuple[int, int, bool]]:
        """The descriptor chain from ``head`` as (addr, len, device-writable); loops and overlong chains are refused."""
        chain, index = [], head
        while True:
            if index >= num or len(chain) >= num:
                raise BadChain()
            addr, length, flags, nxt = struct.unpack(
                "<QIHH", self.bus.dma_read(self.qreg("queue_desc", queue) + 16 * index, 16))
            chain.append((addr, length, bool(flags & DESC_F_WRITE)))
            if not flags & DESC_F_NEXT:
                return chain
            index = nxt
