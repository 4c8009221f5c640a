"""virtio-blk over virtio-mmio (version 2, one split virtqueue), as on QEMU virt.

Requests are served synchronously when the guest notifies the queue. Every
guest-supplied address goes through the machine's bounds-checked DMA: a bad
descriptor becomes VIRTIO_BLK_S_IOERR (or, when even the status byte is
unreachable, DEVICE_NEEDS_RESET) for the guest, never a host error.
"""

from __future__ import annotations

import struct

from ..config.schema import REQUESTER, RESPONDER, Address, Bool, Component, FilePath, Int, Param, Port, Size, StateField
from .base import DmaError, PythonDevice
from .disk import SECTOR, Disk, DiskError

MAGIC = 0x74726976  # "virt"
VENDOR = 0x554D4551  # "QEMU", as QEMU reports it
DEVICE_ID_BLOCK = 2
QUEUE_NUM_MAX = 256

VIRTIO_F_VERSION_1 = 1 << 32
VIRTIO_BLK_F_RO = 1 << 5
VIRTIO_BLK_F_BLK_SIZE = 1 << 6
VIRTIO_BLK_F_FLUSH = 1 << 9

STATUS_DEVICE_NEEDS_RESET = 0x40
INT_USED_BUFFER = 1
INT_CONFIG_CHANGE = 2

DESC_F_NEXT = 1
DESC_F_WRITE = 2

REQ_IN, REQ_OUT, REQ_FLUSH, REQ_GET_ID = 0, 1, 4, 8
S_OK, S_IOERR, S_UNSUPP = 0, 1, 2

# Register offsets of the virtio-mmio transport.
R_MAGIC, R_VERSION, R_DEVICE_ID, R_VENDOR = 0x000, 0x004, 0x008, 0x00C
R_DEVICE_FEATURES, R_DEVICE_FEATURES_SEL = 0x010, 0x014
R_DRIVER_FEATURES, R_DRIVER_FEATURES_SEL = 0x020, 0x024
R_QUEUE_SEL, R_QUEUE_NUM_MAX, R_QUEUE_NUM, R_QUEUE_READY = 0x030, 0x034, 0x038, 0x044
R_QUEUE_NOTIFY, R_INTERRUPT_STATUS, R_INTERRUPT_ACK, R_STATUS = 0x050, 0x060, 0x064, 0x070
R_QUEUE_DESC, R_QUEUE_DRIVER, R_QUEUE_DEVICE = 0x080, 0x090, 0x0A0  # low word; high word at +4
R_CONFIG_GENERATION, R_CONFIG = 0x0FC, 0x100

_SCALAR = "int64"


