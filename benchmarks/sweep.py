"""Sweeps: parallel speed-up on this machine and the per-point overhead.

    python benchmarks/sweep.py [--parts grid,warming,linux] [--insts N]   # prints JSON

1. A 12-point sweep (L1D size x L2 size x CPU model) of a benchmark guest from a checkpoint,
   run on a LocalCluster of 2 worker processes (`graphsim sweep`'s default here, cluster start
   included) against the same 12 points run one after another (a) in one process with the same
   code, kernels already loaded (the strictest baseline: no start-up at all) and (b) as 12
   `graphsim restore` commands, as one would without sweeps. Target: parallel <= 0.6 x sequential
   on 2 cores. With a timeline (the client's moments; each worker's points, start, end and CPU
   seconds; idle gaps) and a CPU-time view for a loaded machine: the start-up and close each
   worker paid plus its points' CPU seconds, against the sequential run's CPU seconds.
2. The cost of warming caches while fast-forwarding: cpu.atomic_warm (atomic with the cache tag
   models driven) against plain cpu.atomic and the timing CPU, in MIPS on long guests.
3. The per-point overhead for a checkpoint of Linux at the shell prompt: shipping the checkpoint
   (its exported file, verified and imported once per worker), restoring it, running a handful of
   instructions and collecting the results. Target: < 0.5 s a point.

The machine may be shared: the load averages before and after are part of the output.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import GUEST_BUILD, build_machine, emit, run_guest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import RunLimits, Trigger
from graphsim.sweep.execute import _archive, run_sweep
from graphsim.sweep.plan import check_points, sha256_bytes
from graphsim.sweep.spec import load_sweep
from graphsim.sweep.worker import run_point

GRID = """
[axes]
"components.l1d.size" = ["8KiB", "16KiB", "32KiB"]
"components.l2.size" = ["128KiB", "256KiB"]
cpu = ["timing", "pipelined"]
"""
POINT_INSTS = 100_000_000


def write(path: Path, library: str, checkpoint: str, run: str, axes: str) -> str:
    path.write_text(f'version = 1\n[sweep]\nname = "{path.stem}"\nlibrary = "{library}"\n'
                    f'[start]\ncheckpoint = "{checkpoint}"\n[run]\n{run}\n'
                    f'[stats]\ncollect = ["simInsts", "system.cpu.ipc"]\n{axes}')
    return str(path)


def sequential(path: str) -> tuple[float, list[float], float]:
    """The points one after another in this process (after one untimed point loads everything):
    wall seconds, each point's wall seconds, CPU seconds."""
    plan = check_points(load_sweep(path))
    archive = _archive(plan)
    sha = sha256_bytes(archive)
    files = {sha_: Path(p).read_bytes() for sha_, p in plan.files.items()}
    run_point(plan.tasks[0].as_dict(), archive, sha, files)
    walls = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for task in plan.tasks:
        result = run_point(task.as_dict(), archive, sha, files)
        assert result["status"] == "ok", result["error"]
        walls.append(result["wall_seconds"])
    return time.perf_counter() - started, walls, time.process_time() - cpu_started


def as_processes(path: str, library: str, outdir: Path) -> float:
    """The points as `graphsim restore` commands, one after another."""
    spec = load_sweep(path)
    started = time.perf_counter()
    for point in spec.points:
        values = dict(point.values)
        cpu = values.pop("cpu")
        sets = [a for key, value in values.items() for a in ("--set", f"{key}={value}")]
        subprocess.run([sys.executable, "-m", "graphsim.cli", "restore", spec.checkpoint, "--library", library,
                        "--cpu", cpu, *sets, "--max-insts", str(spec.insts), "--quiet",
                        "--outdir", str(outdir / point.dirname)], check=True, capture_output=True)
    return time.perf_counter() - started


