"""SimPoint sampling: exact basic-block vectors in gem5's format, clustering, sample
checkpoints, bad input refused before any detailed run, and (slow) the whole flow
checked against the full detailed run."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from graphsim.checkpoint.library import Library
from graphsim.cli import main
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits
from graphsim.simpoint.bbv import read_bbv
from graphsim.simpoint.cluster import cluster
from graphsim.simpoint.profile import Workload, profile
from tests.conftest import CONFIGS
from tests.guests import GUEST_DIR

MACHINE = str(CONFIGS / "virt-rv64.toml")


def elf(name: str) -> str:
    return str(GUEST_DIR / "build" / f"{name}.elf")


def make_profile(tmp_path, guest: str, interval: int, name: str | None = None) -> tuple[str, dict]:
    library = Library(str(tmp_path / "library"))
    outdir = str(tmp_path / (name or guest))
    return outdir, profile(Workload.of(MACHINE, library, kernel=elf(guest)), library, outdir, interval)


def parse_gem5_bbv(path: str) -> list[dict[int, int]]:
    """gem5's SimPoint probe output, parsed by its grammar: `T` then `:bb:count ` fields, one line per interval."""
    line_re = re.compile(r"^T(?::\d+:\d+ )*$")
    out = []
    with gzip.open(path, "rt") as f:
        for line in f.read().splitlines():
            assert line_re.match(line), line
            out.append({int(b): int(c) for b, c in re.findall(r":(\d+):(\d+) ", line)})
    return out


class TracedMachine(Machine):
    """Keeps the pc of every executed instruction (the trace the kernel records)."""

    pcs: list

    def _write_trace(self, rows):
        self.pcs.extend((int(pc), int(insn)) for pc, insn in rows[:, 1:3])


def reference_blocks(guest: str, interval: int) -> list[dict[int, int]]:
    """Blocks from a per-instruction trace: a pc other than the previous instruction's
    fall-through starts one; each instruction counts for its block in its interval."""
    machine = TracedMachine(elaborate(load_machine(MACHINE)), None, Console())
    machine.pcs = []
    machine.boot(kernel=elf(guest))
    machine.enable_trace(True)
    assert machine.run(RunLimits()).reason == "exit"
    intervals, start, expected = [], None, None
    for i, (pc, insn) in enumerate(machine.pcs):
        if i % interval == 0:
            intervals.append({})
        if pc != expected:
            start = pc
        intervals[-1][start] = intervals[-1].get(start, 0) + 1
        expected = pc + (4 if insn & 3 == 3 else 2)
    return intervals


def test_block_vectors_are_exact_and_in_gem5_format(tmp_path):
    outdir, prof = make_profile(tmp_path, "hello", 500)
    vectors = parse_gem5_bbv(f"{outdir}/profile.bb.gz")
    assert vectors == read_bbv(f"{outdir}/profile.bb.gz")
    assert [sum(v.values()) for v in vectors] == prof["interval_insts"]
    assert prof["interval_insts"][:-1] == [500] * (len(vectors) - 1)
    seen = [b for v in vectors for b in v]  # ids numbered from 1 in order of first appearance
    first = list(dict.fromkeys(seen))
    assert first == list(range(1, len(first) + 1))
    pcs = [int(p, 16) for p in prof["blocks"]]
    by_pc = [{pcs[b - 1]: c for b, c in v.items()} for v in vectors]
    assert by_pc == reference_blocks("hello", 500)


def test_same_seed_same_simpoints_and_phases_found(tmp_path):
    outdir, _ = make_profile(tmp_path, "phases", 200_000)
    first = cluster(outdir, seed=7)
    again = cluster(outdir, seed=7)
    assert first == again
    assert first["k"] >= 3  # integer, memory and FP loops at least
    assert abs(sum(s["weight"] for s in first["simpoints"]) - 1) < 1e-9
    lines = open(f"{outdir}/simpoints").read().splitlines()
    assert lines == [f"{s['interval']} {s['cluster']}" for s in first["simpoints"]]
    weights = [float(line.split()[0]) for line in open(f"{outdir}/weights").read().splitlines()]
    assert weights == pytest.approx([s["weight"] for s in first["simpoints"]], abs=1e-6)


def test_one_phase_gives_one_cluster(tmp_path):
    outdir, _ = make_profile(tmp_path, "one_phase", 100_000)
    result = cluster(outdir)
    assert result["k"] == 1
    assert result["simpoints"][0]["weight"] == pytest.approx(1.0)


