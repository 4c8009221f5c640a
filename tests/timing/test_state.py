"""Timing state across runs: determinism however a run is split, warm cache and predictor
state in checkpoints (restored only onto the same geometry), CPU switches at run time, and
`graphsim stats compare`."""

import json
import subprocess
import sys

import numpy as np
import pytest

from graphsim.checkpoint.compat import diff
from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import RunLimits, Trigger
from tests.conftest import CONFIGS, ROOT
from tests.guests import GUEST_DIR, boot_guest, run_to_end
from tests.timing.helpers import on

EXPECTED = (GUEST_DIR / "expected" / "dhrystone_like.out").read_text()


@pytest.mark.parametrize("cpu", ["timing", "pipelined"])
def test_a_run_split_anywhere_equals_a_straight_run(cpu):
    straight = boot_guest("dhrystone_like", on(cpu))
    run_to_end(straight)
    split = boot_guest("dhrystone_like", on(cpu))
    limit = 0
    while True:
        limit += 77_777
        stop = split.run(RunLimits(max_insts=limit), slice_insts=31_337)
        if stop.reason != "max_insts":
            break
    assert stop.reason == "exit"
    assert split.digest() == straight.digest()
    assert split.tick == straight.tick


@pytest.mark.parametrize("cpu", ["timing", "pipelined"])
@pytest.mark.parametrize("guest", ["privtest", "fparith"])
def test_a_traced_run_times_as_an_untraced_run(cpu, guest):
    """The models read the kernel's compact records (the register written derived from the
    decode, except for instructions that trapped); a traced run gets full records, compacted for
    the model in Python: both must time the same, traps (privtest) and FP instructions illegal
    while mstatus.FS is off or without F (fparith) included."""
    import io

    plain = boot_guest(guest, on(cpu))
    run_to_end(plain, max_insts=300_000)
    traced = boot_guest(guest, on(cpu))
    trace = io.StringIO()
    traced.enable_trace(trace)
    run_to_end(traced, max_insts=300_000)
    assert trace.getvalue().count("\n") == traced.instret
    assert traced.digest() == plain.digest()
    assert traced.tick == plain.tick
    assert {n: v for n, v, _d, _u in plain.core.stats()} == {n: v for n, v, _d, _u in traced.core.stats()}


def test_a_timing_model_refuses_more_harts_than_its_records_name():
    from graphsim.config.loader import load_machine
    from graphsim.errors import ConfigError
    from graphsim.graph.elaborate import elaborate
    from graphsim.sim.console import Console
    from graphsim.sim.machine import Machine

    many = ["components.cpu.type=cpu.timing", *(f"components.{c}.count=128" for c in ("cpu", "l1i", "l1d"))]
    graph = elaborate(load_machine(CONFIGS / "virt-rv64-4hart.toml", many))
    with pytest.raises(ConfigError, match="components.cpu.type: cpu.timing times at most 127 harts; this machine has 128"):
        Machine(graph, {}, Console())


def checkpoint(machine, library, at):
    taken = []
    run_to_end(machine, max_insts=at, triggers=[Trigger("inst", at)],
               on_checkpoint=lambda m, s: taken.append(take_checkpoint(m, library, {"kind": "test", "detail": ""})[0]))
    return taken[-1]


@pytest.fixture(scope="module")
def pipelined_checkpoint(tmp_path_factory):
    library = Library(str(tmp_path_factory.mktemp("lib")))
    machine = boot_guest("dhrystone_like", on("pipelined"))
    cpt = checkpoint(machine, library, 2_000_000)
    return library, cpt, machine


def test_warm_state_is_restored_onto_the_same_geometry(pipelined_checkpoint):
    library, cpt, machine = pipelined_checkpoint
    plan = plan_restore(library, cpt)
    assert any(f.subject == "caches" and "warm state restored" in f.message for f in plan.findings)
    restored = plan.build()
    for name in ("l1i", "l1d", "l2"):
        for field in ("tags", "flags", "lru"):
            assert np.array_equal(restored.components[name].state_arrays[field],
                                  machine.components[name].state_arrays[field]), f"{name}.{field}"
    assert restored.components["l1d"].state_arrays["tags"].any()
    assert np.array_equal(restored.cpus[0].state_arrays["bp_counters"], machine.cpus[0].state_arrays["bp_counters"])
    assert restored.cpus[0].state_arrays["bp_counters"].any()
    assert not (restored.components["l1d"].state_arrays["flags"] & 2).any()  # drained: nothing dirty


