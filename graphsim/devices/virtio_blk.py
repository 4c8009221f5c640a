"""virtio-blk (device ID 2) on the virtio-mmio transport, backed by a read-only
raw image and a copy-on-write overlay (graphsim/devices/disk.py).

Requests are served synchronously when the guest notifies the queue: nothing is
ever in flight, so a checkpoint needs no device drain. A bad data or header
descriptor becomes VIRTIO_BLK_S_IOERR for the guest; an unreachable status byte
or a malformed chain marks the device DEVICE_NEEDS_RESET.

What one request may cost the host is bounded and advertised: at most SEG_MAX
data segments of at most SIZE_MAX bytes each (VIRTIO_BLK_F_SEG_MAX,
VIRTIO_BLK_F_SIZE_MAX; Linux already keeps to 64 KiB segments), checked before
anything is read or written, and data moves a segment at a time, never joined.
"""

from __future__ import annotations

import os

import struct

from ..config.schema import Address, Bool, FilePath, Int, Param
from .base import DmaError
from .disk import SECTOR, Disk, DiskError
from .virtio_mmio import VIRTIO_F_VERSION_1, BadChain, VirtioMmio, transport_state

DEVICE_ID_BLOCK = 2
VIRTIO_BLK_F_SIZE_MAX = 1 << 1
VIRTIO_BLK_F_SEG_MAX = 1 << 2
VIRTIO_BLK_F_RO = 1 << 5
VIRTIO_BLK_F_BLK_SIZE = 1 << 6
VIRTIO_BLK_F_FLUSH = 1 << 9

REQ_IN, REQ_OUT, REQ_FLUSH, REQ_GET_ID = 0, 1, 4, 8
S_OK, S_IOERR, S_UNSUPP = 0, 1, 2
SIZE_MAX = 64 * 1024  # bytes in one data segment
SEG_MAX = 126  # data segments in one request (with the header and status: at most 128 descriptors)


class VirtioBlk(VirtioMmio):
    kind = "virtio_blk"
    doc = "virtio-mmio block device (modern, version 2) backed by a read-only raw image and a copy-on-write overlay."

    device_id = DEVICE_ID_BLOCK
    state = transport_state(1)  # one request queue

    base = Param(Address, 0x1000_8000, "register window (QEMU virt puts the first disk in slot 7: 0x10008000)")
    irq = Param(Int, 8, "PLIC source (QEMU virt slot i uses 1+i)", min=1)
    image = Param(FilePath, "", "raw disk image (opened read-only; never written)")
    read_only = Param(Bool, False, "offer the disk read-only to the guest")

    def __init__(self, name, params):
        super().__init__(name, params)
        self.disk: Disk | None = None

    def open_disk(self, path: str | None = None, named_by: str = ""):
        """Open the image (the param's, or a replacement given at run/restore time); errors about the
        image start with ``named_by``, the option or key that named it."""
        path = path or self.params.image
        if path:  # absolute, so that a checkpoint restores from any directory
            path = os.path.abspath(path)
        self.params["image"] = path  # the resolved machine (and so a checkpoint's config) names the real image
        if not path:
            raise DiskError(f"{self.name}: no disk image (give --disk {self.name}=IMAGE or "
                            f"components.{self.name}.image)")
        where = f"{named_by}: " if named_by else f"{self.name}: "
        try:
            self.disk = Disk(path)
        except DiskError as exc:
            raise DiskError(f"{where}{exc}") from None
        if self.disk.size % SECTOR:
            raise DiskError(f"{where}disk image {path} is {self.disk.size} bytes, not a multiple of {SECTOR}")

    @property
    def device_features(self) -> int:
        features = (VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SIZE_MAX
                    | VIRTIO_BLK_F_SEG_MAX)
        if self.params.read_only:
            features |= VIRTIO_BLK_F_RO
        return features

    def config_space(self) -> bytes:
        # struct virtio_blk_config up to blk_size: capacity, size_max, seg_max, geometry, blk_size.
        return struct.pack("<QIIHBBI", self.disk.sectors, SIZE_MAX, SEG_MAX, 0, 0, 0, SECTOR)

    def serve_request(self, queue: int, head: int, num: int) -> int:
        """Serve one request; returns the number of bytes written into guest buffers."""
        chain = self.read_chain(queue, head, num)
        status_addr, status_len, status_writable = chain[-1]
        if status_len < 1 or not status_writable or len(chain) < 2:
            raise BadChain()
        status_addr += status_len - 1
        try:
            header = self.gather(chain[:-1], 16)
            kind, _, sector = struct.unpack("<IIQ", header[:16])
            data = self.data_segments(chain[:-1])
            total = sum(length for _, length, _ in data)
            written = 0
            if len(chain) > SEG_MAX + 2 or any(length > SIZE_MAX for _, length, _ in data):
                status = S_IOERR  # more than the device advertised (seg_max besides header and status; size_max)
            elif kind == REQ_IN:
                if any(not w for _, _, w in data) or total % SECTOR or sector + total // SECTOR > self.disk.sectors:
                    status = S_IOERR
                else:
                    pos = sector * SECTOR
                    for addr, length, _ in data:
                        self.bus.dma_write(addr, self.disk.read_bytes(pos, length))
                        pos += length
                    written, status = total, S_OK
            elif kind == REQ_OUT:
                if self.params.read_only or any(w for _, _, w in data) or total % SECTOR \
                        or sector + total // SECTOR > self.disk.sectors:
                    status = S_IOERR
                else:
                    pending, at = b"", sector  # whole sectors go to the overlay as soon as they are complete
                    for addr, length, _ in data:
                        pending += self.bus.dma_read(addr, length)
                        whole = len(pending) - len(pending) % SECTOR
                        self.disk.write(at, pending[:whole])
                        pending, at = pending[whole:], at + whole // SECTOR
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
