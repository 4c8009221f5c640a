"""A symbol-only ELF of the kernel, made from its System.map, for GDB.

    python symbols_elf.py System.map.xz vmlinux-symbols.elf
    gdb-multiarch vmlinux-symbols.elf -ex 'target remote :PORT' -ex 'break *kernel_power_off'

GDB names addresses and sets breakpoints by the symbols of an ELF file; the kernel's
vmlinux holds them but is some 20 MiB without its debug information, too much to
commit. System.map has every symbol's address and kind, so this writes an ELF that
has only those: one NOBITS section spanning the kernel image (GDB reads the code
itself from the target), and a symbol table in which text symbols are functions
sized up to the next symbol. No line numbers or types: `break *func`, `info symbol
$pc`, `x/8i func` and the function names in `bt` work; source-level debugging needs
the vmlinux of the build (`make kernel` leaves it in the build directory).
"""

from __future__ import annotations

import argparse
import lzma
import struct
import sys
from pathlib import Path

EM_RISCV = 243
EF_RISCV_RVC_DOUBLE = 0x0001 | 0x0004  # compressed instructions, double-float ABI (lp64d)
SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
SHN_ABS = 0xFFF1
KERNEL_SECTION = 1  # the index of the NOBITS section spanning the image


def read_map(path: Path) -> list[tuple[int, str, str]]:
    """(address, kind letter, name) of every line of a System.map (plain or .xz)."""
    data = path.read_bytes()
    if path.suffix == ".xz":
        data = lzma.decompress(data)
    symbols = []
    for number, line in enumerate(data.decode().splitlines(), 1):
        parts = line.split()
        if len(parts) != 3 or len(parts[1]) != 1:
            raise ValueError(f"{path}:{number}: not 'ADDRESS KIND NAME': {line[:80]!r}")
        symbols.append((int(parts[0], 16), parts[1], parts[2]))
    return symbols


def symbol_elf(symbols: list[tuple[int, str, str]]) -> bytes:
    """The ELF64 (little-endian, RISC-V) holding ``symbols``."""
    addresses = {name: address for address, _, name in symbols}
    if "_start" not in addresses or "_end" not in addresses:
        raise ValueError("no _start or _end: not a kernel's System.map")
    start, end = addresses["_start"], addresses["_end"]
    following = sorted({address for address, _, _ in symbols} | {end})
    next_address = {a: b for a, b in zip(following, following[1:])}

    strtab = bytearray(b"\0")
    locals_, globals_ = [], []
    for address, kind, name in symbols:
        name_offset = len(strtab)
        strtab += name.encode() + b"\0"
        text = kind in "TtWw"
        bind = STB_WEAK if kind in "WwVv" else STB_LOCAL if kind.islower() else STB_GLOBAL
        inside = start <= address < end and kind not in "Aa"
        size = next_address.get(address, address) - address if text and inside else 0
        entry = struct.pack("<IBBHQQ", name_offset, bind << 4 | (STT_FUNC if text else STT_OBJECT if inside else STT_NOTYPE),
                            0, KERNEL_SECTION if inside else SHN_ABS, address, size)
        (locals_ if bind == STB_LOCAL else globals_).append(entry)
    symtab = bytes(24) + b"".join(locals_) + b"".join(globals_)  # the null symbol, locals, then the rest
    shstrtab = b"\0.kernel\0.symtab\0.strtab\0.shstrtab\0"

    header_size, section_header_size = 64, 64
    symtab_offset = header_size
    strtab_offset = symtab_offset + len(symtab)
    shstrtab_offset = strtab_offset + len(strtab)
    sections_offset = (shstrtab_offset + len(shstrtab) + 7) & ~7
    sections = [
        bytes(section_header_size),
        struct.pack("<IIQQQQIIQQ", 1, SHT_NOBITS, SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR, start, 0, end - start, 0, 0, 4096, 0),
        struct.pack("<IIQQQQIIQQ", 9, SHT_SYMTAB, 0, 0, symtab_offset, len(symtab), 3, 1 + len(locals_), 8, 24),
        struct.pack("<IIQQQQIIQQ", 17, SHT_STRTAB, 0, 0, strtab_offset, len(strtab), 0, 0, 1, 0),
        struct.pack("<IIQQQQIIQQ", 25, SHT_STRTAB, 0, 0, shstrtab_offset, len(shstrtab), 0, 0, 1, 0),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, version 1, System V
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, EM_RISCV, 1, start, 0, sections_offset, EF_RISCV_RVC_DOUBLE,
                                 header_size, 0, 0, section_header_size, len(sections), 4)
    body = header + symtab + strtab + shstrtab
    return body + bytes(sections_offset - len(body)) + b"".join(sections)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system_map", type=Path, help="System.map or System.map.xz")
    parser.add_argument("output", type=Path, help="the ELF to write")
    args = parser.parse_args(argv)
    try:
        elf = symbol_elf(read_map(args.system_map))
    except (OSError, ValueError, lzma.LZMAError) as exc:
        print(f"symbols_elf: {args.system_map}: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(elf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
