"""SimPoint on a region of the Linux guest (configs/linux.toml): a checkpoint taken by `m5
checkpoint` at the shell prompt, with the job typed on the same line between `m5 workbegin`
and `m5 workend`; the one command profiles that region on the atomic CPU (kernel, syscalls,
page faults and timer interrupts included), runs the samples on cpu.pipelined and checks the
estimate against the full detailed run of the region. Boots Linux: slow."""

from __future__ import annotations

import json
import re

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.take import take_checkpoint
from graphsim.cli import main
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits, Trigger
from tests.conftest import CONFIGS

pytestmark = pytest.mark.slow

PROMPT = "graphsim:/# "
JOB = "fpbench 100; ls -l /bin > /dev/null; fpbench 30"  # FP, then file system and exec, then FP again


def test_simpoint_of_a_linux_work_region(tmp_path, capsys):
    library = Library(str(tmp_path / "library"))
    machine = Machine(elaborate(load_machine(CONFIGS / "linux.toml")), None, Console())
    machine.boot()
    stop = machine.run(RunLimits(max_insts=1_500_000_000), [Trigger("console", re.compile(re.escape(PROMPT)))])
    assert stop.reason == "checkpoint", machine.console.tail_text()
    machine.console.feed(f"m5 checkpoint; m5 workbegin; {JOB}; m5 workend\n".encode())
    stop = machine.run(RunLimits(max_insts=machine.instret + 200_000_000))
    assert (stop.reason, stop.detail) == ("checkpoint", "m5op")
    job, _, _ = take_checkpoint(machine, library, {"kind": "m5op", "detail": ""}, name="linux-job")
    machine.close()

    outdir = str(tmp_path / "sp")
    assert main(["simpoint", "linux-job", "--library", library.root, "--interval", "250000", "--outdir", outdir,
                 "--cpu", "pipelined", "--workers", "2", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "relative error: CPI" in out

    prof = json.load(open(f"{outdir}/profile.json"))
    assert prof["end"] == "work_end" and prof["workload"]["identity"] == {"checkpoint": job}
    assert prof["region_insts"] > 5_000_000  # the job, not the shell's few instructions around it
    start = library.manifest(prof["start_checkpoint"])
    assert start["parent"] == job and start["position"]["instret"] == prof["region_start_instret"]
    samples = json.load(open(f"{outdir}/checkpoints.json"))["samples"]
    assert sorted(library.children(prof["start_checkpoint"])) == sorted(s["checkpoint"] for s in samples)

    report = json.load(open(f"{outdir}/results.json"))
    assert report["estimate"]["clusters"] >= 3  # the FP, file-system and exec phases at least
    assert report["detailed_fraction"] < 0.3
    # The estimate is within its own 95 % bound of the full detailed run of the region, and that bound
    # is useful. (Measured: +2.8 % with a ±6.2 % bound; +7.2 % with ±15.8 % once the device tree gained
    # an rng-seed and the boot changed. The 3 % target of the benchmark guests is tested on those.)
    assert abs(report["verify"]["cpi_error"]) < 0.10
    assert abs(report["verify"]["cpi_error"]) < report["estimate"]["cpi_error_95"]
