"""cpu.atomic_warm (atomic with warming caches): the atomic CPU's guest-visible behaviour and
time, the timing CPU's cache hit/miss counts, and warm state that a switch or a checkpoint
carries to a timing model."""

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import RunLimits
from tests.guests import boot_guest, run_to_end
from tests.timing.helpers import on

CACHE_COUNTS = ("overallAccesses", "overallHits", "overallMisses", "writebacks", "replacements")


def stats_of(machine) -> dict:
    return {n: s.value for n, s in machine.stats("now").values.items()}


def test_atomic_warm_is_atomic_for_the_guest_and_timing_for_the_caches():
    runs = {}
    for cpu in ("atomic", "atomic_warm", "timing"):
        result = run_to_end(boot_guest("matmul", on(cpu)))
        assert result.stop.reason == "exit" and result.stop.exit_code == 0
        runs[cpu] = (result.machine.digest(), stats_of(result.machine), result.console)
    (d_atomic, s_atomic, c_atomic), (d_warm, s_warm, c_warm), (_, s_timing, _) = runs.values()
    assert d_warm == d_atomic and c_warm == c_atomic
    assert s_warm["simTicks"] == s_atomic["simTicks"] and s_warm["system.cpu.numCycles"] == s_warm["simInsts"]
    assert s_timing["simTicks"] > s_warm["simTicks"]  # the timing CPU's stalls reach the guest; these do not
    for cache in ("l1i", "l1d", "l2"):
        for name in CACHE_COUNTS:
            key = f"system.{cache}.{name}"
            assert s_warm[key] == s_timing[key], key
    assert s_warm["system.l1d.overallMisses"] > 0
    assert "system.l1d.overallMisses" not in s_atomic  # plain atomic ignores the caches


def _first_misses(machine, insts=200_000) -> int:
    machine.reset_stats()
    machine.run(RunLimits(max_insts=machine.instret + insts))
    return stats_of(machine)["system.l1d.overallMisses"] + stats_of(machine)["system.l2.overallMisses"]


def test_a_switch_from_atomic_warm_keeps_the_caches_warm():
    cold, warm = boot_guest("matmul"), boot_guest("matmul", on("atomic_warm"))
    for machine in (cold, warm):
        machine.run(RunLimits(max_insts=1_000_000))
        machine.switch_cpu("timing")
    assert _first_misses(warm) < _first_misses(cold) / 2


@pytest.mark.parametrize("geometry,warmed", [((), True), (("components.l1d.assoc=4",), False)])
def test_a_checkpoint_taken_on_atomic_warm_carries_warm_caches(tmp_path, geometry, warmed):
    library = Library(str(tmp_path / "lib"))
    ids = {}
    for cpu in ("atomic", "atomic_warm"):
        machine = boot_guest("matmul", on(cpu))
        machine.run(RunLimits(max_insts=1_000_000))
        ids[cpu] = take_checkpoint(machine, library, {"kind": "inst", "detail": "1000000"})[0]
    misses = {}
    for cpu, cpt in ids.items():
        plan = plan_restore(library, cpt, overrides=list(geometry), cpu="timing")
        if cpu == "atomic_warm":
            caches = next(f for f in plan.findings if f.subject == "caches")
            assert "warm state restored" in caches.message
            assert ("l1d starts cold" in caches.message) != warmed
        misses[cpu] = _first_misses(plan.build())
    if warmed:
        assert misses["atomic_warm"] < misses["atomic"] / 2
    else:  # the L1D starts cold on another geometry; the L2 (same geometry) is still warm
        assert misses["atomic_warm"] < misses["atomic"]


def test_a_switch_from_atomic_warm_keeps_the_predictor_warm_and_the_pipelined_parameters():
    """Warmed on atomic_warm, cpu.pipelined mispredicts exactly as in a straight pipelined run."""
    overrides = ("components.cpu.bp_entries=1024", "components.cpu.mul_latency=7")
    mispredicts = {}
    for cpu in ("atomic", "atomic_warm", "pipelined"):
        machine = boot_guest("qsort", on(cpu, *overrides) if cpu != "atomic" else on(cpu))
        machine.run(RunLimits(max_insts=1_000_000))
        machine.switch_cpu("pipelined")
        machine.reset_stats()
        machine.run(RunLimits(max_insts=machine.instret + 200_000))
        mispredicts[cpu] = stats_of(machine)["system.cpu.branchPred.mispredicts"]
        if cpu != "atomic":
            assert (machine.cpus[0].params.bp_entries, machine.cpus[0].params.mul_latency) == (1024, 7)
    assert mispredicts["atomic_warm"] == mispredicts["pipelined"] < mispredicts["atomic"]
