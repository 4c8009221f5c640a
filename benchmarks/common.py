"""Helpers shared by the benchmark scripts (each prints one JSON document)."""

from __future__ import annotations

import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "assets" / "guest"))

from graphsim.config.loader import load_machine  # noqa: E402
from graphsim.graph.elaborate import elaborate  # noqa: E402
from graphsim.sim.console import Console  # noqa: E402
from graphsim.sim.machine import Machine, RunLimits  # noqa: E402

GUEST_BUILD = ROOT / "assets" / "guest" / "build"
HISTORY = ROOT / "benchmarks" / "history.jsonl"
LONG_GUESTS = ["sieve_long", "qsort_long", "crc32_long", "matmul_long", "dhrystone_like_long", "memcpy_long"]


def build_machine(config: str, overrides=(), disks=None) -> Machine:
    graph = elaborate(load_machine(ROOT / "configs" / config, list(overrides)))
    return Machine(graph, disks or {}, Console())


def run_guest(config: str, elf: str, overrides=(), max_insts: int | None = None) -> dict:
    """Run a guest to its end (or max_insts); host time covers only the simulation loop."""
    machine = build_machine(config, overrides)
    machine.boot(kernel=str(GUEST_BUILD / elf))
    started, cpu_started = time.perf_counter(), time.process_time()
    stop = machine.run(RunLimits(max_insts=max_insts), slice_insts=10_000_000)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    # (CPU seconds: what the process itself used; on a loaded machine wall-clock MIPS understate the speed)
    return {"guest": elf, "stop": stop.reason, "exit_code": stop.exit_code, "instructions": machine.instret,
            "seconds": round(seconds, 3), "mips": round(machine.instret / seconds / 1e6, 1),
            "cpu_seconds": round(cpu_seconds, 3), "cpu_mips": round(machine.instret / cpu_seconds / 1e6, 1),
            "machine": machine}


def qemu_seconds(name: str) -> float | None:
    """Wall time of QEMU TCG on the same binary (None when QEMU is absent)."""
    import qemu_oracle

    guests = qemu_oracle.load_guests()
    if name not in guests or not qemu_oracle.qemu_available(guests[name].xlen):
        return None
    started = time.perf_counter()
    qemu_oracle.run_guest(guests[name], timeout=600)
    return round(time.perf_counter() - started, 3)


def children_cpu_seconds() -> float:
    """User + system CPU time of the finished child processes so far (QEMU runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(values):
    return round(statistics.median(values), 1) if values else None


def emit(document: dict):
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")


def git_commit() -> str:
    """The checked-out commit, with "+dirty" when the tracked sources differ from it
    (GRAPHSIM_BENCH_COMMIT names it instead, for a tree exported without its .git)."""
    if os.environ.get("GRAPHSIM_BENCH_COMMIT"):
        return os.environ["GRAPHSIM_BENCH_COMMIT"]

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no", "--", "graphsim") else "")


def record_history(document: dict, load_before: tuple):
    """Append one line to benchmarks/history.jsonl: commit, date, load averages before and after, the results."""
    line = {"commit": git_commit(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host_cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()], "result": document}
    with open(HISTORY, "a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
