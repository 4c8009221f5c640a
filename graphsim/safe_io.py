"""Reading files named by users or by files from strangers: regular files only, bounded in size.

A FIFO, device, directory or socket named where a file belongs is refused at once (it is
opened non-blocking, so a FIFO never hangs), and no read takes more than the caller's bound.
"""

from __future__ import annotations

import os
import stat


def host_memory() -> int:
    """Bytes of physical memory on this host: no declared size may exceed it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 1 << 40


def read_regular(path: str, limit: int, dir_fd: int | None = None, follow: bool = False) -> bytes:
    """The bytes of a regular file that is no longer than ``limit``. Without ``follow`` a symbolic
    link is not followed. Raises OSError (with a reason) otherwise."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path}: not a regular file")
        if info.st_size > limit:
            raise OSError(f"{path}: {info.st_size} bytes, more than the {limit} expected")
        parts, total = [], 0
        while block := os.read(fd, min(limit + 1 - total, 1 << 24)):
            parts.append(block)
            total += len(block)
            if total > limit:
                raise OSError(f"{path}: more than the {limit} bytes expected")
        return b"".join(parts)
    finally:
        os.close(fd)
