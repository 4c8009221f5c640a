"""The compatibility diff: a pure function of two records, graded as documented."""

import pytest

from graphsim.checkpoint.compat import (INCOMPATIBLE, WARNING, diff, exit_code, isa_letters, machine_record,
                                        verdict)
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS

USED_A = {"cpu": {"extensions": ["A", "C", "M"], "modes": ["S", "U"], "paging_modes": ["sv39"]}}
USED_NONE = {"cpu": {"extensions": [], "modes": [], "paging_modes": []}}
DISK = {"disk0": {"size": 4 << 20, "sha256": "a" * 64, "path": "a.img"}}


def record(config="virt-rv64.toml", overrides=(), used=None, disks=None):
    return machine_record(elaborate(load_machine(CONFIGS / config, list(overrides))), used, disks)


def grades(findings):
    return {(f.grade, f.subject) for f in findings}


def test_identical_machine_is_restorable():
    findings = diff(record(used=USED_A), record())
    assert verdict(findings) == "same" and exit_code(findings) == 0


def test_timing_only_changes():
    findings = diff(record(used=USED_A), record("virt-rv64-nocache.toml"))
    assert verdict(findings) == "changed"
    assert any("caches" == f.subject and "l1d" in f.message for f in findings)
    findings = diff(record(used=USED_A), record(overrides=["components.cpu.frequency=2GHz"]))
    assert any("frequency 1GHz → 2GHz" in f.message for f in findings) and exit_code(findings) == 0


def test_used_extension_missing_is_incompatible():
    target = record(overrides=["components.cpu.isa=rv64imc_zicsr_zifencei"])
    findings = diff(record(used=USED_A), target)
    assert any(f.grade == INCOMPATIBLE and f.message ==
               "checkpoint uses extension A; target rv64imc_zicsr_zifencei lacks it" for f in findings)
    assert exit_code(findings) == 2
    # enabled but never used: only a change
    findings = diff(record(used=USED_NONE), target)
    assert exit_code(findings) == 0
    assert any("extension A enabled in the checkpoint but never used" in f.message for f in findings)
    # ... which `exact` refuses and `none` lets through with a warning when used
    assert exit_code(diff(record(used=USED_NONE), target, "exact")) == 2
    assert exit_code(diff(record(used=USED_A), target, "none")) == 1


def test_other_xlen_harts_and_memory():
    findings = diff(record(used=USED_A), record("virt-rv32.toml"))
    assert (INCOMPATIBLE, "xlen") in grades(findings)
    findings = diff(record(used=USED_A), record("virt-rv64-4hart.toml"))
    assert (INCOMPATIBLE, "cpu") in grades(findings) and (INCOMPATIBLE, "cpu0") in grades(findings)
    assert exit_code(diff(record(used=USED_A), record(overrides=["components.ram.size=64MiB"]))) == 2
    bigger = diff(record(used=USED_A), record(overrides=["components.ram.size=256MiB"]))
    assert (WARNING, "ram") in grades(bigger) and exit_code(bigger) == 1 and exit_code(bigger, True) == 0


def test_devices_and_timebase():
    moved = diff(record(used=USED_A), record(overrides=["components.uart0.irq=11"]))
    assert any(f.grade == INCOMPATIBLE and f.subject == "uart0" and "irq 10 → 11" in f.message for f in moved)
    slower = diff(record(used=USED_A), record(overrides=["components.clint.timebase_frequency=1MHz"]))
    assert (WARNING, "timebase") in grades(slower)
    gone = diff(record(used=USED_A), record(overrides=["components.simctl.remove=true"]))
    assert (INCOMPATIBLE, "simctl") in grades(gone)


def test_disks():
    source = record("linux-tiny.toml", used=USED_A, disks=DISK)
    same = diff(source, record("linux-tiny.toml", disks=DISK))
    assert exit_code(same) == 0
    other = {"disk0": {"size": 4 << 20, "sha256": "b" * 64, "path": "b.img"}}
    swapped = diff(source, record("linux-tiny.toml", disks=other))
    assert (WARNING, "disk0") in grades(swapped) and exit_code(swapped) == 1
    assert exit_code(diff(source, record(used=USED_A, disks={}))) == 2  # the target has no disk0


@pytest.mark.parametrize("isa,letters", [
    ("rv64imac_zicsr_zifencei", {"I", "M", "A", "C", "Zicsr", "Zifencei"}),
    ("rv64gc", {"I", "M", "A", "F", "D", "C", "Zicsr", "Zifencei"}),
])
def test_isa_letters(isa, letters):
    assert isa_letters(isa) == letters


def test_zihintpause_in_use_is_required():
    pause = ["components.cpu.isa=rv64gc_zihintpause"]
    used = {"cpu": {"extensions": ["A", "C", "M", "Zihintpause"], "modes": ["S", "U"], "paging_modes": ["sv39"]}}
    findings = diff(record(overrides=pause, used=used), record(overrides=["components.cpu.isa=rv64gc"]))
    assert any(f.grade == INCOMPATIBLE and "uses extension Zihintpause" in f.message for f in findings)
    # enabled, never used: the target may lack it
    assert exit_code(diff(record(overrides=pause, used=USED_A), record(overrides=["components.cpu.isa=rv64gc"]))) == 0


PAUSE_LOOP = """
    .globl _start
_start:
    li t0, 100
1:  pause                  # Zihintpause: a FENCE hint (pred=W, succ=0), so it runs on any hart
    addi t0, t0, -1
    bnez t0, 1b
    EXIT 0
"""


@pytest.mark.parametrize("isa,recorded", [("rv64imac_zicsr_zifencei_zihintpause", True),
                                          ("rv64imac_zicsr_zifencei", False)])
def test_pause_runs_as_a_hint_and_is_in_use_only_on_a_zihintpause_hart(isa, recorded, tmp_path):
    """A guest spinning on `pause` runs to its end on a hart with or without Zihintpause (a hint
    retires as a no-op); only the hart that has the extension records it as in use (required)."""
    from graphsim.checkpoint.library import Library
    from graphsim.checkpoint.take import take_checkpoint
    from graphsim.sim.console import Console
    from graphsim.sim.machine import Machine, RunLimits
    from tests.cpu.asm import assemble

    elf = assemble(PAUSE_LOOP, march="rv64imac_zicsr_zifencei_zihintpause")
    machine = Machine(elaborate(load_machine(CONFIGS / "virt-rv64.toml", [f"components.cpu.isa={isa}"])),
                      console=Console())
    machine.boot(kernel=str(elf))
    stop = machine.run(RunLimits(max_insts=10_000))
    assert (stop.reason, stop.exit_code) == ("exit", 0)
    assert machine.instret >= 300
    _, manifest, _ = take_checkpoint(machine, Library(str(tmp_path / "lib")), {"kind": "exit", "detail": ""})
    assert ("Zihintpause" in manifest["compat"]["used"]["cpu"]["extensions"]) == recorded
