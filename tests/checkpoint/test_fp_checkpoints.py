"""Checkpoints and the F/D extensions: a round trip in the middle of FP-heavy code on every
CPU model, the compatibility rules for FP in use, and the upgrade of a hart state written
before the FP registers existed (tests/data/cpu-v1.cpt.tar: the matmul guest stopped half-way
on virt-rv64, written by graphsim before this change)."""

import numpy as np
import pytest

from graphsim.checkpoint.compat import CHANGED
from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import RestoreRefused, plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.config.schema import component_kinds
from graphsim.graph.elaborate import elaborate
from graphsim.isa import state as S
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, Trigger
from tests.conftest import CONFIGS, ROOT
from tests.cpu.asm import assemble
from tests.guests import GUEST_DIR, boot_guest, run_to_end

V1 = ROOT / "tests" / "data" / "cpu-v1.cpt.tar"
CPU_MODELS = ["atomic", "timing", "pipelined"]
RV64GC = ["components.cpu.isa=rv64gc"]
RV64IMAC = ["components.cpu.isa=rv64imac_zicsr_zifencei"]

# Double and single arithmetic under changing rounding modes, fused multiply-adds, divide, square
# root, conversions, FP loads/stores; prints the result bits, a count and a checksum, and fcsr.
FP_HEAVY = """
    .globl _start
_start:
    li t0, 0x2000
    csrs mstatus, t0
    li sp, 0x80800000
    li s0, 20000
    li t0, 3
    fcvt.d.w fa1, t0
    li t0, 7
    fcvt.d.w fa2, t0
    fdiv.d fa3, fa1, fa2
    fmv.d.x fa0, zero
    li s1, 0
    li s2, 0
loop:
    andi t0, s0, 3
    fsrm t0
    fcvt.d.w ft0, s0
    fmadd.d fa0, ft0, fa3, fa0
    fsqrt.d ft1, fa0
    fdiv.d ft2, ft1, fa1
    fsub.d fa0, fa0, ft2
    fcvt.s.d ft3, fa0
    fmul.s ft4, ft3, ft3
    fcvt.d.s ft5, ft4
    fmin.d ft6, ft5, fa0
    fnmsub.d ft7, ft6, fa3, ft1
    fsd ft7, 8(sp)
    fld fa4, 8(sp)
    fsw ft4, 20(sp)
    flw fa5, 20(sp)
    feq.s t1, fa5, ft4
    add s1, s1, t1
    fcvt.l.d t2, fa4, rtz
    xor s2, s2, t2
    fmv.x.d t3, fa0
    add s2, s2, t3
    addi s0, s0, -1
    bnez s0, loop
    fmv.x.d a0, fa0
    call puthex
    mv a0, s1
    call puthex
    mv a0, s2
    call puthex
    frcsr a0
    call puthex
    EXIT 0
puthex:
    li t1, UART
    li t2, 60
1:  srl t3, a0, t2
    andi t3, t3, 15
    li t4, 10
    blt t3, t4, 2f
    addi t3, t3, 39
2:  addi t3, t3, 48
    sb t3, 0(t1)
    addi t2, t2, -4
    bgez t2, 1b
    li t3, 10
    sb t3, 0(t1)
    ret
"""


def fp_machine(overrides=(), cpu="atomic") -> Machine:
    graph = elaborate(load_machine(CONFIGS / "virt-rv64.toml", [*RV64GC, f"components.cpu.type=cpu.{cpu}",
                                                                  *overrides]))
    machine = Machine(graph, {}, Console())
    machine.boot(kernel=str(assemble(FP_HEAVY, march="rv64gc_zicsr_zifencei")))
    return machine


def checkpoint_at(machine, library, at):
    taken = []
    run_to_end(machine, max_insts=at, triggers=[Trigger("inst", at)],
               on_checkpoint=lambda m, stop: taken.append(take_checkpoint(m, library, {"kind": "test"})[0]))
    assert taken
    return taken[-1]


