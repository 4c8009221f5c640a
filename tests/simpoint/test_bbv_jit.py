"""Basic-block vectors counted by compiled blocks (graphsim/cpu/jit/codegen.py, while profiling)
are the interpreter's: the profile is byte-identical with the block compiler on and off,
interval by interval, with intervals that end inside blocks and inside loops running
compiled, and it equals the blocks of a per-instruction trace. A block that ran past an
interval's end, or counted a pass, a loop iteration or a fall-through wrongly, changes the
file. The compile threshold is lowered so that the short guests run compiled code; each test
checks that the profile did run compiled instructions, so none can pass with the compiler idle."""

from __future__ import annotations

import gzip
import re

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits, Trigger
from graphsim.simpoint.profile import Workload, profile
from tests.conftest import CONFIGS
from tests.simpoint.test_simpoint import MACHINE, elf, reference_blocks


def profile_with(monkeypatch, tmp_path, source: str, interval: int, on: bool, threshold: int = 8, kernel=None,
                 library: Library | None = None) -> tuple[list[str], dict]:
    """Profile with the block compiler on or off: the BBV file's lines and profile.json."""
    monkeypatch.setenv("GRAPHSIM_JIT", "1" if on else "0")
    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", str(threshold))
    library = library or Library(str(tmp_path / "library"))
    outdir = str(tmp_path / f"profile-{'jit' if on else 'interpreter'}-{interval}")
    prof = profile(Workload.of(source, library, kernel=kernel), library, outdir, interval)
    with gzip.open(f"{outdir}/profile.bb.gz", "rt") as f:
        return f.read().splitlines(), prof


# phases: integer, memory-bound and FP loops; qsort: short blocks, calls and returns; sieve: one hot
# inner loop; smp: four harts (one block-in-progress per hart); selfmod: code rewritten under compiled
# blocks. The intervals are primes, so that their ends fall anywhere in blocks and loops.
@pytest.mark.parametrize("machine,guest,interval", [
    (MACHINE, "phases", 100_003), (MACHINE, "qsort", 997), (MACHINE, "sieve", 4_999), (MACHINE, "hello", 7),
    (str(CONFIGS / "virt-rv64-4hart.toml"), "smp", 997), (MACHINE, "selfmod", 10_007)],
    ids=["phases", "qsort", "sieve", "hello", "smp-4-harts", "selfmod"])
def test_profile_identical_with_and_without_the_block_compiler(monkeypatch, tmp_path, machine, guest, interval):
    off, prof_off = profile_with(monkeypatch, tmp_path, machine, interval, False, kernel=elf(guest))
    on, prof_on = profile_with(monkeypatch, tmp_path, machine, interval, True, kernel=elf(guest))
    assert prof_off["compiled_insts"] == 0
    assert prof_on["compiled_insts"] > 0
    assert len(on) == len(off)
    for number, (a, b) in enumerate(zip(off, on)):
        assert a == b, f"interval {number} differs"
    assert prof_on["blocks"] == prof_off["blocks"]
    assert prof_on["interval_insts"] == prof_off["interval_insts"]
    assert prof_on["interval_insts"][:-1] == [interval] * (len(on) - 1)


def test_compiled_profile_equals_the_trace(monkeypatch, tmp_path):
    """Against the per-instruction trace (the definition), with most instructions run compiled."""
    lines, prof = profile_with(monkeypatch, tmp_path, MACHINE, 997, True, kernel=elf("qsort"))
    assert prof["compiled_insts"] > prof["region_insts"] // 2
    pcs = [int(p, 16) for p in prof["blocks"]]
    vectors = [{pcs[int(b) - 1]: int(c) for b, c in re.findall(r":(\d+):(\d+) ", line)} for line in lines]
    assert vectors == reference_blocks("qsort", 997)


@pytest.mark.slow
def test_linux_region_profile_identical_with_and_without_the_block_compiler(monkeypatch, tmp_path):
    """A work region of the Linux guest (MMU on: Sv39 user and kernel code, page faults, system calls,
    timer interrupts): compiled blocks that translate their data accesses count as the interpreter."""
    library = Library(str(tmp_path / "library"))
    monkeypatch.setenv("GRAPHSIM_JIT", "0")
    machine = Machine(elaborate(load_machine(CONFIGS / "linux.toml")), None, Console())
    machine.boot()
    stop = machine.run(RunLimits(max_insts=1_500_000_000), [Trigger("console", re.compile(re.escape("graphsim:/# ")))])
    assert stop.reason == "checkpoint", machine.console.tail_text()
    machine.console.feed(b"m5 checkpoint; m5 workbegin; ls -l /bin > /dev/null; ls -lR /sbin > /dev/null; m5 workend\n")
    stop = machine.run(RunLimits(max_insts=machine.instret + 200_000_000))
    assert (stop.reason, stop.detail) == ("checkpoint", "m5op")
    job, _, _ = take_checkpoint(machine, library, {"kind": "m5op", "detail": ""}, name="linux-job")
    machine.close()

    off, prof_off = profile_with(monkeypatch, tmp_path, job, 100_003, False, library=library)
    on, prof_on = profile_with(monkeypatch, tmp_path, job, 100_003, True, threshold=300, library=library)
    assert prof_on["end"] == "work_end" and prof_on["region_insts"] > 1_000_000
    assert prof_on["compiled_insts"] > prof_on["region_insts"] // 10  # (measured: 2.2 M of 7.7 M)
    assert on == off
    assert prof_on["blocks"] == prof_off["blocks"]
    assert prof_on["interval_insts"] == prof_off["interval_insts"]
