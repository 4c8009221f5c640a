"""Single points run in this process (as a worker runs them): warm-up on cpu.atomic_warm before
measuring, a booted start, and a run that ends at the guest's m5 work_end."""

import os
import re

from tests.sweep.conftest import booted_sweep, in_process


def run_all(path) -> list[dict]:
    plan, run = in_process(path)
    results = [run(task) for task in plan.tasks]
    for result in results:
        assert result["status"] == "ok", result["error"]
    return results


def misses(result) -> int:
    return result["stats"]["system.l1d.overallMisses"] + result["stats"]["system.l2.overallMisses"]


def test_a_warm_up_on_atomic_warm_before_measuring(sweep_file):
    axes = '[axes]\ncpu = ["timing"]\n"components.l1d.size" = ["32KiB"]\n'
    cold = run_all(sweep_file(axes, run="insts = 300_000"))[0]
    warm = run_all(sweep_file(axes, run="insts = 300_000\nwarmup_insts = 1_000_000", name="warm.toml"))[0]
    assert cold["insts"] == warm["insts"] == 300_000
    assert warm["instret"] == cold["instret"] + 1_000_000
    assert warm["stats"]["simInsts"] == 300_000  # the measurement excludes the warm-up
    assert misses(warm) < misses(cold)


def test_a_booted_start_runs_until_the_guest_exits(tmp_path):
    path = booted_sweep(tmp_path, "hello", """[axes]
cpu = ["atomic", "pipelined"]
[stats]
collect = ["simInsts", "system.cpu.*Insts"]
""")
    atomic, pipelined = run_all(path)
    assert atomic["stop"] == pipelined["stop"] == "exit"
    assert atomic["stats"]["simInsts"] == pipelined["stats"]["simInsts"] > 0
    assert b"Hello" in atomic["files"]["console.log"] or b"hello" in atomic["files"]["console.log"]


def test_a_run_until_the_work_region_ends(tmp_path):
    path = booted_sweep(tmp_path, "m5ops", """[run]
until = "workend"
[axes]
cpu = ["timing"]
[stats]
collect = ["simInsts"]
""")
    (result,) = run_all(path)
    assert result["stop"] == "work_end"
    console = result["files"]["console.log"].decode()
    assert "m5ops: start" in console and "collatz" not in console  # stopped inside the program
    assert 0 < result["stats"]["simInsts"] < result["instret"]  # the work region's own count


def test_a_point_that_fails_is_a_failed_row_with_its_error(tmp_path):
    path = booted_sweep(tmp_path, "hello", """[axes]
"components.ram.size" = ["128MiB", "4KiB"]
""")
    plan, run = in_process(path)
    good, bad = (run(task) for task in plan.tasks)
    assert good["status"] == "ok" and good["stop"] == "exit", good["error"]
    assert bad["status"] == "failed" and re.search(
        r"hello\.elf: loads at 0x80000000, overlapping <device tree> \(0x80000000-0x8000[0-9a-f]{4}\)$", bad["error"])


def test_checkpoints_the_guest_asks_for_stay_out_of_any_library(tmp_path):
    path = booted_sweep(tmp_path, "m5ops", """[axes]
cpu = ["atomic"]
""")
    (result,) = run_all(path)
    assert result["stop"] == "exit" and "m5ops: collatz steps" in result["files"]["console.log"].decode()
    checkpoints = os.path.join(os.environ["GRAPHSIM_LIBRARY"], "checkpoints")
    assert not os.path.isdir(checkpoints) or not os.listdir(checkpoints)
