"""Disk images: the base image is opened read-only and never written; guest
writes go to a copy-on-write overlay that belongs to the run and travels in
checkpoints. A disk's identity is its size and SHA-256."""

from __future__ import annotations

import hashlib
import os

from ..errors import GraphsimError
from ..sim.packed import unpacked

SECTOR = 512


class DiskError(GraphsimError):
    exit_code = 5


def image_identity(path: str) -> dict:
    """{'size': bytes, 'sha256': hex} of an image file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    try:
        with open(unpacked(path), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            while block := f.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise DiskError(f"disk image {path}: {exc.strerror or exc}") from None
    return {"size": size, "sha256": digest.hexdigest()}


class Disk:
    """A raw image plus its overlay of written sectors (sector number → 512 bytes)."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.fd = os.open(unpacked(path), os.O_RDONLY)
        except OSError as exc:
            raise DiskError(f"disk image {path}: {exc.strerror or exc}") from None
        self.size = os.fstat(self.fd).st_size
        self.overlay: dict[int, bytes] = {}
        self._identity: dict | None = None

    @property
    def sectors(self) -> int:
        return self.size // SECTOR

    def identity(self) -> dict:
        if self._identity is None:
            self._identity = image_identity(self.path)
        return self._identity

    def read(self, sector: int, count: int) -> bytes:
        if sector < 0 or sector + count > self.sectors:
            raise DiskError(f"read of sectors {sector}..{sector + count - 1} beyond the disk")
        base = os.pread(self.fd, count * SECTOR, sector * SECTOR)
        if not self.overlay:
            return base
        out = bytearray(base)
        for i in range(count):
            written = self.overlay.get(sector + i)
            if written is not None:
                out[i * SECTOR:(i + 1) * SECTOR] = written
        return bytes(out)

    def write(self, sector: int, data: bytes):
        count = len(data) // SECTOR
        if sector < 0 or sector + count > self.sectors or len(data) % SECTOR:
            raise DiskError(f"write of {len(data)} bytes at sector {sector} beyond the disk")
        for i in range(count):
            self.overlay[sector + i] = bytes(data[i * SECTOR:(i + 1) * SECTOR])

    def close(self):
        os.close(self.fd)