def forkserver_cpu() -> float:
    """CPU seconds of the forkserver the LocalCluster's workers are forked from (graphsim/sweep/
    execute.py), with those of the children it has reaped: the workers are its children, not this
    process's. (multiprocessing keeps its pid in a private attribute.)"""
    import multiprocessing.forkserver

    pid = multiprocessing.forkserver._forkserver._forkserver_pid
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def parallel(path: str, outdir: str):
    """The sweep on a LocalCluster of 2 workers: wall seconds, its summary, and the CPU seconds of
    the client (with the scheduler and the nannies) and of the worker processes."""
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    forked_before = forkserver_cpu()
    summary = run_sweep(load_sweep(path), outdir, workers=2, stream=open(os.devnull, "w"))
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu, workers_cpu = (a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(cpu_after, cpu_before))
    workers_cpu += forkserver_cpu() - forked_before
    assert summary.failed == 0
    return seconds, summary, client_cpu, workers_cpu


def timeline(summary) -> dict:
    """Where the sweep's time went: the client's moments and each worker's points (seconds from
    the sweep's start; both clocks are this machine's), with the idle gaps between them."""
    start = summary.timeline["started_at"]
    workers: dict[str, list[dict]] = {}
    for row in sorted(summary.results.rows.values(), key=lambda r: r["started_at"]):
        begin = row["started_at"] - start
        workers.setdefault(row["worker"].rsplit(":", 1)[-1], []).append(
            {"point": row["index"], "cpu": row["values"]["cpu"], "start": round(begin, 3),
             "end": round(begin + row["wall_seconds"], 3), "cpu_seconds": row["cpu_seconds"]})
    last = summary.timeline["last_result"]
    out = {"client": {k: v for k, v in summary.timeline.items() if k != "started_at"}, "workers": {}}
    for pid, points in workers.items():
        gaps = sum(b["start"] - a["end"] for a, b in zip(points, points[1:]))
        out["workers"][f"pid {pid}"] = {
            "first_point_starts": points[0]["start"], "idle_between_points": round(gaps, 3),
            "idle_after_last_point": round(last - points[-1]["end"], 3),
            "point_cpu_seconds": round(sum(p["cpu_seconds"] for p in points), 3), "points": points}
    return out


WARM_GUESTS = ["matmul_long", "memcpy_long", "qsort_long"]
WARM_INSTS = 100_000_000


