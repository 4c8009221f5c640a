"""A 12-point sweep (L1D size x L2 size x CPU model) of a benchmark guest from a checkpoint:
every point equals `graphsim restore` of that point alone; a LocalCluster, a loopback Dask
cluster whose workers share no library with the client, a worker SIGKILLed mid-sweep and a
killed-then-rerun client all give the same table. Dask must be installed: without it these
tests fail (at import), they do not skip."""

import json
import os
import signal
import subprocess
import sys
import time

import distributed  # noqa: F401  (a missing Dask fails these tests)
import pytest

from graphsim.sweep.execute import run_sweep
from graphsim.sweep.spec import load_sweep
from tests.conftest import ROOT
from tests.sweep.conftest import LoopbackCluster, booted_sweep, graphsim, write_sweep

HOST_STATS = ("hostSeconds", "hostInstRate")
SAME = ("point", "index", "values", "status", "stats", "digest", "insts", "stop", "error")


def table(outdir) -> list[dict]:
    doc = json.loads((outdir / "results.json").read_text())
    return [{k: row.get(k) for k in SAME} for row in doc["points"]]


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory, benchmark_library):
    """The grid on a LocalCluster of two worker processes."""
    tmp = tmp_path_factory.mktemp("local-sweep")
    spec = load_sweep(write_sweep(tmp, benchmark_library))
    summary = run_sweep(spec, str(tmp / "out"), workers=2)
    assert summary.done == 12 and summary.failed == 0 and summary.skipped == 0
    return tmp / "out"


def test_the_grid_has_twelve_distinct_points(local_sweep):
    rows = table(local_sweep)
    assert len(rows) == 12 and all(r["status"] == "ok" and r["insts"] == 1_000_000 for r in rows)
    assert len({json.dumps(r["values"], sort_keys=True) for r in rows}) == 12
    # the machines really differ: the L1D size changes its misses, the CPU model the IPC
    misses = {r["values"]["components.l1d.size"]: r["stats"]["system.l1d.overallMisses"] for r in rows}
    assert misses["8KiB"] >= misses["16KiB"] >= misses["32KiB"] and misses["8KiB"] > misses["32KiB"]
    ipc = {r["values"]["cpu"]: r["stats"]["system.cpu.ipc"] for r in rows}
    assert ipc["timing"] != ipc["pipelined"]
    csv_lines = (local_sweep / "results.csv").read_text().splitlines()
    assert len(csv_lines) == 13 and "components.l1d.size" in csv_lines[0] and "system.cpu.ipc" in csv_lines[0]


def test_the_longest_points_start_first(local_sweep):
    """Pipelined points take about twice a timing point's time: they are submitted first and with a
    higher Dask priority, so that the sweep does not end on a long point with the other worker idle."""
    rows = sorted(json.loads((local_sweep / "results.json").read_text())["points"], key=lambda r: r["started_at"])
    assert all(r["started_at"] > 0 for r in rows)
    # (each worker runs its points in priority order; however unequal the two workers' speeds,
    # the first four to start are long ones)
    assert [r["values"]["cpu"] for r in rows[:4]] == ["pipelined"] * 4


@pytest.mark.slow
def test_every_point_equals_graphsim_restore_of_that_point(local_sweep, benchmark_library, tmp_path):
    doc = json.loads((local_sweep / "results.json").read_text())
    for row in doc["points"]:
        values = dict(row["values"])
        cpu = values.pop("cpu")
        sets = [a for key, value in values.items() for a in ("--set", f"{key}={value}")]
        alone = tmp_path / row["point"]
        done = graphsim("restore", "matmul-300k", "--library", str(benchmark_library), "--cpu", cpu, *sets,
                        "--max-insts", "1000000", "--digest", "--quiet", "--outdir", str(alone))
        assert done.returncode == 0, done.stderr
        digest = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("digest ")]
        assert digest == [row["digest"]], row["values"]
        mine = json.loads((local_sweep / row["dir"] / "stats.json").read_text())
        theirs = json.loads((alone / "stats.json").read_text())
        strip = lambda dumps: [  # noqa: E731
            {**d, "stats": {k: v for k, v in d["stats"].items() if k not in HOST_STATS}} for d in dumps]
        assert strip(mine) == strip(theirs), row["values"]
        for name, value in row["stats"].items():
            assert theirs[-1]["stats"][name] == value


