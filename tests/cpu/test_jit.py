"""The block compiler (graphsim/cpu/jit) changes nothing but speed: every guest ends
with the same digest, console and exit code with it on and off, runs split at any
instruction count stop at the same instruction, code rewritten by the guest or by
Python is never run stale, and checkpoints round-trip across the two.

The compile threshold is lowered here so that the short test guests run compiled
code (the default only compiles blocks that run tens of thousands of times); each
test also checks that compiled blocks did run, so it cannot pass with the JIT idle."""

import re

import numpy as np
import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.isa.state import PC
from graphsim.sim.machine import RunLimits, Trigger
from tests.conftest import CONFIGS
from tests.guests import GUESTS, TEST_GUESTS, boot_guest, run_to_end

INTEGER_RV64 = [n for n in TEST_GUESTS if GUESTS[n]["xlen"] == 64]


@pytest.fixture
def jit(monkeypatch):
    """Machines built inside the test get (on=True) or lack (on=False) the block compiler."""

    def switch(on: bool, threshold: int = 8):
        monkeypatch.setenv("GRAPHSIM_JIT", "1" if on else "0")
        monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", str(threshold))

    return switch


def compiled_instructions(machine) -> int:
    return machine.core.jit_stats()["instructions"]


@pytest.mark.parametrize("name", TEST_GUESTS)
def test_same_result_with_and_without_the_jit(name, jit):
    jit(False)
    off = run_to_end(boot_guest(name))
    assert off.machine.core.jit_stats() is None
    jit(True)
    on = run_to_end(boot_guest(name))
    assert on.stop.reason == off.stop.reason == "exit"
    assert on.stop.exit_code == off.stop.exit_code
    assert on.console == off.console
    assert on.machine.instret == off.machine.instret
    assert on.machine.digest() == off.machine.digest()
    if name in INTEGER_RV64:
        assert compiled_instructions(on.machine) > 0


def test_selfmodifying_code_runs_compiled_and_never_stale(jit):
    """selfmod rewrites code with and without fence.i, across pages and through remapped
    virtual pages; its own checks (exit code = failures) and the digest must agree."""
    jit(False)
    off = run_to_end(boot_guest("selfmod"))
    jit(True)
    on = run_to_end(boot_guest("selfmod"))
    assert on.stop.exit_code == off.stop.exit_code == GUESTS["selfmod"]["exit_code"]
    assert on.console == off.console
    assert on.machine.digest() == off.machine.digest()
    assert compiled_instructions(on.machine) > on.machine.instret // 4


@pytest.mark.parametrize("name,step", [("qsort", 7_919), ("dhrystone_like", 104_729), ("smp", 3_331)])
def test_runs_split_anywhere_stop_at_the_same_instruction(name, step, jit):
    """Budgets that end inside compiled blocks and loops: after every run of `step`
    instructions both machines are at the same instruction with the same state."""
    machines = []
    for on in (False, True):
        jit(on)
        machines.append(boot_guest(name))
    off, on = machines
    for i in range(1, 41):
        stops = [m.run(RunLimits(max_insts=i * step)) for m in machines]  # (a total, not an increment)
        assert stops[0].reason == stops[1].reason
        assert on.instret == off.instret
        assert [int(p) for p in on.core.harts[:, PC]] == [int(p) for p in off.core.harts[:, PC]]
        assert on.digest() == off.digest()
        if stops[0].reason == "exit":
            break
    assert compiled_instructions(on) > 0


def test_code_written_from_python_is_seen(jit):
    """A Python writer (a debugger's memory write, DMA, a restore) replaces a compiled
    hot loop's instructions: the next run executes the new code, as the interpreter does."""
    results = []
    for on in (False, True):
        jit(on)
        machine = boot_guest("sieve")
        machine.run(RunLimits(max_insts=300_000))  # (totals, not increments)
        core = machine.core
        pc = int(core.harts[0, PC])
        off = pc - core.config.ram_base
        # patch the instruction at pc with `addi x0, x0, 0` (nop) or c.nop, keeping its length
        if core.ram[off] & 3 == 3:
            core.ram[off:off + 4] = np.frombuffer((0x00000013).to_bytes(4, "little"), np.uint8)
        else:
            core.ram[off:off + 2] = np.frombuffer((0x0001).to_bytes(2, "little"), np.uint8)
        machine.run(RunLimits(max_insts=500_000))
        results.append((machine.instret, machine.digest()))
        if on:
            assert compiled_instructions(machine) > 0
    assert results[0] == results[1]


def test_checkpoint_round_trip_between_jit_and_interpreter(jit, tmp_path):
    """A checkpoint taken mid-run with the JIT on restores onto a machine without it (and
    back) and ends where the straight run does."""
    jit(False)
    straight = run_to_end(boot_guest("dhrystone_like"))
    library = Library(str(tmp_path / "lib"))
    for first_on in (True, False):
        jit(first_on)
        taken = []
        first = boot_guest("dhrystone_like")
        run_to_end(first, max_insts=2_000_000, triggers=[Trigger("inst", 2_000_000)],
                   on_checkpoint=lambda m, s: taken.append(take_checkpoint(m, library, {"kind": "test", "detail": ""})[0]))
        jit(not first_on)
        restored = plan_restore(library, taken[-1]).build()
        after = run_to_end(restored)
        assert after.stop.exit_code == straight.stop.exit_code
        assert restored.instret == straight.machine.instret
        assert restored.digest() == straight.machine.digest()


@pytest.mark.slow
def test_linux_boot_identical_with_the_jit(jit):
    """The tiny Linux guest (MMU on, S and U mode, timer interrupts, UART) to its prompt."""
    from graphsim.config.loader import load_machine
    from graphsim.graph.elaborate import elaborate
    from graphsim.sim.console import Console
    from graphsim.sim.machine import Machine

    results = []
    for on in (False, True):
        jit(on, threshold=5_000)  # (fewer blocks than the other tests: Linux has thousands of warm ones)
        machine = Machine(elaborate(load_machine(CONFIGS / "linux-tiny.toml", [])), console=Console())
        machine.boot()
        stop = machine.run(RunLimits(max_insts=150_000_000), [Trigger("console", re.compile(re.escape("graphsim:/# ")))])
        results.append((stop.reason, machine.instret, machine.digest()))
        if on:
            assert compiled_instructions(machine) > 0
    assert results[0] == results[1]
    assert results[0][0] == "checkpoint"
