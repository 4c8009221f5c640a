#!/usr/bin/env python3
"""Boot graphsim's Linux guest on QEMU, the oracle, and drive its shell.

The same four files graphsim boots (fw_jump.bin, Image, initramfs.cpio and a
disk image) are booted on ``qemu-system-riscv64 -machine virt``. The script
waits for the shell prompt, types each command, collects its output and ends
with ``poweroff``. It is both a command-line tool and a small library (the
tests in tests/linux_oracle import it).

    python3 run_qemu.py                          # boot disk A, run a few commands
    python3 run_qemu.py --disk b -c 'cat /mnt/hello.txt'
    python3 run_qemu.py --smp 2 --log boot.log   # save the whole console log
    python3 run_qemu.py --interactive            # your terminal is the console
    python3 run_qemu.py --dump-dts qemu-virt.dts # QEMU's device tree for this guest
    python3 run_qemu.py --count-insns            # instructions to the prompt (slow)

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
QEMU = "qemu-system-riscv64"
PROMPT = "graphsim:/# "

# The hart QEMU should model so that it matches graphsim: RV64IMAC (F, D and
# H off), no Sstc (the kernel then programs its timer through SBI, as on
# graphsim), no Zihintpause and no Zb*: the device tree's riscv,isa is then
# "rv64imac_zicsr_zifencei". QEMU 7.2 cannot restrict the MMU to Sv39:
# Linux 6.1 probes and uses Sv57 there, Sv39 on graphsim (see README.md).
CPU = "rv64,f=off,d=off,h=off,sstc=off,Zihintpause=off,zba=off,zbb=off,zbc=off,zbs=off"

# Kernel command line. `quiet` keeps the console log (and the instructions
# spent printing it) short; no lpj= is needed because RISC-V Linux derives
# loops_per_jiffy from the timebase instead of calibrating a delay loop.
BOOTARGS = "console=ttyS0 quiet"


def disk_path(disk: str) -> Path:
    """'a'/'b' name the committed images; anything else is a path."""
    if disk in ("a", "b"):
        return HERE / f"disk-{disk}.img"
    return Path(disk)


def qemu_command(
    *,
    smp: int = 1,
    disk: str | None = "a",
    append: str = BOOTARGS,
    memory: str = "128M",
    icount: bool = False,
    dtb: Path | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The reference QEMU command line for this guest.

    icount=True ties the guest clock to the instruction count (1 ns per
    instruction, idle time skipped), which makes printk timestamps
    reproducible (up to the timing of disk I/O, which QEMU completes
    asynchronously) and comparable with graphsim's. One hart only in
    practice: see count_insns(). dtb replaces QEMU's own
    device tree (QEMU still adds bootargs and the initrd range to /chosen).
    """
    cmd = [
        QEMU,
        "-machine", "virt",
        "-cpu", CPU,
        "-m", memory,
        "-smp", str(smp),
        "-bios", str(HERE / "fw_jump.bin"),
        "-kernel", str(HERE / "Image"),
        "-initrd", str(HERE / "initramfs.cpio"),
        "-append", append,
        # virtio 1.0 (modern) MMIO transport, as graphsim implements it.
        "-global", "virtio-mmio.force-legacy=false",
    ]
    if disk is not None:
        cmd += [
            # snapshot=on: the image file is never written.
            "-drive", f"file={disk_path(disk)},if=none,format=raw,id=d0,snapshot=on",
            # QEMU hands out the virtio-mmio slots from the top: the disk is
            # in slot 7 (0x10008000, PLIC source 8), and so it is in
            # graphsim's configs/linux-tiny.toml.
            "-device", "virtio-blk-device,drive=d0",
        ]
    if dtb is not None:
        cmd += ["-dtb", str(dtb)]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    # -no-reboot: a guest panic/reboot ends QEMU instead of looping.
    cmd += ["-nographic", "-no-reboot"]
    return cmd + (extra or [])


class GuestError(RuntimeError):
    """The guest did not do what was expected; the message holds the log tail."""