@pytest.mark.slow
def test_a_loopback_cluster_whose_workers_share_no_library_gives_the_same_table(local_sweep, benchmark_library,
                                                                                tmp_path):
    cluster = LoopbackCluster(tmp_path)
    try:
        spec = load_sweep(write_sweep(tmp_path, benchmark_library))
        summary = run_sweep(spec, str(tmp_path / "out"), scheduler=cluster.address)
        for n in range(2):  # each imported (and verified) its own copy of the checkpoint, in its scratch space
            imported = list((tmp_path / f"worker{n}" / "scratch").rglob("graphsim-sweep/library/checkpoints/cpt-*"))
            assert len(imported) == 1
            assert not (tmp_path / f"worker{n}" / "no-such-library").exists()
    finally:
        cluster.close()
    assert summary.done == 12
    assert table(tmp_path / "out") == table(local_sweep)
    workers = {row["worker"] for row in json.loads((tmp_path / "out" / "results.json").read_text())["points"]}
    assert len(workers) == 2  # both workers ran points


def _client(sweep: str, outdir, scheduler: str | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "graphsim.cli", "sweep", sweep, "--outdir", str(outdir)]
    args += ["--scheduler", scheduler] if scheduler else ["--workers", "2"]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(outdir) -> int:
    try:
        return sum(r["status"] == "ok" for r in json.loads((outdir / "results.json").read_text())["points"])
    except (OSError, ValueError, KeyError):
        return 0


def _wait_until(predicate, timeout=300):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_worker_killed_mid_sweep_loses_no_point_and_counts_none_twice(local_sweep, benchmark_library, tmp_path):
    cluster = LoopbackCluster(tmp_path)
    try:
        sweep = write_sweep(tmp_path, benchmark_library, run="insts = 2_000_000\ndigest = true")
        client = _client(sweep, tmp_path / "out", cluster.address)
        _wait_until(lambda: _finished(tmp_path / "out") >= 2)
        victim = cluster.workers[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        out, err = client.communicate(timeout=600)
    finally:
        cluster.close()
    assert client.returncode == 0, err
    assert "12 done, 0 failed" in err
    rows = json.loads((tmp_path / "out" / "results.json").read_text())["points"]
    assert sorted(r["index"] for r in rows) == list(range(12))  # each point exactly once
    assert len(list((tmp_path / "out" / "points").iterdir())) == 12
    assert all(r["status"] == "ok" and r["insts"] == 2_000_000 for r in rows)


@pytest.mark.slow
def test_killing_the_client_and_rerunning_resumes(local_sweep, benchmark_library, tmp_path):
    sweep = write_sweep(tmp_path, benchmark_library)
    client = _client(sweep, tmp_path / "out")
    _wait_until(lambda: _finished(tmp_path / "out") >= 3)
    client.send_signal(signal.SIGKILL)
    client.communicate()
    first = {r["point"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["points"]}
    finished = {p for p, r in first.items() if r["status"] == "ok"}
    assert 3 <= len(finished) < 12
    again = graphsim("sweep", sweep, "--outdir", str(tmp_path / "out"), "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert f"{len(finished)} point(s) already finished" in again.stderr
    rows = json.loads((tmp_path / "out" / "results.json").read_text())["points"]
    for row in rows:  # the finished points were not run again: their rows are untouched
        if row["point"] in finished:
            assert row == first[row["point"]]
    assert table(tmp_path / "out") == table(local_sweep)


@pytest.mark.slow
def test_a_failed_point_is_reported_and_the_others_run(tmp_path):
    path = booted_sweep(tmp_path, "hello", """[axes]
"components.ram.size" = ["4KiB", "128MiB", "64MiB"]
""", name="fail.toml")
    done = graphsim("sweep", path, "--outdir", str(tmp_path / "out"), "--workers", "1")
    assert done.returncode == 1
    assert "point 0 (components.ram.size=4KiB) failed: hello.elf: loads at 0x80000000" in done.stderr
    assert "2 done, 1 failed, 0 incompatible" in done.stderr
    rows = json.loads((tmp_path / "out" / "results.json").read_text())["points"]
    assert [r["status"] for r in rows] == ["failed", "ok", "ok"]