@pytest.mark.parametrize("cpu", CPU_MODELS)
def test_round_trip_in_fp_heavy_code(cpu, tmp_path):
    straight = run_to_end(fp_machine(cpu=cpu))
    assert straight.stop.reason == "exit" and straight.stop.exit_code == 0
    assert len(straight.console.split()) == 4
    total = straight.machine.instret
    library = Library(str(tmp_path / "lib"))
    first = fp_machine(cpu=cpu)
    cpt = checkpoint_at(first, library, total // 2)
    assert library.manifest(cpt)["compat"]["used"]["cpu"]["extensions"] == ["C", "D", "F"]
    before = first.console.tail_text(1 << 20)
    restored = plan_restore(library, cpt, cpu=cpu).build()
    assert (restored.core.harts[0, S.F:S.F + 32] == first.core.harts[0, S.F:S.F + 32]).all()
    after = run_to_end(restored)
    assert after.stop.exit_code == 0
    assert (before + after.console).replace("\r\n", "\n") == straight.console
    continued = run_to_end(first)
    # on the timing models the checkpoint's drain is itself timing-visible (see test_round_trip.py)
    assert restored.digest() == continued.machine.digest()
    if cpu == "atomic":
        assert restored.digest() == straight.machine.digest()


def test_fp_in_use_is_refused_by_a_target_without_fp(tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt = checkpoint_at(fp_machine(), library, 50_000)
    with pytest.raises(RestoreRefused) as refused:
        plan_restore(library, cpt, overrides=RV64IMAC)  # refused while planning: nothing is built
    assert refused.value.exit_code == 2
    messages = [str(f) for f in refused.value.findings if f.grade == "incompatible"]
    assert any("checkpoint uses extension F; target rv64imac_zicsr_zifencei lacks it" in m for m in messages)
    assert any("checkpoint uses extension D" in m for m in messages)
    # an F-only target still lacks D
    with pytest.raises(RestoreRefused, match="uses extension D"):
        plan_restore(library, cpt, overrides=["components.cpu.isa=rv64imafc_zicsr_zifencei"])


def test_fp_capable_machine_that_never_used_fp_restores_without_fp(tmp_path):
    library = Library(str(tmp_path / "lib"))
    straight = run_to_end(boot_guest("matmul", RV64GC))
    first = boot_guest("matmul", RV64GC)
    cpt = checkpoint_at(first, library, straight.machine.instret // 2)
    used = library.manifest(cpt)["compat"]["used"]["cpu"]["extensions"]
    assert "F" not in used and "D" not in used
    plan = plan_restore(library, cpt, overrides=RV64IMAC)
    never_used = [f for f in plan.findings if "enabled in the checkpoint but never used" in f.message]
    assert {f.message.split()[1] for f in never_used} == {"F", "D"} and all(f.grade == CHANGED for f in never_used)
    restored = plan.build()
    assert restored.core.harts[0, S.MISA] & (1 << 5) == 0  # the target's hart has no F
    before = first.console.tail_text(1 << 20)
    after = run_to_end(restored)
    assert after.stop.exit_code == 0 and (before + after.console).replace("\r\n", "\n") == straight.console


def test_version_1_hart_state_restores_upgraded(tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt = library.import_(str(V1), component_kinds())
    entry = library.manifest(cpt)["components"]["cpu"]
    assert entry["state_version"] == 1 and not {"f", "fcsr"} & {f["name"] for f in entry["fields"]}
    straight = run_to_end(boot_guest("matmul"))
    expected = (GUEST_DIR / "expected" / "matmul.out").read_text()
    machine = plan_restore(library, cpt).build()
    assert (machine.core.harts[0, S.F:S.F + 32] == 0).all() and machine.core.harts[0, S.FCSR] == 0
    result = run_to_end(machine)
    assert result.stop.exit_code == 0 and expected.endswith(result.console)
    # as if it had never been written by another version: the same harts and memory, apart from the
    # device tree the old version wrote into RAM at boot (today's generator describes the machine anew)
    assert (machine.core.harts == straight.machine.core.harts).all()
    old_ram, new_ram = machine.components["ram"].state_arrays["data"], straight.machine.components["ram"].state_arrays["data"]
    dtb = straight.machine.dtb_address - 0x8000_0000
    assert (old_ram[:dtb] == new_ram[:dtb]).all()
    # onto an FP-capable target: the hart keeps the misa it had (no F), so FP stays off
    plan = plan_restore(library, cpt, overrides=RV64GC)
    assert any("target adds extension F" in f.message for f in plan.findings)
    machine = plan.build()
    assert machine.core.harts[0, S.MISA] & (1 << 5) == 0
    assert run_to_end(machine).stop.exit_code == 0


def test_upgrader_fills_fp_state():
    from graphsim.checkpoint.upgrade import upgrade_component_state

    fields = upgrade_component_state("cpu.pipelined", 1, 2, {"x": np.zeros(32, np.int64)}, "here")
    assert fields["f"].shape == (32,) and fields["fcsr"].shape == () and not fields["f"].any()
