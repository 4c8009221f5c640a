"""Sstc on RV32 (rv32..._sstc): stimecmp/stimecmph, menvcfgh.STCE and S-mode timer interrupts
(tests/cpu/programs/sstc32.S), against QEMU 7.2's virt hart with sstc=on; a checkpoint taken
while the compare is armed restores to the same run, and records Sstc as required."""

import subprocess

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import RestoreRefused, plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, Trigger
from tests.conftest import CONFIGS, need_tool
from tests.guests import run_to_end

from .asm import run_elf
from .test_programs import HERE, build, needs_gcc

ISA = "rv32imac_zicsr_zifencei_sstc"
EXPECTED = HERE / "expected" / "sstc32.out"  # QEMU 7.2's output (test_against_live_qemu)


@needs_gcc
def test_sstc32_program(tmp_path):
    r = run_elf(build("sstc32", 32, tmp_path), xlen=32, isa=ISA, ram_size=16 << 20, max_insts=5_000_000)
    assert r.exit_code == 0
    assert bytes(r.out).replace(b"\r", b"").decode() == EXPECTED.read_text()


@needs_gcc
def test_sstc32_against_live_qemu(tmp_path):
    need_tool("qemu-system-riscv32")
    elf = build("sstc32", 32, tmp_path)
    p = subprocess.run(["qemu-system-riscv32", "-machine", "virt", "-cpu",
                        "rv32,f=off,d=off,h=off,sstc=on,Zihintpause=off,zba=off,zbb=off,zbc=off,zbs=off",
                        "-m", "128M", "-bios", "none", "-nographic", "-kernel", str(elf)],
                       capture_output=True, timeout=60)
    assert p.stdout.replace(b"\r", b"").decode() == EXPECTED.read_text()


def test_rv32_sstc_is_in_the_device_tree_isa_string():
    graph = elaborate(load_machine(CONFIGS / "virt-rv32.toml", [f"components.cpu.isa={ISA}"]))
    assert Machine(graph, {}, Console()).graph.components["cpu"].params.isa == ISA
    from graphsim.graph.dtb import BootInfo, generate_dtb

    assert b"rv32imac_zicsr_zifencei_sstc" in generate_dtb(graph, BootInfo())


def sstc32_machine(tmp_path, isa=ISA) -> Machine:
    graph = elaborate(load_machine(CONFIGS / "virt-rv32.toml", [f"components.cpu.isa={isa}"]))
    machine = Machine(graph, {}, Console())
    machine.boot(kernel=str(build("sstc32", 32, tmp_path)))
    return machine


@needs_gcc
def test_sstc32_checkpoint_round_trip_and_compat(tmp_path):
    straight = run_to_end(sstc32_machine(tmp_path))
    assert straight.stop.reason == "exit" and straight.stop.exit_code == 0
    assert straight.console == EXPECTED.read_text()
    library = Library(str(tmp_path / "lib"))
    first = sstc32_machine(tmp_path)
    at = straight.machine.instret * 3 // 4  # in the wait for the second interrupt: stimecmp armed
    taken = []
    run_to_end(first, max_insts=at, triggers=[Trigger("inst", at)],
               on_checkpoint=lambda m, stop: taken.append(take_checkpoint(m, library, {"kind": "test"})[0]))
    cpt = taken[-1]
    assert "Sstc" in library.manifest(cpt)["compat"]["used"]["cpu"]["extensions"]
    before = first.console.tail_text(1 << 20)
    restored = plan_restore(library, cpt).build()
    after = run_to_end(restored)
    assert after.stop.exit_code == 0
    assert (before + after.console).replace("\r\n", "\n") == straight.console
    assert restored.digest() == straight.machine.digest()
    with pytest.raises(RestoreRefused) as refused:
        plan_restore(library, cpt, overrides=["components.cpu.isa=rv32imac_zicsr_zifencei"])
    assert "checkpoint uses extension Sstc; target rv32imac_zicsr_zifencei lacks it" in \
        {f.message for f in refused.value.findings if f.grade == "incompatible"}
