#!/usr/bin/env python3
"""Run the bare-metal guests on QEMU, the oracle graphsim is compared against.

The guests and how to run them are listed in guests.toml (read by graphsim's
tests too).  A run returns the console text, with "\\r\\n" turned into "\\n",
and QEMU's exit code, which the SiFive test finisher sets from the guest.

    python3 qemu_oracle.py hello privtest     # print console and exit code
    python3 qemu_oracle.py --command privtest # print the QEMU command line
    python3 qemu_oracle.py --measure          # instruction counts (make measure)
"""
from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUESTS_TOML = HERE / "guests.toml"
EXPECTED_DIR = HERE / "expected"
MEASURE_DIR = HERE / "build" / "measure"


class QemuError(RuntimeError):
    """QEMU is missing, or a guest did not finish in time."""


@dataclass(frozen=True)
class Guest:
    name: str
    elf: Path
    xlen: int
    isa: str
    harts: int
    disk: Path | None
    stdin: str
    exit_code: int
    category: str
    memory_mib: int

    @property
    def expected_path(self) -> Path:
        return EXPECTED_DIR / f"{self.name}.out"


@dataclass(frozen=True)
class Result:
    console: str
    exit_code: int


def load_guests(path: Path = GUESTS_TOML) -> dict[str, Guest]:
    """Guests by name, in file order, with paths made absolute."""
    data = tomllib.loads(path.read_text())
    guests = {}
    for g in data["guest"]:
        guests[g["name"]] = Guest(
            name=g["name"],
            elf=path.parent / g["elf"],
            xlen=g["xlen"],
            isa=g["isa"],
            harts=g["harts"],
            disk=path.parent / g["disk"] if g["disk"] else None,
            stdin=g["stdin"],
            exit_code=g["exit_code"],
            category=g["category"],
            memory_mib=data["memory_mib"],
        )
    return guests


def qemu_binary(xlen: int) -> str:
    return f"qemu-system-riscv{xlen}"


def qemu_available(xlen: int = 64) -> bool:
    return shutil.which(qemu_binary(xlen)) is not None


def qemu_command(guest: Guest, elf: Path | None = None, icount: bool = False) -> list[str]:
    cmd = [
        qemu_binary(guest.xlen), "-machine", "virt", "-m", f"{guest.memory_mib}M",
        "-smp", str(guest.harts), "-bios", "none", "-nographic",
    ]
    if guest.disk:
        # Modern (version 2) virtio-mmio; snapshot=on sends the guest's writes
        # to a temporary overlay, so the image itself is never modified.
        cmd += [
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={guest.disk},if=none,format=raw,id=d0,snapshot=on",
            "-device", "virtio-blk-device,drive=d0",
        ]
    if icount:
        # One instruction per ns of virtual time, no sleeping: minstret is exact.
        cmd += ["-icount", "shift=0,sleep=off"]
    cmd += ["-kernel", str(elf or guest.elf)]
    return cmd


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n")


def run_guest(guest: Guest, timeout: float = 60.0, elf: Path | None = None,
              icount: bool = False) -> Result:
    """Run one guest to its finisher exit; raise QemuError on a timeout."""
    if not qemu_available(guest.xlen):
        raise QemuError(f"{qemu_binary(guest.xlen)} not found")
    cmd = qemu_command(guest, elf, icount)
    try:
        proc = subprocess.run(cmd, input=guest.stdin.encode(), capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        partial = normalise((e.stdout or b"").decode(errors="replace"))
        raise QemuError(f"{guest.name}: no exit after {timeout} s; console so far:\n"
                        f"{partial}") from None
    return Result(normalise(proc.stdout.decode(errors="replace")), proc.returncode)


def measure(guests: dict[str, Guest]) -> None:
    """Print instruction counts of the GUEST_REPORT_INSTRET builds (make measure)."""
    for g in guests.values():
        elf = MEASURE_DIR / g.elf.name
        if g.harts > 1 or not elf.exists():
            continue
        res = run_guest(g, timeout=600, elf=elf, icount=True)
        m = re.search(r"instret: (\d+)", res.console)
        print(f"{g.name:24} {int(m.group(1)):>14,}" if m else f"{g.name:24} {'?':>14}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="guests to run (default: all)")
    ap.add_argument("--command", action="store_true", help="print QEMU command lines only")
    ap.add_argument("--measure", action="store_true", help="count instructions (make measure)")
    args = ap.parse_args()
    guests = load_guests()
    unknown = [n for n in args.names if n not in guests]
    if unknown:
        ap.error(f"unknown guests: {', '.join(unknown)}")
    chosen = {n: guests[n] for n in args.names} if args.names else guests
    if args.measure:
        measure(chosen)
        return 0
    for g in chosen.values():
        if args.command:
            stdin = f"printf %s {shlex.quote(g.stdin)} | " if g.stdin else ""
            print(stdin + shlex.join(qemu_command(g)))
            continue
        res = run_guest(g)
        print(f"== {g.name}: exit code {res.exit_code} (expected {g.exit_code})")
        sys.stdout.write(res.console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
