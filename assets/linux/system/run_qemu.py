#!/usr/bin/env python3
"""Boot graphsim's Linux system (defconfig kernel, busybox + glibc on an ext4
root) on QEMU, the oracle, and drive its shell.

The files graphsim boots for configs/linux.toml (OpenSBI's ../fw_jump.bin, the
Image and a root filesystem image on virtio-blk) are booted on
``qemu-system-riscv64 -machine virt``; the script waits for the busybox
prompt, types each command, collects its output and ends with ``poweroff``.
It is also a small library for tests/linux_oracle (the console driving is the
tiny guest's, ../run_qemu.py).

    python3 run_qemu.py                          # boot rootfs A, run a few commands
    python3 run_qemu.py --rootfs b -c 'cat /hello.txt'
    python3 run_qemu.py --smp 4 --log boot.log
    python3 run_qemu.py --dtb graphsim.dtb       # graphsim's device tree (graphsim dtb configs/linux.toml)
    python3 run_qemu.py --interactive            # your terminal is the console (Ctrl-A x quits)

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import importlib.util
import lzma
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
QEMU = "qemu-system-riscv64"
PROMPT = "graphsim:/# "
BOOTARGS = "console=ttyS0 root=/dev/vda ro"

# QEMU's hart, made like the one of configs/linux.toml (rv64gc_zihintpause_sstc):
# no H, no Zb* (OpenSBI probes the hart: a difference would show in its banner).
CPU_BASE = "rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off"


def _tiny_runner():
    spec = importlib.util.spec_from_file_location("graphsim_tiny_run_qemu", HERE.parent / "run_qemu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_tiny = _tiny_runner()
Guest, GuestError, compile_dts = _tiny.Guest, _tiny.GuestError, _tiny.compile_dts
add_common_arguments, run_session = _tiny.add_common_arguments, _tiny.run_session


def unpacked(path: Path) -> Path:
    """``path``, unpacked from ``path.xz`` first if it is missing or older than the ``.xz`` (as
    graphsim/sim/packed.py does)."""
    xz = path.with_name(path.name + ".xz")
    if xz.exists() and (not path.exists() or path.stat().st_mtime < xz.stat().st_mtime):
        print(f"[run_qemu] unpacking {xz.name}", file=sys.stderr)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        with lzma.open(xz) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, path)
    return path


def rootfs_path(rootfs: str) -> Path:
    """'a'/'b' name the committed images; anything else is a path."""
    if rootfs in ("a", "b"):
        return unpacked(HERE / f"rootfs-{rootfs}.ext4")
    return Path(rootfs)


def cpu_option(sstc: bool = False, zihintpause: bool = False) -> str:
    return f"{CPU_BASE},sstc={'on' if sstc else 'off'},Zihintpause={'on' if zihintpause else 'off'}"


def qemu_command(*, smp: int = 1, rootfs: str | None = "a", append: str = BOOTARGS, memory: str = "256M",
                 icount: bool = False, dtb: Path | None = None, sstc: bool = True, zihintpause: bool = True,
                 extra: list[str] | None = None) -> list[str]:
    """The reference QEMU command line for this system (see ../run_qemu.py for icount and dtb)."""
    cmd = [
        QEMU, "-machine", "virt", "-cpu", cpu_option(sstc, zihintpause), "-m", memory, "-smp", str(smp),
        "-bios", str(HERE.parent / "fw_jump.bin"), "-kernel", str(unpacked(HERE / "Image")), "-append", append,
        "-global", "virtio-mmio.force-legacy=false",
    ]
    if rootfs is not None:
        # snapshot=on: the image is never written; the disk lands in virtio slot 7 (0x10008000, IRQ 8).
        cmd += ["-drive", f"file={rootfs_path(rootfs)},if=none,format=raw,id=d0,snapshot=on",
                "-device", "virtio-blk-device,drive=d0"]
    if dtb is not None:
        cmd += ["-dtb", str(dtb)]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    cmd += ["-nographic", "-no-reboot"]
    return cmd + (extra or [])


DEFAULT_COMMANDS = ["cat /hello.txt", "/hi", "fpbench 2000", "uname -a", "m5 checkpoint"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rootfs", default="a", help="a, b (the committed images) or a path (default a)")
    add_common_arguments(ap, append=BOOTARGS, timeout=120)
    ap.add_argument("--no-sstc", dest="sstc", action="store_false", help="no Sstc (configs/linux.toml has it)")
    ap.add_argument("--no-zihintpause", dest="zihintpause", action="store_false",
                    help="no Zihintpause (configs/linux.toml has it)")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    dtb = compile_dts(args.dtb, Path(tmp.name)) if args.dtb else None
    cmd = qemu_command(smp=args.smp, rootfs=args.rootfs, append=args.append, icount=args.icount, dtb=dtb,
                       sstc=args.sstc, zihintpause=args.zihintpause)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if args.interactive:
        os.execvp(cmd[0], cmd)
    return run_session(cmd, args.commands or DEFAULT_COMMANDS, prompt=PROMPT, timeout=args.timeout, log=args.log)


if __name__ == "__main__":
    sys.exit(main())