@dataclass
class Guest:
    """A running QEMU guest whose console is this object's pipes."""

    cmd: list[str]
    proc: subprocess.Popen | None = None
    log: str = ""  # everything the console printed, '\r\n' turned into '\n'
    _pos: int = 0  # how far expect() has consumed `log`
    _raw: bytearray = field(default_factory=bytearray)

    def start(self) -> "Guest":
        if shutil.which(self.cmd[0]) is None:
            raise FileNotFoundError(f"{self.cmd[0]} not found (apt-get install qemu-system-misc)")
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that close() can end QEMU's whole group
        )
        return self

    def __enter__(self) -> "Guest":
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _pump(self, timeout: float) -> bool:
        """Reads what QEMU printed within `timeout` s; False at end of output."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not ready:
            return True
        data = os.read(fd, 65536)
        if not data:
            return False
        self._raw += data
        self.log = self._raw.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str, timeout: float) -> str:
        """Waits for `pattern` (a plain string) in new output; returns the text
        before it and consumes both."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.log.find(pattern, self._pos)
            if i >= 0:
                before = self.log[self._pos:i]
                self._pos = i + len(pattern)
                return before
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"timeout after {timeout:.0f} s waiting for {pattern!r}\n{self.tail()}")
            if not self._pump(min(left, 0.5)):
                raise GuestError(f"QEMU exited (status {self.proc.poll()}) while waiting for {pattern!r}\n{self.tail()}")

    def send(self, text: str) -> None:
        assert self.proc and self.proc.stdin
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_prompt(self, timeout: float = 30) -> str:
        """Waits for the shell prompt; returns the console output before it."""
        return self.expect(PROMPT, timeout)

    def run(self, command: str, timeout: float = 10) -> str:
        """Types `command` at the prompt (which must have been consumed) and
        returns its output, without the echoed command line."""
        self.send(command + "\n")
        self.expect(command + "\n", timeout)  # the tty's echo
        return self.wait_prompt(timeout)

    def poweroff(self, timeout: float = 10) -> int:
        """Runs `poweroff` and returns QEMU's exit status."""
        self.send("poweroff\n")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"QEMU still running {timeout:.0f} s after poweroff\n{self.tail()}")
            if not self._pump(min(left, 0.2)):
                self.proc.wait(timeout=max(left, 0.1))
        while self._pump(0):  # drain the last output
            pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (OSError, BrokenPipeError):
                pass

    def tail(self, n: int = 40) -> str:
        return "--- console (last lines) ---\n" + "\n".join(self.log.splitlines()[-n:])


def compile_dts(dts: Path, out_dir: Path) -> Path:
    """dtc-compiles a .dts into out_dir; a .dtb is returned as it is."""
    if dts.suffix != ".dts":
        return dts
    dtb = Path(out_dir) / (dts.stem + ".dtb")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb), str(dts)], check=True)
    return dtb


def dump_dts(path: Path, smp: int = 1) -> None:
    """Writes QEMU's device tree for exactly this guest's command line, as dts."""
    with tempfile.TemporaryDirectory() as tmp:
        dtb = Path(tmp) / "virt.dtb"
        cmd = qemu_command(smp=smp)
        cmd[cmd.index("virt")] = f"virt,dumpdtb={dtb}"
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dtb)],
                             check=True, capture_output=True, text=True).stdout
    # QEMU puts fresh random bytes here on every run; keep the file stable.
    dts = re.sub(r"\trng-seed = <[^>]*>;", "\t// rng-seed = <8 cells>; (random, different on every run)", dts)
    header = (
        "// QEMU 7.2 `virt` device tree for graphsim's Linux guest, dumped with\n"
        "// `run_qemu.py --dump-dts` (machine virt,dumpdtb=...) from:\n"
        f"//   {' '.join(qemu_command(smp=smp)).replace(str(HERE) + '/', '')}\n"
        "// A reference for graphsim's own DTB generator, not loaded by anything.\n"
    )
    path.write_text(header + dts)


