"""Disk images: the base image is opened read-only and never written; guest
writes go to a copy-on-write overlay that belongs to the run and travels in
checkpoints. A disk's identity is its size and SHA-256."""

from __future__ import annotations

import hashlib
import os
import stat

from ..errors import GraphsimError
from ..sim.packed import unpacked

SECTOR = 512


class DiskError(GraphsimError):
    exit_code = 5


def open_image(path: str) -> int:
    """A read-only descriptor of a disk image, which must be a regular file (a FIFO or device is
    refused without blocking on it)."""
    try:
        fd = os.open(unpacked(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise DiskError(f"disk image {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DiskError(f"disk image {path}: not a regular file")
    return fd


# SHA-256 of the images this process has hashed, by the file's identity and change times: a
# restore checks the image's identity and then opens it as the machine's disk, and must not read it
# twice. Any write to the file changes its ctime, so a changed file is hashed again.
_HASHED: dict[tuple, str] = {}


def forget_hashes():
    """Hash every image again from now on (benchmarks time a restore as a fresh process does it)."""
    _HASHED.clear()


def _hash(fd: int, size: int) -> str:
    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino, size, info.st_mtime_ns, info.st_ctime_ns)
    if key in _HASHED:
        return _HASHED[key]
    digest = hashlib.sha256()
    offset = 0
    while offset < size and (block := os.pread(fd, min(1 << 20, size - offset), offset)):
        digest.update(block)
        offset += len(block)
    _HASHED[key] = digest.hexdigest()
    return _HASHED[key]


def image_identity(path: str) -> dict:
    """{'size': bytes, 'sha256': hex} of an image file, read in 1 MiB blocks."""
    fd = open_image(path)
    try:
        size = os.fstat(fd).st_size
        return {"size": size, "sha256": _hash(fd, size)}
    finally:
        os.close(fd)


def recorded_image(path: str, recorded: dict) -> dict | None:
    """The identity of the image at ``path`` if it is the one ``recorded`` ({size, sha256}), else None.
    The size is checked before anything is read, so a path naming some other file costs nothing."""
    if not path:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != recorded.get("size"):
            return None
        identity = {"size": info.st_size, "sha256": _hash(fd, info.st_size)}
        return identity if identity["sha256"] == recorded.get("sha256") else None
    finally:
        os.close(fd)


class Disk:
    """A raw image plus its overlay of written sectors (sector number → 512 bytes)."""

    def __init__(self, path: str):
        self.path = path
        self.fd = open_image(path)
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

    def read_bytes(self, offset: int, length: int) -> bytes:
        """``length`` bytes from byte ``offset`` (both inside the disk; need not be sector-aligned)."""
        first, end = offset // SECTOR, -(-(offset + length) // SECTOR)
        skip = offset - first * SECTOR
        return self.read(first, end - first)[skip:skip + length]

    def write(self, sector: int, data: bytes):
        count = len(data) // SECTOR
        if sector < 0 or sector + count > self.sectors or len(data) % SECTOR:
            raise DiskError(f"write of {len(data)} bytes at sector {sector} beyond the disk")
        for i in range(count):
            self.overlay[sector + i] = bytes(data[i * SECTOR:(i + 1) * SECTOR])

    def close(self):
        os.close(self.fd)