def warming_cost() -> dict:
    """MIPS of atomic, atomic_warm and timing on the same instructions (best of two runs each)."""
    out = {}
    for guest in WARM_GUESTS:
        mips = {}
        for cpu in ("atomic", "atomic_warm", "timing"):
            runs = [run_guest("virt-rv64.toml", f"{guest}.elf", [f"components.cpu.type=cpu.{cpu}"], WARM_INSTS)
                    for _ in range(2)]
            for run in runs:
                run["machine"].close()
            mips[cpu] = max(r["mips"] for r in runs)
        out[guest] = {**mips, "atomic_warm_over_atomic": round(mips["atomic_warm"] / mips["atomic"], 3)}
    out["median_atomic_warm_over_atomic"] = round(statistics.median(
        v["atomic_warm_over_atomic"] for v in out.values()), 3)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="grid,warming,linux", help="which measurements (default: all three)")
    parser.add_argument("--insts", type=int, default=POINT_INSTS, help="instructions per grid point")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    load_before = os.getloadavg()
    out = {"benchmark": "sweep", "targets": {"parallel_over_sequential": 0.6, "linux_point_overhead_seconds": 0.5},
           "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        library = Library(str(tmp / "lib"))
        machine = build_machine("virt-rv64.toml")
        machine.boot(kernel=str(GUEST_BUILD / "matmul_long.elf"))
        machine.run(RunLimits(max_insts=1_000_000))
        take_checkpoint(machine, library, {"kind": "bench", "detail": ""}, name="matmul")
        grid = write(tmp / "grid.toml", library.root, "matmul", f"insts = {args.insts}", GRID)
        if "grid" in parts:
            out["grid"] = measure_grid(grid, library, tmp, args.insts)
        if "warming" in parts:
            out["warming"] = {"insts": WARM_INSTS, **warming_cost()}
        if "linux" in parts:
            out["linux_prompt"] = measure_linux(library, tmp)
    out["load_average_before"] = [round(v, 2) for v in load_before]
    out["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    emit(out)


def measure_grid(grid: str, library: Library, tmp: Path, insts: int) -> dict:
    seq_seconds, seq_walls, seq_cpu = sequential(grid)
    proc_seconds = as_processes(grid, library.root, tmp / "restores")
    par_seconds, summary, client_cpu, workers_cpu = parallel(grid, str(tmp / "grid-out"))
    assert summary.done == 12
    rows = summary.results.rows
    steps = timeline(summary)
    # On a loaded machine the wall times say little. From CPU seconds alone: a worker's share of
    # the start-up and close (its CPU outside points: interpreter, Dask, kernels, exit), half the
    # client's (scheduler and nannies, on the same two cores), and the busiest worker's points.
    workers = steps["workers"]
    busiest = max(w["point_cpu_seconds"] for w in workers.values())
    outside_points = (workers_cpu - sum(w["point_cpu_seconds"] for w in workers.values())) / len(workers)
    estimate = client_cpu / 2 + outside_points + busiest
    return {"points": 12, "insts_per_point": insts, "guest": "matmul_long",
            "sequential_seconds": round(seq_seconds, 3),
            "parallel_seconds_localcluster_2_workers": round(par_seconds, 3),
            "parallel_over_sequential": round(par_seconds / seq_seconds, 3),
            "sequential_restore_commands_seconds": round(proc_seconds, 3),
            "parallel_over_sequential_restore_commands": round(par_seconds / proc_seconds, 3),
            "cpu_view": {
                "sequential_cpu_seconds": round(seq_cpu, 3),
                "sweep_cpu_seconds_client_scheduler_nannies": round(client_cpu, 3),
                "sweep_cpu_seconds_workers": round(workers_cpu, 3),
                "points_cpu_seconds_on_workers": round(sum(w["point_cpu_seconds"] for w in workers.values()), 3),
                "worker_cpu_seconds_outside_points": round(outside_points, 3),
                "busiest_worker_points_cpu_seconds": round(busiest, 3),
                "estimate_seconds": round(estimate, 3),
                "estimate_over_sequential": round(estimate / seq_cpu, 3)},
            "sequential_point_seconds_median": round(statistics.median(seq_walls), 3),
            "localcluster_start_seconds": summary.connect_seconds,
            "worker_point_seconds_median": round(statistics.median(r["wall_seconds"] for r in rows.values()), 3),
            "worker_point_cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in rows.values()), 3),
            "timeline": steps}


def measure_linux(library: Library, tmp: Path) -> dict:
    linux = build_machine("linux.toml")
    linux.boot()
    stop = linux.run(RunLimits(max_insts=200_000_000), [Trigger("console", re.compile("graphsim:/# "))])
    assert stop.reason == "checkpoint", stop
    cpt, manifest, _ = take_checkpoint(linux, library, {"kind": "bench", "detail": "prompt"}, name="prompt")
    linux.close()
    axes = '[axes]\ncpu = ["atomic", "timing"]\n"components.l2.size" = ' \
           '["256KiB", "512KiB", "1MiB", "2MiB", "4MiB", "8MiB"]\n'
    path = write(tmp / "linux.toml", library.root, "prompt", "insts = 1000", axes)
    started = time.perf_counter()
    _, summary, _, _ = parallel(path, str(tmp / "linux-out"))
    rows = summary.results.rows
    total = time.perf_counter() - started
    by_worker: dict[str, list[tuple[float, float]]] = {}
    for row in sorted(rows.values(), key=lambda r: r["started_at"]):
        by_worker.setdefault(row["worker"], []).append((row["wall_seconds"], row["cpu_seconds"]))
    firsts = [walls[0][0] for walls in by_worker.values()]
    later = [w for walls in by_worker.values() for w, _ in walls[1:]]
    later_cpu = [c for walls in by_worker.values() for _, c in walls[1:]]
    archive = Path(tmp / "prompt.tar")
    library.export(cpt, str(archive))
    return {"checkpoint_instret": manifest["position"]["instret"], "exported_bytes": archive.stat().st_size,
            "points": len(rows), "insts_per_point": 1000,
            "point_overhead_seconds_median": round(statistics.median(later), 3),
            "point_overhead_seconds_max": round(max(later), 3),
            "point_overhead_cpu_seconds_median": round(statistics.median(later_cpu), 3),
            "first_point_per_worker_seconds": [round(f, 3) for f in firsts],
            "sweep_seconds_including_cluster_start": round(total, 3), "timeline": timeline(summary)}


if __name__ == "__main__":
    main()
