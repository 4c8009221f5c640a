"""SimPoint sampling against the full detailed run (prints JSON).

For each guest: the full run on cpu.pipelined with L1/L2 (configs/virt-rv64.toml), timed;
then the sampled flow end to end (profile + cluster + checkpoints + detailed runs on a
2-worker Dask LocalCluster, including starting it), timed; the ratio, the CPI error and the
share of detailed instructions. `runs_only_seconds` is the detailed runs alone (what a
second machine configuration costs once the profile and checkpoints exist). Also the
profiling cost: the same region on plain cpu.atomic and with block counting, in CPU and
wall seconds, and the bound it puts on the end-to-end ratio (full detailed CPU time over
the profile pass's CPU time).

    .venv/bin/python benchmarks/simpoint.py [--guests sieve:50000,qsort:50000,phases:50000,phases_long:2000000] [--no-history]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from common import GUEST_BUILD, ROOT, emit, record_history, run_guest  # noqa: F401  (common sets sys.path)

from graphsim.checkpoint.library import Library  # noqa: E402
from graphsim.simpoint.bbv import TABLE_ENTRIES, BlockCounter  # noqa: E402
from graphsim.simpoint.flow import simpoint_flow  # noqa: E402
from graphsim.simpoint.profile import Workload  # noqa: E402
from graphsim.simpoint.run import run_samples  # noqa: E402

MACHINE = str(ROOT / "configs" / "virt-rv64.toml")


def full_detailed(guest: str) -> dict:
    cpu = time.process_time()
    r = run_guest("virt-rv64.toml", f"{guest}.elf", ["components.cpu.type=cpu.pipelined"])
    cpu = time.process_time() - cpu
    dump = r.pop("machine").stats("end").values
    cycles, insts = dump["system.cpu.numCycles"].value, dump["system.cpu.committedInsts"].value
    return {"seconds": r["seconds"], "cpu_seconds": round(cpu, 3), "instructions": r["instructions"],
            "mips": r["mips"], "cpi": cycles / insts}


def profiling_cost(guest: str) -> dict:
    """The region on plain cpu.atomic and with block counting, in the same slices (the profile's),
    best of two each; CPU seconds beside wall seconds, since the machine may be shared."""
    from common import build_machine
    from graphsim.sim.machine import RunLimits

    def once(counting: bool) -> tuple[float, float]:
        machine = build_machine("virt-rv64.toml")
        machine.boot(kernel=str(GUEST_BUILD / f"{guest}.elf"))
        counter = BlockCounter(machine.core) if counting else None
        blocks: dict[int, int] = {}
        wall, cpu = time.perf_counter(), time.process_time()
        machine.run(RunLimits(), slice_insts=TABLE_ENTRIES // 2,
                    progress=(lambda m: counter.harvest(blocks)) if counting else None)
        return time.perf_counter() - wall, time.process_time() - cpu

    plain = min(once(False) for _ in range(2))
    counting = min(once(True) for _ in range(2))
    return {"atomic_seconds": round(plain[0], 3), "atomic_cpu_seconds": round(plain[1], 3),
            "profiling_seconds": round(counting[0], 3), "profiling_cpu_seconds": round(counting[1], 3),
            "overhead_cpu": round(counting[1] / plain[1] - 1, 3), "overhead_wall": round(counting[0] / plain[0] - 1, 3)}


def sampled(guest: str, interval: int, workdir: str) -> dict:
    library = Library(os.path.join(workdir, f"library-{guest}"))
    outdir = os.path.join(workdir, guest)
    workload = Workload.of(MACHINE, library, kernel=str(GUEST_BUILD / f"{guest}.elf"))
    started = time.perf_counter()
    report = simpoint_flow(workload, library, outdir, interval, max_k=10, k=None, seed=1, dims=15, samples=2,
                           warmup=max(interval, 1_000_000), cpu="pipelined", config=None, overrides=[],
                           scheduler=None, workers=2, verify=False)
    seconds = time.perf_counter() - started
    with open(os.path.join(outdir, "profile.json"), encoding="utf-8") as f:
        prof = json.load(f)
    started = time.perf_counter()
    run_samples(outdir, cpu="pipelined", workers=2)
    runs_only = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "profile_seconds": prof["profile_seconds"],
            "compiled_fraction": round(prof["compiled_insts"] / prof["region_insts"], 3),
            "runs_only_seconds": round(runs_only, 2), "report": report}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", default="sieve:50000,qsort:50000,phases:50000,phases_long:2000000",
                        help="GUEST:INTERVAL,... (bare-metal guests of assets/guest/build)")
    parser.add_argument("--no-history", action="store_true", help="do not append the run to benchmarks/history.jsonl")
    args = parser.parse_args()
    load_before = os.getloadavg()
    out = {"benchmark": "simpoint", "machine": "configs/virt-rv64.toml, cpu.pipelined, L1I/L1D 32 KiB + L2 512 KiB",
           "load_before": [round(x, 2) for x in os.getloadavg()],
           "cores": os.cpu_count(), "guests": []}
    with tempfile.TemporaryDirectory(prefix="graphsim-simpoint-bench-") as workdir:
        for item in args.guests.split(","):
            guest, _, interval = item.partition(":")
            interval = int(interval or 50_000)
            full = full_detailed(guest)
            s = sampled(guest, interval, workdir)
            e = s["report"]["estimate"]
            cost = profiling_cost(guest)
            out["guests"].append({
                "guest": guest, "interval": interval, "instructions": full["instructions"],
                "full_detailed_seconds": full["seconds"], "full_detailed_cpu_seconds": full["cpu_seconds"],
                "full_detailed_mips": full["mips"],
                "sampled_seconds": s["seconds"], "speedup": round(full["seconds"] / s["seconds"], 2),
                "sampled_profile_seconds": s["profile_seconds"],
                "compiled_fraction": s["compiled_fraction"],
                "dask_start_seconds": s["report"]["connect_seconds"],
                # the workers' CPU seconds for the samples (restore, warm-up, measured interval)
                "sample_cpu_seconds": s["report"].get("sample_cpu_seconds"),
                "runs_only_seconds": s["runs_only_seconds"],
                "runs_only_speedup": round(full["seconds"] / s["runs_only_seconds"], 2),
                # no flow that profiles the whole region once on the atomic CPU can beat this ratio
                "bound_full_over_profile_cpu": round(full["cpu_seconds"] / cost["profiling_cpu_seconds"], 2),
                "true_cpi": round(full["cpi"], 4), "estimated_cpi": round(e["cpi"], 4),
                "cpi_error": round((e["cpi"] - full["cpi"]) / full["cpi"], 4),
                "estimated_error_95": None if e["cpi_error_95"] is None else round(e["cpi_error_95"], 4),
                "clusters": e["clusters"], "samples": len(s["report"]["samples"]),
                "detailed_fraction": round(s["report"]["detailed_fraction"], 4),
                "profiling": cost})
            print(json.dumps(out["guests"][-1]), file=sys.stderr, flush=True)  # each guest as it finishes
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if not args.no_history:
        record_history(out, load_before)
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
