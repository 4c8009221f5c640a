"""Debian's gdb-multiarch against graphsim's GDB stub (graphsim/debug): breakpoints at
symbols, registers, memory, watchpoints, stepping, backtraces, threads, monitor commands,
on every CPU model and both XLENs; a debugged run ends in the same state as a plain one.
Without gdb-multiarch these tests skip, except under CI (CI=true), where they fail."""

from __future__ import annotations

import re
import subprocess

import pytest

from graphsim.sim.boot import read_program
from tests.debug.session import DEMO, GUESTS, TIMEOUT, Graphsim, gdb, plain_run

CPU_MODELS = ["atomic", "timing", "pipelined"]
DEMO_OUTPUT = "gdb_demo sum=320 counter=45 ecalls=1 faults=1\n"


def model(cpu: str) -> list[str]:
    return ["--set", f"components.cpu.type=cpu.{cpu}"]


def symbol(name: str, elf=DEMO) -> int:
    out = subprocess.run(["riscv64-unknown-elf-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(rf"^([0-9a-f]+) \w {name}$", out, re.M).group(1), 16)


@pytest.mark.parametrize("cpu", CPU_MODELS)
def test_break_backtrace_finish_registers_memory(cpu):
    sim = Graphsim(*model(cpu))
    try:
        out = gdb(sim, "break middle", "continue", "bt", "info registers", "info registers priv",
                  "x/8gx $sp", "finish", "p sum", "delete", "continue")
        done = sim.finish()
    finally:
        sim.kill()
    assert re.search(r"Breakpoint 1, middle \(x=0\) at src/gdb_demo.c:\d+", out)
    assert re.search(r"#0  middle \(x=0\) at src/gdb_demo.c:\d+\n"
                     r"#1  0x[0-9a-f]+ in main \(\) at src/gdb_demo.c:\d+", out)
    assert re.search(r"^ra\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>", out, re.M)
    assert re.search(r"^pc\s+0x8000[0-9a-f]{4}\s+0x[0-9a-f]+ <middle\+\d+>", out, re.M)
    assert re.search(r"^priv\s+0x3\s+prv:3 \[Machine\]", out, re.M)
    assert len(re.findall(r"^0x[0-9a-f]+:\s+0x[0-9a-f]{16}\s+0x[0-9a-f]{16}$", out, re.M)) == 4  # x/8gx
    assert re.search(r"in main \(\) at src/gdb_demo.c:\d+\n\d+\s+sum \+= middle\(i\);\n"
                     r"Value returned is \$1 = 5\n", out)  # leaf(0) + leaf(1)
    assert "exited normally" in out
    assert done.returncode == 0 and done.stdout.startswith(DEMO_OUTPUT)


@pytest.mark.parametrize("cpu", CPU_MODELS)
def test_watchpoints_stop_after_the_access_like_qemu(cpu):
    sim = Graphsim(*model(cpu))
    try:
        out = gdb(sim, "watch watched_counter", "continue", "p v", "delete",
                  "rwatch watched_counter", "continue", "p $pc", "delete", "awatch ecalls", "continue", "continue")
        done = sim.finish()
    finally:
        sim.kill()
    # bump(0) stores an unchanged value: GDB's write watchpoint stays silent; bump(1) changes it
    assert re.search(r"Hardware watchpoint 1: watched_counter\n\nOld value = 0\nNew value = 1\n", out)
    assert re.search(r"in bump \(v=1\) at src/gdb_demo.c:\d+", out)
    assert re.search(r"Hardware read watchpoint 2: watched_counter\n\nValue = 1\n", out)
    assert re.search(r"Hardware access \(read/write\) watchpoint 3: ecalls\n\nValue = 0\n", out)  # the handler's load
    assert re.search(r"Hardware access \(read/write\) watchpoint 3: ecalls\n\nOld value = 0\nNew value = 1\n", out)
    assert done.returncode == 0 and done.stdout.startswith(DEMO_OUTPUT)


def test_stepping_over_compressed_instructions_and_traps():
    main, load = symbol("main"), symbol("faulting_load")
    sim = Graphsim()
    try:
        out = gdb(sim, "break *main", "continue", "p/x *(unsigned short *)$pc", "si", "p/x $pc", "si", "p/x $pc",
                  "break faulting_load", "continue", "p/x $pc", "si", "p/x $pc", "p faults", "p/x $mcause",
                  "p/x $mepc", "continue")
        done = sim.finish()
    finally:
        sim.kill()
    values = re.findall(r"^\$\d+ = (\S+)$", out, re.M)
    assert int(values[0], 16) & 3 != 3  # main starts with a compressed instruction
    assert values[1:3] == [hex(main + 2), hex(main + 4)]
    # GDB steps RISC-V by a breakpoint after the instruction, so `si` over a faulting load runs the
    # handler (which skips the load) and stops after it
    assert values[3:8] == [hex(load), hex(load + 4), "1", "0x5", hex(load + 4)]
    assert done.returncode == 0 and done.stdout.startswith(DEMO_OUTPUT)


def test_csrs_fp_registers_and_target_description_follow_the_isa():
    isa = ["--set", "components.cpu.isa=rv64imafdc_zicsr_zifencei"]
    sim = Graphsim(*isa)
    try:
        out = gdb(sim, "info all-registers", "p $ft0", "p/x $fcsr", "set $ft1 = 2.5", "p $ft1.double",
                  "p/x $mhartid", "p/x $misa", "kill")
        sim.finish()
    finally:
        sim.kill()
    for name in ("zero", "ra", "pc", "ft0", "fa0", "ft11", "fflags", "frm", "fcsr", "mstatus", "misa", "mtvec",
                 "satp", "sepc", "mcycle", "minstret", "pmpaddr0", "priv"):
        assert re.search(rf"^{name}\s", out, re.M), name
    assert "$3 = 2.5" in out
    assert "$5 = 0x800000000014112d" in out  # RV64 I M A F D C S U
    plain = Graphsim()
    try:
        out = gdb(plain, "info all-registers", "kill")
        plain.finish()
    finally:
        plain.kill()
    assert not re.search(r"^ft0\s", out, re.M) and not re.search(r"^fcsr\s", out, re.M)
    assert re.search(r"^mstatus\s", out, re.M)


def test_rv32():
    elf = GUESTS / "rv32_hello.elf"
    sim = Graphsim(config="virt-rv32.toml", kernel=elf)
    try:
        out = gdb(sim, "break main", "continue", "p/x $pc", "p sizeof(void *)", "x/4wx $sp", "si", "p/x $misa",
                  "continue", elf=elf)
        done = sim.finish()
    finally:
        sim.kill()
    assert "Breakpoint 1, " in out and "main" in out
    assert re.search(r"^\$1 = 0x8[0-9a-f]{7}$", out, re.M)
    assert "$2 = 4" in out
    assert len(re.findall(r"^0x[0-9a-f]{8}[^:]*:\s+(0x[0-9a-f]{8}\s*){4}$", out, re.M)) == 1
    assert "$3 = 0x40141105" in out  # RV32 I M A C S U
    assert done.returncode == 0 and "exited normally" in out


def test_harts_are_threads():
    elf = GUESTS / "smp.elf"
    sim = Graphsim(config="virt-rv64-4hart.toml", kernel=elf)
    try:
        out = gdb(sim, "info threads", "break secondary_main", "continue", "info threads", "p/x $mhartid",
                  "thread 1", "p/x $mhartid", "thread 3", "p/x $mhartid", "delete", "continue", elf=elf)
        done = sim.finish()
    finally:
        sim.kill()
    assert len(re.findall(r"Thread \d+ \(hart \d \(cpu\d?, M-mode\)\)", out.split("Breakpoint 1 at")[0])) == 4
    hit = re.search(r"Thread (\d+) .*hit Breakpoint 1, (0x[0-9a-f]+ in )?secondary_main", out)
    assert hit, out
    values = re.findall(r"^\$\d+ = (\S+)$", out, re.M)
    assert values == [hex(int(hit.group(1)) - 1), "0x0", "0x2"]
    assert "[Switching to thread 3 (Thread 3)]" in out
    assert done.returncode == 0 and "exited normally" in out


def test_monitor_commands_and_checkpoint_equal_to_checkpoint_at_inst(tmp_path):
    library = tmp_path / "lib"
    sim = Graphsim("--library", str(library), "--outdir", str(tmp_path / "a"))
    try:
        out = gdb(sim, "break bump", "continue", "continue", "continue", "monitor icount", "monitor phys 0x80000000 16",
                  "monitor stats", "monitor checkpoint from-gdb", "monitor nonsense", "continue")
        done = sim.finish()
    finally:
        sim.kill()
    icount = int(re.search(r"^icount (\d+) \(cpu [\d,]+\); tick \d+$", out, re.M).group(1))
    text = next(i.data for i in read_program(str(DEMO), 0).images if i.address == 0x8000_0000)[:16]
    assert f"0x80000000: {text.hex(' ')}" in out
    assert re.search(r"^simTicks\s+\d+", out, re.M)
    assert re.search(rf"^checkpoint \S+ at {icount:,} insts", out, re.M)
    assert "unknown monitor command 'nonsense'" in out
    assert done.returncode == 0
    plain = plain_run("--library", str(library), "--checkpoint-at-inst", str(icount), "--name", "at-inst",
                      "--outdir", str(tmp_path / "b"))
    assert plain.returncode == 0
    digests = []
    for name in ("from-gdb", "at-inst"):
        restored = subprocess.run(
            [*Graphsim.python_cli(), "restore", name, "--library", str(library), "--max-insts", str(icount),
             "--digest", "--quiet", "--outdir", str(tmp_path / name)], capture_output=True, text=True, timeout=TIMEOUT)
        assert restored.returncode == 0, restored.stderr
        digests.append(re.search(r"^digest (\w+)$", restored.stdout, re.M).group(1))
    assert digests[0] == digests[1]
    restored = Graphsim("from-gdb", "--library", str(library), "--outdir", str(tmp_path / "c"), command="restore")
    try:
        out = gdb(restored, "info symbol $pc", "monitor icount", "continue")
        done = restored.finish()
    finally:
        restored.kill()
    assert re.search(r"^bump \+ \d+ in section \.text", out, re.M)  # where the checkpoint was taken
    assert f"icount {icount} " in out and "exited normally" in out
    assert done.returncode == 0


@pytest.mark.parametrize("cpu", ["atomic", "pipelined"])
def test_a_debugged_run_ends_in_the_same_state_as_a_plain_one(cpu):
    limit = ["--max-insts", "4000"]
    sim = Graphsim(*model(cpu), *limit)
    try:
        gdb(sim, "break leaf", "continue", "continue", "si", "si", "delete", "watch watched_counter", "continue",
            "continue", "p watched_counter", "delete", "break do_traps", "continue", "monitor icount", "x/16gx $sp",
            "info all-registers", "continue")
        debugged = sim.finish()
    finally:
        sim.kill()
    plain = plain_run(*model(cpu), *limit)
    assert debugged.returncode == 0 and plain.returncode == 0
    assert "reached --max-insts after 4,000 insts" in debugged.stderr
    assert debugged.digest() == plain.digest()
