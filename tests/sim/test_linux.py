"""graphsim's Linux system (configs/linux*.toml: OpenSBI, a defconfig Linux 6.1,
busybox + glibc on an ext4 root) on graphsim, compared with QEMU: the boot log
line for line, the prompt on every CPU model and with four harts, the glibc
programs' output, `m5 checkpoint` from the guest restored on every model, the
root filesystem swapped, `m5 readfile`/`writefile`, a kernel panic and
`poweroff`. Each boot is some 10^8 instructions: these tests are marked slow."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import RestoreRefused, cpu_models, plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.graph.dtb import BootInfo, generate_dtb
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import GUEST_PANIC_EXIT, Machine, RunLimits, Trigger
from tests.conftest import CONFIGS, ROOT, need_tool

pytestmark = pytest.mark.slow

SYSTEM = ROOT / "assets" / "linux" / "system"
PROMPT = "graphsim:/# "
MAX_BOOT = 1_500_000_000
TIMESTAMP = re.compile(r"^\[ *\d+\.\d+\] ", re.M)
# Lines that differ from QEMU's by design (assets/linux/system/README.md): QEMU's mstatus.UXL is
# writable (32-bit user mode), graphsim's is fixed at 64. (Both device trees carry an rng-seed, so
# `random: crng init done` comes at the same place.)
EXPECTED_DIFFERENCES = ("Memory: ", "riscv: ELF compat mode")
# The programs whose output must be QEMU's, byte for byte.
# (/proc/cpuinfo: QEMU's MMU is Sv57, graphsim's Sv39; marchid/mimpid carry QEMU's version there, 0 here)
PROGRAMS = ["/hi", "fpbench 300", "cat /hello.txt", "ls /bin | head -5", "grep -v -e mmu -e impid -e archid /proc/cpuinfo"]


def load_run_qemu():
    spec = importlib.util.spec_from_file_location("graphsim_linux_system_run_qemu_sim", SYSTEM / "run_qemu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    need_tool(module.QEMU)
    return module


def build(config="linux.toml", cpu=None, overrides=(), disks=None, bootargs=None) -> Machine:
    extra = list(overrides) + ([f"components.cpu.type=cpu.{cpu}"] if cpu else [])
    machine = Machine(elaborate(load_machine(CONFIGS / config, extra)), disks, console=Console())
    machine.boot(bootargs=bootargs)
    return machine


def boot(config="linux.toml", cpu=None, overrides=(), disks=None) -> Machine:
    machine = build(config, cpu, overrides, disks)
    stop = machine.run(RunLimits(max_insts=MAX_BOOT), [Trigger("console", re.compile(re.escape(PROMPT)))])
    assert stop.reason == "checkpoint", (stop, machine.console.tail_text())
    return machine


def type_and_run(machine: Machine, text: str, insts: int = 300_000_000) -> str:
    """Types ``text`` and runs until the prompt is back (or ``insts`` more instructions)."""
    before = machine.console.written
    machine.console.feed(text.encode())
    prompts = text.count("\n")
    limit = machine.instret + insts
    while machine.instret < limit:
        machine.run(RunLimits(max_insts=min(limit, machine.instret + 5_000_000)))
        new = machine.console.written - before
        out = bytes(machine.console.tail[-new:]).decode(errors="replace") if new else ""
        if out.count(PROMPT) >= prompts:
            break
    return out.replace("\r\n", "\n")


def command_outputs(transcript: str, commands: list[str]) -> list[str]:
    """The output of each command in a console transcript (echo and prompts removed)."""
    outputs = []
    for command in commands:
        start = transcript.index(command + "\n") + len(command) + 1
        end = transcript.index(PROMPT, start)
        outputs.append(transcript[start:end])
        transcript = transcript[end:]
    return outputs


@pytest.fixture(scope="module")
def run_qemu():
    return load_run_qemu()


@pytest.fixture(scope="module")
def graphsim_dtb(tmp_path_factory, run_qemu):
    """graphsim's device tree for configs/linux.toml, for QEMU's -dtb: both boot the same machine."""
    path = tmp_path_factory.mktemp("dtb") / "graphsim.dtb"
    path.write_bytes(generate_dtb(elaborate(load_machine(CONFIGS / "linux.toml")), BootInfo(run_qemu.BOOTARGS)))
    return path


@pytest.fixture(scope="module")
def booted():
    """One atomic boot to the prompt shared by the tests that only read from it (cloned by restore)."""
    return boot()


def qemu_transcript(run_qemu, dtb, commands: list[str]) -> tuple[str, list[str]]:
    with run_qemu.Guest(run_qemu.qemu_command(dtb=dtb, icount=True)).start() as guest:
        log = guest.expect(PROMPT, 180)
        outputs = []
        for command in commands:
            guest.send(command + "\n")
            guest.expect(command + "\n", 120)
            outputs.append(guest.expect(PROMPT, 120))
        assert guest.poweroff(60) == 0
    return log, outputs


def normalised(log: str) -> list[str]:
    lines = TIMESTAMP.sub("", log.replace("\r\n", "\n")).splitlines()
    return [line for line in lines if not line.startswith(EXPECTED_DIFFERENCES)]


def test_boot_log_and_programs_match_qemu(booted, run_qemu, graphsim_dtb, tmp_path):
    qemu_log, qemu_outputs = qemu_transcript(run_qemu, graphsim_dtb, PROGRAMS)
    ours = booted.console.tail_text(1 << 20)
    assert normalised(ours[:ours.index(PROMPT)]) == normalised(qemu_log)
    library = Library(str(tmp_path / "lib"))
    cpt, _, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    machine = plan_restore(library, cpt).build()
    transcript = type_and_run(machine, "".join(c + "\n" for c in PROGRAMS))
    assert command_outputs(transcript, PROGRAMS) == qemu_outputs


@pytest.mark.parametrize("cpu", [m for m in cpu_models() if m != "atomic"])
def test_prompt_on_every_cpu_model(cpu):
    machine = boot(cpu=cpu)
    assert "hello from rootfs A" in type_and_run(machine, "cat /hello.txt\n")


def test_four_harts_boot_checkpoint_and_restore_on_every_model(tmp_path):
    machine = boot("linux-4hart.toml")
    assert "smp: Brought up 1 node, 4 CPUs" in machine.console.tail_text(1 << 20)
    library = Library(str(tmp_path / "lib"))
    cpt, _, _ = take_checkpoint(machine, library, {"kind": "console", "detail": PROMPT})
    for cpu in cpu_models():
        restored = plan_restore(library, cpt, cpu=cpu).build()
        assert type_and_run(restored, "cat /sys/devices/system/cpu/online\n").split("\n")[1] == "0-3"


def test_m5_checkpoint_from_the_guest_restores_exactly_on_every_model(booted, tmp_path):
    """`m5 checkpoint` typed at the prompt: the restored machine, on each CPU model, reaches the
    same state as the machine that took it and switched to that model without saving."""
    library = Library(str(tmp_path / "lib"))
    base, _, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    for cpu in cpu_models():
        original = plan_restore(library, base).build()
        original.console.feed(b"m5 checkpoint; ls /bin | wc -l; fpbench 50\n")
        stop = original.run(RunLimits(max_insts=original.instret + 200_000_000))
        assert (stop.reason, stop.detail) == ("checkpoint", "m5op")
        cpt, manifest, _ = take_checkpoint(original, library, {"kind": "m5op", "detail": ""}, parent=base)
        assert set(manifest["compat"]["used"]["cpu"]["extensions"]) >= {"A", "C", "D", "F", "M"}
        restored = plan_restore(library, cpt, cpu=cpu).build()
        original.switch_cpu(cpu)
        target = original.instret + 30_000_000
        for m in (original, restored):
            m.run(RunLimits(max_insts=target))
        assert original.instret == restored.instret == target
        assert original.digest() == restored.digest(), cpu
        assert "n-body energy after 50 steps" in restored.console.tail_text()


def test_the_guest_files_are_the_reproducible_builds(booted):
    """The recipe pins every date (SOURCE_DATE_EPOCH, KBUILD_BUILD_TIMESTAMP: 2024-01-01): the
    kernel's and busybox's banners show it, not the day they were built."""
    log = booted.console.tail_text(1 << 20)
    assert "#1 SMP 2024-01-01 00:00:00 UTC" in log
    assert "BusyBox v1.35.0 (2024-01-01 00:00:00 UTC) built-in shell (ash)" in log


def test_the_kernels_pause_and_stimecmp_ran_and_are_required(booted, tmp_path):
    """Linux's cpu_relax() executes `pause` (Zihintpause) and, with Sstc in the device tree, its
    timer writes stimecmp: both ran during the boot on graphsim's hart (rv64gc_zihintpause_sstc),
    the checkpoint records them in use, and a restore onto a hart without them is refused by name."""
    assert "Boot HART ISA Extensions  : time,sstc" in booted.console.tail_text(1 << 20)
    library = Library(str(tmp_path / "lib"))
    cpt, manifest, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    assert {"Zihintpause", "Sstc"} <= set(manifest["compat"]["used"]["cpu"]["extensions"])
    with pytest.raises(RestoreRefused) as refused:
        plan_restore(library, cpt, overrides=["components.cpu.isa=rv64gc"])
    assert {f.message for f in refused.value.findings if f.grade == "incompatible"} >= {
        "checkpoint uses extension Zihintpause; target rv64gc lacks it",
        "checkpoint uses extension Sstc; target rv64gc lacks it"}


def test_restore_with_rootfs_b_and_a_job_from_readfile(booted, tmp_path):
    """gem5's pattern: checkpoint, then `m5 readfile` fetches the job -- on restore, the new one.
    The job runs on root filesystem B and copies a file out with `m5 writefile`."""
    library = Library(str(tmp_path / "lib"))
    base, _, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    machine = plan_restore(library, base).build()
    machine.console.feed(b"m5 checkpoint; m5 readfile > /tmp/job; sh /tmp/job\n")
    assert machine.run(RunLimits(max_insts=machine.instret + 200_000_000)).reason == "checkpoint"
    cpt, _, _ = take_checkpoint(machine, library, {"kind": "m5op", "detail": ""})
    job = tmp_path / "job.sh"
    job.write_text("cat /hello.txt\n/hi > /tmp/hi.out\nm5 writefile /tmp/hi.out results/hi.txt\nm5 exit 0\n")
    plan = plan_restore(library, cpt, cpu="timing", disks={"disk0": str(SYSTEM / "rootfs-b.ext4")},
                        allow_warnings=True)
    assert [f.subject for f in plan.findings if f.grade == "warning"] == ["disk0"]
    restored = plan.build()
    restored.script, restored.outdir = str(job), str(tmp_path / "run")
    stop = restored.run(RunLimits(max_insts=restored.instret + 500_000_000))
    assert (stop.reason, stop.exit_code) == ("exit", 0), restored.console.tail_text()
    assert "hello from rootfs B" in restored.console.tail_text()
    written = (tmp_path / "run" / "results" / "hi.txt").read_text()
    assert written.startswith("hi from graphsim's Linux system: 1/3 = 0.33333333333333331")


def test_readfile_without_script_reads_nothing_and_writefile_refuses_escapes(booted, tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt, _, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    machine = plan_restore(library, cpt).build()
    machine.outdir = str(tmp_path / "run")
    out = type_and_run(machine, "m5 readfile | wc -c\nm5 writefile /etc/motd ../escape; echo status $?\n")
    assert "\n0\n" in out and "status 1" in out
    assert not (tmp_path / "escape").exists()


def test_bad_root_panics_with_its_own_status():
    machine = build(bootargs="console=ttyS0 root=/dev/nonexistent ro")
    stop = machine.run(RunLimits(max_insts=MAX_BOOT))
    assert (stop.reason, stop.exit_code) == ("panic", GUEST_PANIC_EXIT)
    assert stop.detail.startswith("Kernel panic - not syncing: VFS: Unable to mount root fs") or \
        "Kernel panic - not syncing: VFS: Unable to mount root fs" in stop.detail.splitlines()[0]


def test_poweroff_ends_the_run_with_status_0(booted, tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt, _, _ = take_checkpoint(booted, library, {"kind": "console", "detail": PROMPT})
    machine = plan_restore(library, cpt).build()
    machine.console.feed(b"poweroff\n")
    stop = machine.run(RunLimits(max_insts=machine.instret + 500_000_000))
    assert (stop.reason, stop.exit_code) == ("exit", 0), (stop, machine.console.tail_text())
