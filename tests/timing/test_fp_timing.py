"""The pipelined CPU's FP unit: latencies are declared parameters, add/multiply results are
pipelined (independent operations issue back to back), divide is not (EX stays busy), dependent
operations stall for the latency; the statistics name gem5's FP instruction classes."""

import pytest

from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine
from tests.conftest import CONFIGS
from tests.cpu.asm import assemble
from tests.guests import run_to_end

N = 1000
RESET, DUMP_RESET = ".word 0x8000007b", ".word 0x8400007b"  # m5ops reset_stats, dump_reset_stats


def region(body: str) -> str:
    return f"""
    {RESET}
    li s0, {N}
1:  {body}
    addi s0, s0, -1
    bnez s0, 1b
    {DUMP_RESET}
"""


PROGRAM = """
    .globl _start
_start:
    li sp, 0x80800000
    li t0, 0x2000
    csrs mstatus, t0
    li t0, 3
    fcvt.d.w fa1, t0
    fcvt.d.w fa2, t0
""" + region("; ".join(["fadd.d fa0, fa0, fa1"] * 8)) \
    + region("; ".join(f"fadd.d {r}, fa1, fa2" for r in ("fa0", "fa3", "fa4", "fa5", "fa6", "fa7", "ft0", "ft1"))) \
    + region("; ".join(f"fdiv.d {r}, fa1, fa2" for r in ("fa0", "fa3", "fa4", "fa5"))) \
    + region("fmadd.d fa0, fa1, fa2, fa0; fsd fa0, 0(sp); fld fa3, 0(sp); fcvt.w.d t1, fa3; feq.d t2, fa3, fa3") \
    + """
    EXIT 0
"""


def regions(*overrides):
    graph = elaborate(load_machine(CONFIGS / "virt-rv64.toml", ["components.cpu.isa=rv64gc",
                                                                  "components.cpu.type=cpu.pipelined", *overrides]))
    machine = Machine(graph, {}, Console())
    machine.boot(kernel=str(assemble(PROGRAM, march="rv64gc_zicsr_zifencei")))
    assert run_to_end(machine).stop.exit_code == 0
    return [{n: s.value for n, s in d.values.items()} for d in machine.stats_log.dumps]


@pytest.mark.parametrize("fadd", [4, 7])
def test_fp_latencies_and_classes(fadd):
    dep, indep, div, mix = regions(f"components.cpu.fadd_latency={fadd}", "components.cpu.fdiv_latency=15")
    cyc = "system.cpu.numCycles"
    # a dependent chain waits the full latency for every add
    assert 8 * fadd * N <= dep[cyc] < (8 * fadd + 4) * N
    assert dep["system.cpu.fpStallCycles"] >= 7 * (fadd - 1) * N  # (the loop branch hides part of one wait)
    # independent adds issue every cycle whatever the latency
    assert indep[cyc] < 12 * N and indep["system.cpu.fpStallCycles"] == 0
    # divides are not pipelined: each holds EX for its latency
    assert 4 * 15 * N <= div[cyc] < (4 * 15 + 4) * N
    for stats, cls, n in ((dep, "FloatAdd", 8), (indep, "FloatAdd", 8), (div, "FloatDiv", 4),
                          (mix, "FloatMultAcc", 1), (mix, "FloatMemWrite", 1), (mix, "FloatMemRead", 1),
                          (mix, "FloatCvt", 1), (mix, "FloatCmp", 1)):
        assert stats[f"system.cpu.commit.committedInstType::{cls}"] == n * N, cls
    assert mix["system.cpu.commit.committedInstType::IntAlu"] == 2 * N + 1  # li, addi and bnez