def test_sample_checkpoints_are_children_of_the_start(tmp_path, capsys):
    outdir = str(tmp_path / "sp")
    library = str(tmp_path / "library")
    assert main(["simpoint", "profile", MACHINE, "--kernel", elf("phases"), "--interval", "500000",
                 "--outdir", outdir, "--library", library]) == 0
    assert main(["simpoint", "cluster", outdir, "--max-k", "4"]) == 0
    assert main(["simpoint", "checkpoint", outdir, "--warmup", "200000"]) == 0
    prof = json.load(open(f"{outdir}/profile.json"))
    samples = json.load(open(f"{outdir}/checkpoints.json"))["samples"]
    lib = Library(library)
    start = prof["start_checkpoint"]
    assert sorted(lib.children(start)) == sorted(s["checkpoint"] for s in samples)
    for s in samples:
        manifest = lib.manifest(s["checkpoint"])
        record = manifest["simpoint"]
        assert record["start_checkpoint"] == start and record["insts"] == 500_000
        assert manifest["position"]["instret"] == record["start"] - record["warmup"]
        assert record["warmup"] == min(200_000, record["start"])
    # the same options again: the checkpoints are reused, not taken twice
    assert main(["simpoint", "checkpoint", outdir, "--warmup", "200000"]) == 0
    assert len(lib.children(start)) == len(samples)


def test_max_insts_cuts_the_region_and_says_so(tmp_path, capsys):
    """A region cut by --max-insts: the same vectors as the whole run's up to the cut, the last
    interval short, the cut named; the one command's detailed runs and --verify stay inside it."""
    whole, _ = make_profile(tmp_path, "phases", 500_000, name="whole")
    library = str(tmp_path / "library")
    outdir = str(tmp_path / "cut")
    capsys.readouterr()
    assert main(["simpoint", "profile", MACHINE, "--kernel", elf("phases"), "--interval", "500000",
                 "--max-insts", "2.1M", "--outdir", outdir, "--library", library]) == 0
    out = capsys.readouterr().out
    assert "2,100,000 instructions" in out and "cut at --max-insts 2,100,000 instructions" in out
    prof = json.load(open(f"{outdir}/profile.json"))
    assert prof["end"] == "max_insts" and prof["max_insts"] == 2_100_000
    assert prof["interval_insts"] == [500_000] * 4 + [100_000] and prof["region_insts"] == 2_100_000
    with gzip.open(f"{whole}/profile.bb.gz", "rt") as a, gzip.open(f"{outdir}/profile.bb.gz", "rt") as b:
        assert a.read().splitlines()[:4] == b.read().splitlines()[:4]


