"""Loading guest software into physical memory: ELF files (pyelftools) and raw
binaries, each checked against the machine's memory map before a byte is copied."""

from __future__ import annotations

import struct
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..errors import GraphsimError
from ..safe_io import host_memory, read_regular
from .packed import unpacked

EM_RISCV = 243


class LoadError(GraphsimError):
    pass


@dataclass
class Image:
    """One blob to place at a physical address."""

    path: str
    address: int
    data: bytes


@dataclass
class Program:
    """What loading a kernel file yields: the blobs and the entry point."""

    path: str
    entry: int
    images: list[Image]
    xlen: int | None  # from the ELF class; None for a raw binary


@contextmanager
def named_by(where: str):
    """Errors about a file start with the option or machine-file key that named it."""
    try:
        yield
    except LoadError as exc:
        raise LoadError(f"{where}: {exc}") from None


def _read(path: str) -> bytes:
    """A kernel, firmware or initrd: a regular file (never a FIFO or device), no larger than this host's memory."""
    path = unpacked(path)
    try:
        return read_regular(path, host_memory(), follow=True)
    except FileNotFoundError:
        raise LoadError(f"{path}: file not found") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_elf(path: str, raw: bytes | None = None) -> Program:
    """The PT_LOAD segments and entry point of a RISC-V ELF (segments placed at their physical address)."""
    from io import BytesIO

    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    raw = _read(path) if raw is None else raw
    try:
        elf = ELFFile(BytesIO(raw))
        if elf["e_machine"] not in ("EM_RISCV", EM_RISCV):
            raise LoadError(f"{path}: not a RISC-V ELF (machine {elf['e_machine']})")
        images = []
        for segment in elf.iter_segments():
            if segment["p_type"] != "PT_LOAD" or segment["p_memsz"] == 0:
                continue
            if segment["p_memsz"] > len(raw) + host_memory() // 2:
                raise LoadError(f"{path}: a segment of {segment['p_memsz']:,} bytes is more than this host can hold")
            data = segment.data().ljust(segment["p_memsz"], b"\0")
            images.append(Image(path, segment["p_paddr"], data))
        entry = elf["e_entry"]
        xlen = elf.elfclass
    except (ELFError, ValueError, KeyError, IndexError, TypeError, AttributeError, struct.error) as exc:
        raise LoadError(f"{path}: not a valid ELF file ({exc})") from None
    if not images:
        raise LoadError(f"{path}: ELF has no loadable segments")
    return Program(path, entry, images, xlen)


def read_program(path: str, load_address: int) -> Program:
    """An ELF, or a raw binary placed at ``load_address`` and entered there."""
    raw = _read(path)
    if raw[:4] == b"\x7fELF":
        return read_elf(path, raw)
    return Program(path, load_address, [Image(path, load_address, raw)], None)


def read_blob(path: str, address: int) -> Image:
    return Image(path, address, _read(path))


def place(ram: np.ndarray, ram_base: int, image: Image):
    """Copy an image into RAM, refusing one that does not fit the memory map."""
    end = image.address + len(image.data)
    ram_end = ram_base + len(ram)
    if image.address < ram_base or end > ram_end:
        raise LoadError(f"{image.path}: 0x{image.address:x}-0x{end - 1:x} does not fit the memory map "
                        f"(RAM is 0x{ram_base:x}-0x{ram_end - 1:x})")
    offset = image.address - ram_base
    ram[offset:offset + len(image.data)] = np.frombuffer(image.data, dtype=np.uint8)


def check_overlaps(images: list[Image]):
    spans = sorted((i.address, i.address + len(i.data), i.path) for i in images)
    for (a0, a1, pa), (b0, b1, pb) in zip(spans, spans[1:]):
        if b0 < a1:
            raise LoadError(f"{pb}: loads at 0x{b0:x}, overlapping {pa} (0x{a0:x}-0x{a1 - 1:x})")
