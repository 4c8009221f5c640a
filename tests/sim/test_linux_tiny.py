"""Linux (OpenSBI + Linux 6.1 + the initramfs shell) on graphsim: the boot log
matches QEMU's, the prompt is reached on every CPU model and with two harts,
and the checkpoint-at-the-prompt scenario restores exactly and onto another disk."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import cpu_models, plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.graph.dtb import BootInfo, generate_dtb
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits, Trigger
from tests.conftest import CONFIGS, ROOT, need_tool

LINUX = ROOT / "assets" / "linux"
PROMPT = "graphsim:/# "
BOOTARGS = "console=ttyS0"  # configs/linux-tiny.toml
MAX_BOOT = 150_000_000
TIMESTAMP = re.compile(r"^\[ *\d+\.\d+\] ", re.M)
# Lines that differ from QEMU's by design: the machine's name in the device tree, and the
# memory reserved for the device tree itself (QEMU's also describes PCI, flash, fw-cfg and an
# RTC, which graphsim's virt machine does not model).
# graphsim's lists the machine's caches, so Linux's cacheinfo finds them (QEMU's has none).
EXPECTED_DIFFERENCES = ("Platform Name", "Machine model:", "Memory: ", "cacheinfo: Unable to detect cache hierarchy")


def boot(config="linux-tiny.toml", cpu=None, overrides=()) -> Machine:
    extra = list(overrides) + ([f"components.cpu.type=cpu.{cpu}"] if cpu else [])
    machine = Machine(elaborate(load_machine(CONFIGS / config, extra)), console=Console())
    machine.boot()
    stop = machine.run(RunLimits(max_insts=MAX_BOOT), [Trigger("console", re.compile(re.escape(PROMPT)))])
    assert stop.reason == "checkpoint", (stop, machine.console.tail_text())
    return machine


def type_and_run(machine: Machine, text: str, insts: int = 20_000_000) -> str:
    before = machine.console.written
    machine.console.feed(text.encode())
    machine.run(RunLimits(max_insts=machine.instret + insts))
    new = machine.console.written - before
    return bytes(machine.console.tail[-new:]).decode(errors="replace").replace("\r\n", "\n") if new else ""


def qemu_boot_log(sstc: bool = False, dtb=None) -> str:
    spec = importlib.util.spec_from_file_location("graphsim_linux_run_qemu_sim", LINUX / "run_qemu.py")
    run_qemu = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = run_qemu
    spec.loader.exec_module(run_qemu)
    need_tool(run_qemu.QEMU)
    # -icount: QEMU's clock follows its instruction count (1 ns each, like graphsim's 1 GHz hart), so the
    # order of asynchronous kernel work (the initramfs is unpacked in the background) is reproducible.
    command = run_qemu.qemu_command(append=BOOTARGS, icount=True, dtb=dtb)
    if sstc:
        command[command.index(run_qemu.CPU)] = run_qemu.CPU.replace("sstc=off", "sstc=on")
    with run_qemu.Guest(command).start() as guest:
        return guest.wait_prompt(60)


def normalised(log: str) -> list[str]:
    lines = TIMESTAMP.sub("", log.replace("\r\n", "\n")).splitlines()
    return [line for line in lines if not line.startswith(EXPECTED_DIFFERENCES)]


def test_boot_log_matches_qemu():
    ours = boot().console.tail_text(1 << 20)
    ours = ours[:ours.index(PROMPT)]
    assert normalised(ours) == normalised(qemu_boot_log())


def test_sstc_boot_log_matches_qemu(tmp_path):
    """With Sstc (rv64..._sstc) OpenSBI finds stimecmp and lets the kernel program its timer
    directly; QEMU's hart with sstc=on, booted on graphsim's device tree, prints the same log."""
    isa = ["components.cpu.isa=rv64imac_zicsr_zifencei_sstc"]
    machine = boot(overrides=isa)
    ours = machine.console.tail_text(1 << 20)
    ours = ours[:ours.index(PROMPT)]
    assert "Boot HART ISA Extensions  : time,sstc" in ours
    assert "sstc" in machine.graph.components["cpu"].params.isa
    assert "Sstc" in take_checkpoint(machine, Library(str(tmp_path / "lib")),
                                     {"kind": "console", "detail": PROMPT})[1]["compat"]["used"]["cpu"]["extensions"]
    dtb = tmp_path / "graphsim.dtb"
    dtb.write_bytes(generate_dtb(elaborate(load_machine(CONFIGS / "linux-tiny.toml", isa)), BootInfo(BOOTARGS)))
    assert normalised(ours) == normalised(qemu_boot_log(sstc=True, dtb=dtb))


@pytest.mark.parametrize("cpu", cpu_models())
def test_prompt_on_every_cpu_model(cpu):
    machine = boot(cpu=cpu)
    assert "hello from disk A" in type_and_run(machine, "cat /mnt/hello.txt\n")


def test_two_harts_boot():
    machine = boot("linux-tiny-2hart.toml")
    log = machine.console.tail_text(1 << 20)
    assert "smp: Brought up 1 node, 2 CPUs" in log
    assert "bin/" in type_and_run(machine, "ls /\n")


def test_checkpoint_at_the_prompt_round_trip_and_disk_swap(tmp_path):
    machine = boot()
    library = Library(str(tmp_path / "lib"))
    cpt, manifest, _ = take_checkpoint(machine, library, {"kind": "console", "detail": PROMPT})
    assert manifest["compat"]["used"]["cpu"]["extensions"] == ["A", "C", "M"]
    assert manifest["stored_bytes"] < 8 << 20
    # the same machine: identical continuation
    same = plan_restore(library, cpt).build()
    target = machine.instret + 5_000_000
    for m in (machine, same):
        m.console.feed(b"ls /mnt\n")
        m.run(RunLimits(max_insts=target))
    assert machine.digest() == same.digest()
    # another disk, on every CPU model: remount and read the new disk's file
    for cpu in cpu_models():
        plan = plan_restore(library, cpt, cpu=cpu, disks={"disk0": str(LINUX / "disk-b.img")}, allow_warnings=True)
        assert [f.subject for f in plan.findings if f.grade == "warning"] == ["disk0"]
        restored = plan.build()
        out = type_and_run(restored, "umount /mnt\nmount /dev/vda /mnt ext2\ncat /mnt/hello.txt\n")
        assert "hello from disk B" in out, out
