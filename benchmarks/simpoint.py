"""SimPoint sampling against the full detailed run (prints JSON).

For each guest: the full run on cpu.pipelined with L1/L2 (configs/virt-rv64.toml), timed;
then the sampled flow end to end (profile + cluster + checkpoints + detailed runs on a
2-worker Dask LocalCluster, including starting it), timed; the ratio, the CPI error and the
share of detailed instructions. `runs_only_seconds` is the detailed runs alone (what a
second machine configuration costs once the profile and checkpoints exist). Also the
profiling cost: the same region on plain cpu.atomic and with block counting.

    .venv/bin/python benchmarks/simpoint.py [--guests sieve:50000,qsort:50000,phases:50000,phases_long:2000000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from common import GUEST_BUILD, ROOT, emit, run_guest  # noqa: F401  (common sets sys.path)

from graphsim.checkpoint.library import Library  # noqa: E402
from graphsim.simpoint.bbv import BlockCounter  # noqa: E402
from graphsim.simpoint.flow import simpoint_flow  # noqa: E402
from graphsim.simpoint.profile import Workload  # noqa: E402
from graphsim.simpoint.run import run_samples  # noqa: E402

MACHINE = str(ROOT / "configs" / "virt-rv64.toml")


def full_detailed(guest: str) -> dict:
    r = run_guest("virt-rv64.toml", f"{guest}.elf", ["components.cpu.type=cpu.pipelined"])
    dump = r.pop("machine").stats("end").values
    cycles, insts = dump["system.cpu.numCycles"].value, dump["system.cpu.committedInsts"].value
    return {"seconds": r["seconds"], "instructions": r["instructions"], "mips": r["mips"], "cpi": cycles / insts}


def profiling_cost(guest: str) -> dict:
    """Plain atomic vs atomic with block counting (the same slices as profiling uses)."""
    plain = run_guest("virt-rv64.toml", f"{guest}.elf")
    plain.pop("machine")
    from common import build_machine
    from graphsim.sim.machine import RunLimits

    machine = build_machine("virt-rv64.toml")
    machine.boot(kernel=str(GUEST_BUILD / f"{guest}.elf"))
    counter = BlockCounter(machine.core)
    blocks: dict[int, int] = {}
    started = time.perf_counter()
    machine.run(RunLimits(), slice_insts=counter.slice_insts, progress=lambda m: counter.harvest(blocks))
    seconds = time.perf_counter() - started
    return {"atomic_seconds": plain["seconds"], "profiling_seconds": round(seconds, 3),
            "overhead": round(seconds / plain["seconds"] - 1, 3)}


def sampled(guest: str, interval: int, workdir: str) -> dict:
    library = Library(os.path.join(workdir, f"library-{guest}"))
    outdir = os.path.join(workdir, guest)
    workload = Workload.of(MACHINE, library, kernel=str(GUEST_BUILD / f"{guest}.elf"))
    started = time.perf_counter()
    report = simpoint_flow(workload, library, outdir, interval, max_k=10, k=None, seed=1, dims=15, samples=2,
                           warmup=max(interval, 1_000_000), cpu="pipelined", config=None, overrides=[], scheduler=None, workers=2,
                           verify=False)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_samples(outdir, cpu="pipelined", workers=2)
    runs_only = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "runs_only_seconds": round(runs_only, 2), "report": report}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", default="sieve:50000,qsort:50000,phases:50000,phases_long:2000000",
                        help="GUEST:INTERVAL,... (bare-metal guests of assets/guest/build)")
    args = parser.parse_args()
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
            out["guests"].append({
                "guest": guest, "interval": interval, "instructions": full["instructions"],
                "full_detailed_seconds": full["seconds"], "full_detailed_mips": full["mips"],
                "sampled_seconds": s["seconds"], "speedup": round(full["seconds"] / s["seconds"], 2),
                "runs_only_seconds": s["runs_only_seconds"],
                "runs_only_speedup": round(full["seconds"] / s["runs_only_seconds"], 2),
                "true_cpi": round(full["cpi"], 4), "estimated_cpi": round(e["cpi"], 4),
                "cpi_error": round((e["cpi"] - full["cpi"]) / full["cpi"], 4),
                "estimated_error_95": None if e["cpi_error_95"] is None else round(e["cpi_error_95"], 4),
                "clusters": e["clusters"], "samples": len(s["report"]["samples"]),
                "detailed_fraction": round(s["report"]["detailed_fraction"], 4),
                "profiling": profiling_cost(guest)})
            print(json.dumps(out["guests"][-1]), file=sys.stderr, flush=True)  # each guest as it finishes
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