@pytest.mark.slow
def test_the_one_command_with_max_insts(tmp_path, capsys):
    outdir = str(tmp_path / "sp")
    args = ["simpoint", MACHINE, "--kernel", elf("phases"), "--interval", "250000", "--max-insts", "3000000",
            "--outdir", outdir, "--library", str(tmp_path / "library"), "--workers", "1", "--verify",
            "--warmup", "250000"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "the region was cut at --max-insts 3,000,000 instructions (the guest had not exited by then)" in err
    report = json.load(open(f"{outdir}/results.json"))
    assert report["region_insts"] == report["verify"]["full_insts"] == 3_000_000
    assert all(s["start"] + s["insts"] <= 3_000_000 + json.load(open(f"{outdir}/profile.json"))["region_start_instret"]
               for s in report["samples"])
    # another cap is another region: profiled again
    assert main([*args, "--max-insts", "2000000"]) == 0  # (the last --max-insts counts)
    assert json.load(open(f"{outdir}/profile.json"))["region_insts"] == 2_000_000


@pytest.mark.parametrize("step, args, message", [
    ("profile", ["--interval", "100000000"], "--interval 100,000,000: longer than the region"),
    ("profile", ["--interval", "500000", "--max-insts", "100000"],
     "--interval 500,000: longer than the region (--max-insts 100,000)"),
    ("profile", ["--max-insts", "0"], "--max-insts 0: must be a positive number of instructions"),
    ("cluster", ["--k", "99"], "--k 99: must be between 1 and the number of intervals (30)"),
    ("checkpoint", ["--warmup", "3000000000"], "the warm-up would start before the region's start"),
])
def test_bad_input_is_refused(tmp_path, capsys, step, args, message):
    outdir = str(tmp_path / "sp")
    library = str(tmp_path / "library")
    if step != "profile":
        assert main(["simpoint", "profile", MACHINE, "--kernel", elf("phases"), "--interval", "500000",
                     "--outdir", outdir, "--library", library]) == 0
        if step == "checkpoint":
            assert main(["simpoint", "cluster", outdir]) == 0
    capsys.readouterr()
    operand = [MACHINE, "--kernel", elf("phases"), "--library", library] if step == "profile" else [outdir]
    assert main(["simpoint", step, *operand, *args, "--outdir", outdir] if step == "profile"
                else ["simpoint", step, *operand, *args]) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("error: ") and "Traceback" not in err


def test_another_workloads_checkpoints_are_refused_before_running(tmp_path, capsys):
    library = str(tmp_path / "library")
    dirs = {}
    for guest in ("phases", "one_phase"):
        dirs[guest] = str(tmp_path / guest)
        for step in (["profile", MACHINE, "--kernel", elf(guest), "--interval", "500000", "--outdir", dirs[guest],
                      "--library", library], ["cluster", dirs[guest], "--max-k", "2"],
                     ["checkpoint", dirs[guest], "--samples", "1"]):
            assert main(["simpoint", *step]) == 0
    # one_phase's samples handed to phases' profile
    other = json.load(open(f"{dirs['one_phase']}/checkpoints.json"))
    mine = json.load(open(f"{dirs['phases']}/checkpoints.json"))
    mine["samples"][0]["checkpoint"] = other["samples"][0]["checkpoint"]
    json.dump(mine, open(f"{dirs['phases']}/checkpoints.json", "w"))
    capsys.readouterr()
    assert main(["simpoint", "run", dirs["phases"], "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "a checkpoint of another workload" in err and "detailed runs" not in err
    # and a flow whose directory holds another workload's profile
    assert main(["simpoint", MACHINE, "--kernel", elf("one_phase"), "--outdir", dirs["phases"],
                 "--library", library]) == 1
    assert "holds the profile of another workload" in capsys.readouterr().err


@pytest.mark.slow
def test_flow_estimates_cpi_within_3_percent_of_the_full_run(tmp_path, capsys):
    outdir = str(tmp_path / "sp")
    args = ["simpoint", MACHINE, "--kernel", elf("phases"), "--interval", "50000", "--outdir", outdir,
            "--library", str(tmp_path / "library"), "--cpu", "pipelined", "--workers", "2", "--verify"]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "relative error: CPI" in out.out and "full detailed run" in out.out
    report = json.load(open(f"{outdir}/results.json"))
    assert abs(report["verify"]["cpi_error"]) < 0.03
    assert report["detailed_fraction"] <= 0.10
    assert report["estimate"]["cpi_error_95"] is not None
    for cache in ("l1d", "l2"):
        assert abs(report["verify"]["miss_rate_error"][cache]) < 0.03
    # resumable: every step is reused, the same report printed again
    assert main(args) == 0
    again = capsys.readouterr()
    assert "reusing" in again.err and again.out == out.out


def test_profile_of_a_checkpoint_covers_its_work_region(tmp_path, capsys):
    """A checkpoint taken before the guest's m5 work_begin: the region is work_begin..work_end."""
    from graphsim.checkpoint.take import take_checkpoint

    library = Library(str(tmp_path / "library"))
    machine = Machine(elaborate(load_machine(MACHINE)), None, Console())
    machine.boot(kernel=elf("m5ops"))
    assert machine.run(RunLimits(max_insts=1000)).reason == "max_insts"
    given, _, _ = take_checkpoint(machine, library, {"kind": "inst", "detail": "1000"}, name="m5ops-early")
    machine.close()
    outdir = str(tmp_path / "sp")
    assert main(["simpoint", "profile", "m5ops-early", "--interval", "100000", "--outdir", outdir,
                 "--library", library.root]) == 0
    prof = json.load(open(f"{outdir}/profile.json"))
    assert prof["end"] == "work_end" and prof["workload"]["identity"] == {"checkpoint": given}
    assert prof["region_start_instret"] > 1000
    start = library.manifest(prof["start_checkpoint"])
    assert start["parent"] == given and start["position"]["instret"] == prof["region_start_instret"]
    assert sum(prof["interval_insts"]) == prof["region_insts"] > 100_000
    assert main(["simpoint", "cluster", outdir]) == 0
    assert main(["simpoint", "checkpoint", outdir, "--warmup", "50000"]) == 0