def test_other_geometries_start_cold(pipelined_checkpoint):
    library, cpt, machine = pipelined_checkpoint
    plan = plan_restore(library, cpt, overrides=["components.l1d.size=64KiB", "components.cpu.bp_entries=1024"])
    finding = next(f for f in plan.findings if f.subject == "caches")
    assert finding.grade == "changed" and "warm state restored for l2, l1i; l1d starts cold" in finding.message
    restored = plan.build()
    assert not restored.components["l1d"].state_arrays["tags"].any()
    assert np.array_equal(restored.components["l2"].state_arrays["tags"], machine.components["l2"].state_arrays["tags"])
    assert not restored.cpus[0].state_arrays["bp_counters"].any()
    after = run_to_end(restored)
    assert after.stop.reason == "exit"


def test_an_atomic_checkpoint_has_no_warm_state(tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt = checkpoint(boot_guest("dhrystone_like"), library, 1_000_000)
    plan = plan_restore(library, cpt, cpu="timing")
    finding = next(f for f in plan.findings if f.subject == "caches")
    assert finding.message.endswith("(caches start cold)")
    restored = plan.build()
    assert not restored.components["l2"].state_arrays["tags"].any()
    assert run_to_end(restored).stop.reason == "exit"
    # the record says so, and a diff between two checkpoint records says the same
    assert not library.manifest(cpt)["compat"]["present"] & 8
    assert "caches start cold" in str(diff(library.manifest(cpt)["compat"], library.manifest(cpt)["compat"]))


def test_switching_models_at_run_time():
    machine = boot_guest("dhrystone_like")
    for at, model in ((1_000_000, "timing"), (2_000_000, "pipelined"), (3_000_000, "atomic")):
        stop = machine.run(RunLimits(), [Trigger("switch", at)])
        assert stop.reason == "switch_cpu" and machine.instret == at
        before = machine.tick
        machine.switch_cpu(model)
        assert machine.cpus[0].kind == f"cpu.{model}"
        assert type(machine.core) is machine.cpus[0].core_class()
        assert machine.tick == before and machine.instret == at
    result = run_to_end(machine)
    assert result.stop.reason == "exit" and result.console == EXPECTED


def graphsim(*args):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_switch_and_stats_compare_on_the_command_line(tmp_path):
    kernel = str(GUEST_DIR / "build" / "dhrystone_like.elf")
    a = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", kernel, "--quiet", "--outdir", str(tmp_path / "a"),
                 "--set", "components.cpu.type=cpu.timing")
    b = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", kernel, "--quiet", "--outdir", str(tmp_path / "b"),
                 "--switch-at-inst", "1000000", "--switch-to", "pipelined")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert "switched to cpu.pipelined at 1,000,000 insts" in b.stderr
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["cpu_switches"] == [{"instret": 1_000_000, "to": "pipelined", "trigger": "inst:1000000"}]
    assert (tmp_path / "b" / "console.log").read_text().replace("\r\n", "\n") == EXPECTED
    compare = graphsim("stats", "compare", str(tmp_path / "a"), str(tmp_path / "b" / "stats.json"),
                       "--match", r"cpu\.(numCycles|committedInsts)$")
    assert compare.returncode == 0, compare.stderr
    lines = compare.stdout.splitlines()
    assert lines[2].split() == ["stat", "A", "B", "B/A"]
    name, insts_a, insts_b, ratio = lines[3].split()
    assert name == "system.cpu.committedInsts" and insts_a == insts_b == "4528534" and float(ratio) == 1
    name, cycles_a, cycles_b, ratio = lines[4].split()
    assert name == "system.cpu.numCycles" and float(ratio) < 1  # B's model statistics start at its switch
    bad = graphsim("stats", "compare", str(tmp_path / "a"), str(tmp_path / "nothing"))
    assert bad.returncode != 0 and "no such run directory" in bad.stderr