def count_insns(smp: int, append: str, timeout: float, dtb: Path | None = None) -> dict:
    """Counts the instructions QEMU executes up to the shell prompt.

    QEMU runs one instruction per translation block (-singlestep) and logs
    every block it executes (-d exec,nochain); the count stops at the first
    entry into the init's shell_read_line(), just after the prompt has been
    written. Phases are split by pc: QEMU's reset ROM (below 0x80000000, before
    the firmware), OpenSBI (0x80000000-0x8007ffff, the PMP-protected firmware
    region) and everything else (kernel and user space). It runs at a few
    MIPS: about a minute for one boot.

    One hart only: with -icount, QEMU 7.2 runs the harts round-robin and
    lets one spin in OpenSBI (waiting for another hart to acknowledge a
    remote fence) for a whole time slice of up to 2^31 instructions, so an
    SMP boot effectively hangs; without -icount the slow tracing inflates
    the timer interrupts instead.
    """
    if smp != 1:
        raise ValueError("count_insns: only -smp 1 gives a meaningful count (see its docstring)")
    marker_pat = f"/{init_symbol('shell_read_line'):016x}/".encode()
    kernel_entry = b"/0000000080200000/"

    with tempfile.TemporaryDirectory() as tmp:
        fifo = Path(tmp) / "trace"
        os.mkfifo(fifo)
        # -icount: the guest clock follows the instruction count (1 ns per
        # instruction, so the 10 MHz timebase ticks every 100 instructions)
        # instead of host time, which the slow tracing would inflate into
        # thousands of extra timer interrupts. sleep=off: idle time is skipped.
        cmd = qemu_command(smp=smp, append=append, icount=True, dtb=dtb,
                           extra=["-singlestep", "-d", "exec,nochain", "-D", str(fifo)])
        cmd[cmd.index("-nographic")] = "-display"
        cmd.insert(cmd.index("-display") + 1, "none")
        proc = subprocess.Popen(cmd + ["-serial", "null", "-monitor", "none"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                start_new_session=True)
        counts = {"rom": 0, "opensbi_boot": 0, "opensbi_runtime": 0, "kernel": 0, "user": 0}
        per_hart: dict[str, int] = {}
        in_kernel = False
        done = False
        t0 = time.monotonic()
        try:
            with open(fifo, "rb") as f:
                carry = b""
                while not done:
                    if time.monotonic() - t0 > timeout:
                        raise TimeoutError("no prompt within the time limit")
                    chunk = f.read(1 << 22)
                    if not chunk:
                        raise RuntimeError("QEMU ended before the prompt")
                    chunk = carry + chunk
                    cut = chunk.rfind(b"\n") + 1
                    chunk, carry = chunk[:cut], chunk[cut:]
                    stop = chunk.find(marker_pat)
                    if stop >= 0:  # keep lines before the one reaching the marker
                        chunk = chunk[:chunk.rfind(b"\n", 0, stop) + 1]
                        done = True
                    if not in_kernel and (k := chunk.find(kernel_entry)) >= 0:
                        _classify(chunk[:chunk.rfind(b"\n", 0, k) + 1], counts, per_hart, False)
                        chunk = chunk[chunk.rfind(b"\n", 0, k) + 1:]
                        in_kernel = True
                    _classify(chunk, counts, per_hart, in_kernel)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    counts["total_from_0x80000000"] = sum(v for k, v in counts.items() if k != "rom")
    counts["per_hart"] = per_hart
    counts["seconds"] = round(time.monotonic() - t0, 1)
    return counts


# Patterns over QEMU's exec log. In a "Trace" line the pc is the only field
# of exactly 16 hex digits between slashes.
_TRACE_HART_RE = re.compile(rb"^Trace (\d+):", re.M)
_PC_OPENSBI_RE = re.compile(rb"/00000000800[0-7][0-9a-f]{4}/")  # 0x80000000-0x8007ffff
_PC_LOW_RE = re.compile(rb"/00000000[0-7][0-9a-f]{7}/")  # below 0x80000000
_STOPPED_RE = re.compile(rb"^Stopped execution of TB chain before \S+ \[([0-9a-f]{16})\]", re.M)


def _classify(chunk: bytes, counts: dict, per_hart: dict, in_kernel: bool) -> None:
    """Adds the instructions logged in `chunk` (whole lines) to the counts;
    regexes rather than a Python loop per line keep up with QEMU."""
    for hart in _TRACE_HART_RE.findall(chunk):
        per_hart[hart.decode()] = per_hart.get(hart.decode(), 0) + 1
    total = len(_TRACE_HART_RE.findall(chunk))
    opensbi = len(_PC_OPENSBI_RE.findall(chunk))
    low = len(_PC_LOW_RE.findall(chunk))
    # QEMU logs a block before running it; when it then does not run it (an
    # icount budget or an exit request stops it at its start) it says so,
    # rarely: those blocks must not count.
    for m in _STOPPED_RE.finditer(chunk):
        pc = int(m.group(1), 16)
        total -= 1
        opensbi -= 0x80000000 <= pc < 0x80080000
        low -= pc < 0x80000000
        hart = _TRACE_HART_RE.search(chunk, chunk.rfind(b"\nTrace ", 0, m.start()) + 1)
        key = hart.group(1).decode() if hart else "0"
        per_hart[key] = per_hart.get(key, 0) - 1
    counts["user" if in_kernel else "rom"] += low
    counts["opensbi_runtime" if in_kernel else "opensbi_boot"] += opensbi
    counts["kernel"] += total - opensbi - low


def cpio_file(archive: Path, name: str) -> bytes:
    """The contents of `name` in a newc ("070701") cpio archive."""
    data = archive.read_bytes()
    pos = 0
    while data[pos:pos + 6] == b"070701":
        fields = [int(data[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = fields[6], fields[11]
        start = pos + 110
        entry = data[start:start + namesize - 1].decode()
        body = (start + namesize + 3) & ~3
        if entry == "TRAILER!!!":
            break
        if entry == name:
            return data[body:body + size]
        pos = (body + size + 3) & ~3
    raise FileNotFoundError(f"{name} not in {archive}")


def init_symbol(symbol: str) -> int:
    """Address of a global symbol of the committed initramfs's /init."""
    with tempfile.TemporaryDirectory() as tmp:
        init = Path(tmp) / "init"
        init.write_bytes(cpio_file(HERE / "initramfs.cpio", "init"))
        nm = subprocess.run(["riscv64-linux-gnu-nm", str(init)], check=True,
                            capture_output=True, text=True).stdout
    m = re.search(rf"^([0-9a-f]+) T {symbol}$", nm, re.M)
    if not m:
        raise LookupError(f"/init in initramfs.cpio has no symbol {symbol}")
    return int(m.group(1), 16)


def add_common_arguments(ap: argparse.ArgumentParser, *, append: str, timeout: float) -> None:
    """The options this driver shares with system/run_qemu.py."""
    ap.add_argument("--smp", type=int, default=1, help="number of harts (default 1)")
    ap.add_argument("--append", default=append, help=f"kernel command line (default {append!r})")
    ap.add_argument("-c", "--command", action="append", dest="commands",
                    help="shell command to run (repeatable; default: a short demo)")
    ap.add_argument("--log", type=Path, help="write the whole console log here")
    ap.add_argument("--dtb", type=Path, metavar="FILE",
                    help="boot with this device tree (.dts or .dtb) instead of QEMU's")
    ap.add_argument("--icount", action="store_true",
                    help="guest clock = instruction count (deterministic timestamps)")
    ap.add_argument("--timeout", type=float, default=timeout, help="seconds for boot and for each command")
    ap.add_argument("--interactive", action="store_true", help="exec QEMU on this terminal")
    ap.add_argument("--print-command", action="store_true", help="print the QEMU command line and exit")


def run_session(cmd: list[str], commands: list[str], *, prompt: str, timeout: float, log: Path | None) -> int:
    """Boots `cmd` to `prompt`, types each command, powers off; prints the console
    log (and the time to the prompt on stderr) and returns QEMU's exit status."""
    t0 = time.monotonic()
    with Guest(cmd) as guest:
        try:
            guest.expect(prompt, timeout)
            t_prompt = time.monotonic() - t0
            for c in commands:
                guest.send(c + "\n")
                guest.expect(c + "\n", timeout)  # the tty's echo
                guest.expect(prompt, timeout)
            status = guest.poweroff(timeout)
        finally:
            if log:
                log.write_text(guest.log)
    sys.stdout.write(guest.log)
    print(f"\n[run_qemu] prompt after {t_prompt:.2f} s wall; QEMU exit status {status}", file=sys.stderr)
    return status


DEFAULT_COMMANDS = ["cat /mnt/etc/motd", "cat /mnt/hello.txt", "ls /", "ls /mnt", "m5 checkpoint"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--disk", default="a", help="a, b (the committed images) or a path (default a)")
    add_common_arguments(ap, append=BOOTARGS, timeout=60)
    ap.add_argument("--dump-dts", type=Path, metavar="FILE", help="write QEMU's device tree and exit")
    ap.add_argument("--count-insns", action="store_true", help="count instructions to the prompt and exit")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    dtb = compile_dts(args.dtb, Path(tmp.name)) if args.dtb else None
    cmd = qemu_command(smp=args.smp, disk=args.disk, append=args.append, icount=args.icount, dtb=dtb)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if args.interactive:
        os.execvp(cmd[0], cmd)
    if args.dump_dts:
        dump_dts(args.dump_dts, smp=args.smp)
        return 0
    if args.count_insns:
        if args.smp != 1:
            print("run_qemu: --count-insns needs --smp 1 (see count_insns())", file=sys.stderr)
            return 2
        for key, value in count_insns(args.smp, args.append, timeout=max(args.timeout, 600), dtb=dtb).items():
            print(f"{key}: {value}")
        return 0
    return run_session(cmd, args.commands or DEFAULT_COMMANDS, prompt=PROMPT, timeout=args.timeout, log=args.log)


if __name__ == "__main__":
    sys.exit(main())
