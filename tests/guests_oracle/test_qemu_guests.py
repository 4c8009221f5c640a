"""The bare-metal guests (assets/guest) run on QEMU as the committed oracle says.

Runs every guest of category "test" or "micro" from guests.toml in QEMU and compares its
console text and exit code with expected/<name>.out, so a change to a guest,
the table or QEMU shows up here before it shows up as a graphsim mismatch.
Without QEMU these tests skip, except under CI=true, where they fail.
"""
from __future__ import annotations

import importlib.util
import sys
import re
import tomllib
import zlib
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.conftest import need_tool

GUEST_DIR = Path(__file__).resolve().parents[2] / "assets" / "guest"


def _import(name: str, path: Path):
    """Import a script from assets/guest, which is not a package."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module      # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


oracle = _import("qemu_oracle", GUEST_DIR / "qemu_oracle.py")
GUESTS = oracle.load_guests()
TEST_GUESTS = [g for g in GUESTS.values() if g.category in ("test", "micro")]
RAM_BASE = 0x8000_0000


def require_qemu(xlen: int) -> None:
    need_tool(oracle.qemu_binary(xlen))


@pytest.mark.parametrize("guest", TEST_GUESTS, ids=lambda g: g.name)
def test_guest_matches_oracle(guest):
    require_qemu(guest.xlen)
    result = oracle.run_guest(guest, timeout=30)
    assert result.console == guest.expected_path.read_text()
    assert result.exit_code == guest.exit_code


def test_table_is_complete():
    raw = tomllib.loads(oracle.GUESTS_TOML.read_text())["guest"]
    names = [g["name"] for g in raw]
    assert len(names) == len(set(names)), "duplicate guest names"
    keys = {"name", "elf", "xlen", "isa", "harts", "disk", "stdin", "exit_code", "category"}
    for g in raw:
        assert set(g) == keys, g["name"]
    for g in GUESTS.values():
        assert g.category in ("test", "micro", "bench"), g.name
        assert g.xlen in (32, 64), g.name
        assert g.elf.is_file(), g.elf
        assert g.expected_path.is_file(), g.expected_path
        assert g.disk is None or g.disk.is_file(), g.disk
    for g in GUESTS.values():
        if g.category == "bench":
            assert g.name.removesuffix("_long") in GUESTS, f"{g.name} has no short variant"


KEEP_DEBUG = set(re.findall(r"^KEEP_DEBUG_(\w+) := 1", (GUEST_DIR / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("elf_path", sorted({g.elf for g in GUESTS.values()}),
                         ids=lambda p: p.name)
def test_elf_is_loadable(elf_path):
    guest = next(g for g in GUESTS.values() if g.elf == elf_path)
    assert elf_path.stat().st_size < 100 * 1024
    with elf_path.open("rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_RISCV"
        assert elf.elfclass == guest.xlen
        assert elf["e_entry"] == RAM_BASE
        ram_end = RAM_BASE + guest.memory_mib * 1024 * 1024
        for seg in elf.iter_segments("PT_LOAD"):
            assert RAM_BASE <= seg["p_vaddr"] and seg["p_vaddr"] + seg["p_memsz"] <= ram_end
        if guest.name not in KEEP_DEBUG:  # only the debugger's demo keeps its debug info
            assert not any(s.name.startswith(".debug") for s in elf.iter_sections())


@pytest.mark.parametrize("guest", [g for g in GUESTS.values() if g.disk], ids=lambda g: g.name)
def test_virtio_output_agrees_with_image(guest):
    """The oracle's capacity and CRC32 are those of the image (zlib's CRC-32)."""
    data = guest.disk.read_bytes()
    out = guest.expected_path.read_text()
    assert f"capacity {len(data) // 512} sectors" in out
    crc = int(re.search(r"crc32=0x([0-9a-f]{8})", out).group(1), 16)
    assert crc == zlib.crc32(data)


def test_disk_images_are_reproducible():
    make_disks = _import("make_disks", GUEST_DIR / "disk" / "make_disks.py")
    assert (GUEST_DIR / "disk/test.img").read_bytes() == make_disks.image("test disk A", 128, 7, 13)
    assert (GUEST_DIR / "disk/test2.img").read_bytes() == make_disks.image("test disk B", 64, 11, 5)