class VirtioBlk(PythonDevice, Component):
    kind = "virtio_blk"
    doc = "virtio-mmio block device (modern, version 2) backed by a read-only raw image and a copy-on-write overlay."

    base = Param(Address, 0x1000_8000, "register window (QEMU virt slots: 0x10001000 + 0x1000*i)")
    size = Param(Size, "4KiB", "register window size")
    irq = Param(Int, 8, "PLIC source (QEMU virt slot i uses 1+i)", min=1)
    image = Param(FilePath, "", "raw disk image (opened read-only; never written)")
    read_only = Param(Bool, False, "offer the disk read-only to the guest")
    port = Port(RESPONDER, "mem", "register access", vector=True)
    irq_line = Port(REQUESTER, "irq", "interrupt to the PLIC")

    state_version = 1
    state = tuple(StateField(name, _SCALAR, (), doc) for name, doc in (
        ("status", "device status byte written by the driver"),
        ("device_features_sel", "which 32-bit word of the device features is shown"),
        ("driver_features", "features accepted by the driver"),
        ("driver_features_sel", "which 32-bit word of the driver features is written"),
        ("queue_num", "queue size chosen by the driver"),
        ("queue_ready", "queue enabled"),
        ("queue_desc", "descriptor table address"),
        ("queue_driver", "available ring address"),
        ("queue_device", "used ring address"),
        ("last_avail_idx", "next available-ring entry to serve"),
        ("interrupt_status", "pending interrupt causes"),
        ("config_generation", "bumped when the configuration changes"),
    ))

    def __init__(self, name, params):
        super().__init__(name, params)
        self.disk: Disk | None = None

    # --- set-up --------------------------------------------------------------

    def open_disk(self, path: str | None = None):
        """Open the image (the param's, or a replacement given at run/restore time)."""
        path = path or self.params.image
        if not path:
            raise DiskError(f"{self.name}: no disk image (give --disk {self.name}=IMAGE or "
                            f"components.{self.name}.image)")
        self.disk = Disk(path)
        if self.disk.size % SECTOR:
            raise DiskError(f"{self.name}: disk image {path} is {self.disk.size} bytes, not a multiple of {SECTOR}")

    def reg(self, name: str) -> int:
        return int(self.state_arrays[name])

    def set_reg(self, name: str, value: int):
        self.state_arrays[name][()] = value

    @property
    def device_features(self) -> int:
        features = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE
        if self.params.read_only:
            features |= VIRTIO_BLK_F_RO
        return features

    def config_space(self) -> bytes:
        # struct virtio_blk_config up to blk_size: capacity, size_max, seg_max, geometry, blk_size.
        return struct.pack("<QIIHBBI", self.disk.sectors, 0, 0, 0, 0, 0, SECTOR)

    # --- registers -----------------------------------------------------------

    def mmio_read(self, offset: int, size: int) -> int:
        if offset >= R_CONFIG:
            config = self.config_space()
            index = offset - R_CONFIG
            return int.from_bytes(config[index:index + size].ljust(size, b"\0"), "little")
        if size != 4:
            return 0
        if offset == R_MAGIC:
            return MAGIC
        if offset == R_VERSION:
            return 2
        if offset == R_DEVICE_ID:
            return DEVICE_ID_BLOCK
        if offset == R_VENDOR:
            return VENDOR
        if offset == R_DEVICE_FEATURES:
            return (self.device_features >> (32 * self.reg("device_features_sel"))) & 0xFFFF_FFFF \
                if self.reg("device_features_sel") < 2 else 0
        if offset == R_QUEUE_NUM_MAX:
            return QUEUE_NUM_MAX
        if offset == R_QUEUE_READY:
            return self.reg("queue_ready")
        if offset == R_INTERRUPT_STATUS:
            return self.reg("interrupt_status")
        if offset == R_STATUS:
            return self.reg("status")
        if offset == R_CONFIG_GENERATION:
            return self.reg("config_generation")
        for register, field in ((R_QUEUE_DESC, "queue_desc"), (R_QUEUE_DRIVER, "queue_driver"),
                                (R_QUEUE_DEVICE, "queue_device")):
            if offset in (register, register + 4):
                return (self.reg(field) >> (32 if offset == register + 4 else 0)) & 0xFFFF_FFFF
        return 0

    def mmio_write(self, offset: int, size: int, value: int):
        if size != 4 or offset >= R_CONFIG:
            return  # the block config space is read-only
        value &= 0xFFFF_FFFF
        if offset == R_DEVICE_FEATURES_SEL:
            self.set_reg("device_features_sel", value)
        elif offset == R_DRIVER_FEATURES:
            sel = self.reg("driver_features_sel")
            if sel < 2:
                mask = 0xFFFF_FFFF << (32 * sel)
                self.set_reg("driver_features", (self.reg("driver_features") & ~mask) | (value << (32 * sel)))
        elif offset == R_DRIVER_FEATURES_SEL:
            self.set_reg("driver_features_sel", value)
        elif offset == R_QUEUE_SEL:
            pass  # one queue: other selections read as absent (QueueNumMax is per-queue in spirit)
        elif offset == R_QUEUE_NUM:
            self.set_reg("queue_num", value)
        elif offset == R_QUEUE_READY:
            self.set_reg("queue_ready", value & 1)
        elif offset == R_QUEUE_NOTIFY:
            self.serve_queue()
        elif offset == R_INTERRUPT_ACK:
            self.set_reg("interrupt_status", self.reg("interrupt_status") & ~value)
            self.update_irq()
        elif offset == R_STATUS:
            if value == 0:
                self.reset()
            else:
                self.set_reg("status", value)
        else:
            for register, field in ((R_QUEUE_DESC, "queue_desc"), (R_QUEUE_DRIVER, "queue_driver"),
                                    (R_QUEUE_DEVICE, "queue_device")):
                if offset in (register, register + 4):
                    shift = 32 if offset == register + 4 else 0
                    old = self.reg(field)
                    self.set_reg(field, (old & ~(0xFFFF_FFFF << shift)) | (value << shift))

    def reset(self):
        for field in self.state:
            if field.name != "config_generation":
                self.state_arrays[field.name][()] = 0
        self.update_irq()

    def update_irq(self):
        self.bus.set_irq(self.params.irq, self.reg("interrupt_status") != 0)

    # --- the queue -------------------------------------------------------------

    def serve_queue(self):
        num = self.reg("queue_num")
        if not self.reg("queue_ready") or num == 0 or num > QUEUE_NUM_MAX or num & (num - 1):
            return
        driver, device = self.reg("queue_driver"), self.reg("queue_device")
        try:
            avail_idx = struct.unpack("<H", self.bus.dma_read(driver + 2, 2))[0]
            served = False
            while self.reg("last_avail_idx") != avail_idx:
                slot = self.reg("last_avail_idx") % num
                head = struct.unpack("<H", self.bus.dma_read(driver + 4 + 2 * slot, 2))[0]
                written = self.serve_request(head, num)
                used_idx = struct.unpack("<H", self.bus.dma_read(device + 2, 2))[0]
                self.bus.dma_write(device + 4 + 8 * (used_idx % num), struct.pack("<II", head, written))
                self.bus.dma_write(device + 2, struct.pack("<H", (used_idx + 1) & 0xFFFF))
                self.set_reg("last_avail_idx", (self.reg("last_avail_idx") + 1) & 0xFFFF)
                served = True
            if served:
                self.set_reg("interrupt_status", self.reg("interrupt_status") | INT_USED_BUFFER)
        except (DmaError, _BadChain):
            # The rings themselves are unreachable or malformed: the device cannot go on.
            self.set_reg("status", self.reg("status") | STATUS_DEVICE_NEEDS_RESET)
            self.set_reg("interrupt_status", self.reg("interrupt_status") | INT_CONFIG_CHANGE)
        self.update_irq()

    def read_chain(self, head: int, num: int) -> list[tuple[int, int, bool]]:
        """The descriptor chain from ``head`` as (addr, len, device-writable); loops and overlong chains are refused."""
        chain, index = [], head
        while True:
            if index >= num or len(chain) >= num:
                raise _BadChain()
            addr, length, flags, nxt = struct.unpack("<QIHH", self.bus.dma_read(self.reg("queue_desc") + 16 * index, 16))
            chain.append((addr, length, bool(flags & DESC_F_WRITE)))
            if not flags & DESC_F_NEXT:
                return chain
            index = nxt

    def serve_request(self, head: int, num: int) -> int:
        """Serve one request; returns the number of bytes written into guest buffers."""
        chain = self.read_chain(head, num)
        status_addr, status_len, status_writable = chain[-1]
        if status_len < 1 or not status_writable or len(chain) < 2:
            raise _BadChain()
        status_addr += status_len - 1
        try:
            header = self.gather(chain[:-1], 16)
            kind, _, sector = struct.unpack("<IIQ", header[:16])
            data = self.data_segments(chain[:-1])
            written = 0
            if kind == REQ_IN:
                total = sum(length for _, length, _ in data)
                if any(not w for _, _, w in data) or total % SECTOR:
                    status = S_IOERR
                else:
                    content = self.disk.read(sector, total // SECTOR)
                    pos = 0
                    for addr, length, _ in data:
                        self.bus.dma_write(addr, content[pos:pos + length])
                        pos += length
                    written, status = total, S_OK
            elif kind == REQ_OUT:
                if self.params.read_only or any(w for _, _, w in data):
                    status = S_IOERR
                else:
                    payload = b"".join(self.bus.dma_read(addr, length) for addr, length, _ in data)
                    if len(payload) % SECTOR:
                        status = S_IOERR
                    else:
                        self.disk.write(sector, payload)
                        status = S_OK
            elif kind == REQ_FLUSH:
                status = S_OK
            elif kind == REQ_GET_ID:
                ident = f"graphsim-{self.name}".encode()[:20].ljust(20, b"\0")
                if data and data[0][2]:
                    self.bus.dma_write(data[0][0], ident[:data[0][1]])
                    written, status = min(20, data[0][1]), S_OK
                else:
                    status = S_IOERR
            else:
                status = S_UNSUPP
        except (DmaError, DiskError, struct.error):
            status, written = S_IOERR, 0
        self.bus.dma_write(status_addr, bytes([status]))
        return written + 1

    def gather(self, chain, length: int) -> bytes:
        """The first ``length`` readable bytes of a chain (the request header)."""
        out = b""
        for addr, seg_len, writable in chain:
            if len(out) >= length or writable:
                break
            out += self.bus.dma_read(addr, min(seg_len, length - len(out)))
        if len(out) < length:
            raise DmaError("request header shorter than 16 bytes")
        return out

    @staticmethod
    def data_segments(chain) -> list[tuple[int, int, bool]]:
        """The descriptors after the 16-byte header (which may share its first descriptor with data)."""
        segments, skip = [], 16
        for addr, length, writable in chain:
            if skip >= length:
                skip -= length
                continue
            segments.append((addr + skip, length - skip, writable))
            skip = 0
        return segments


class _BadChain(Exception):
    """A descriptor chain the device cannot follow (loop, out-of-range index, no status byte)."""
