"""Timing CPU models' speed on the long bare-metal benchmarks, with the L1I/L1D + L2
hierarchy of configs/virt-rv64.toml, the atomic CPU side by side; and the cold compile
time of the timing models' own kernels.

    python benchmarks/timing.py [--quick] [--models timing,pipelined] [--no-compile]    # prints JSON

Targets (DESIGN.md): cpu.timing >= 100 MIPS, cpu.pipelined >= 50 MIPS (medians).
Host time covers only the simulation loop (numba caches are warmed first). Each guest's
`cpu_mips` counts the process's own CPU time: on a loaded machine (`load_average`) the
wall-clock `mips` understate the speed.

Cold compile (`compile`): for each timing model, a fresh process whose numba cache holds
only the functional kernel (copied from the warm cache; it is shared by every model and
compiled by `graphsim precompile cpu.atomic`) runs the model's warm-up, as
`graphsim precompile` does: wall and CPU seconds to compile the model's own code.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import LONG_GUESTS, ROOT, emit, median, record_history, run_guest

TARGETS = {"timing": 100, "pipelined": 50, "atomic": 150}
CONFIG = "virt-rv64.toml"  # 32 KiB L1I + 32 KiB L1D, 512 KiB L2, 128 MiB RAM

_WARM_UP = """
import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
from graphsim.sim.precompile import warm_up
warm_up(sys.argv[1])
print(json.dumps({"seconds": round(time.perf_counter() - wall, 2), "cpu_seconds": round(time.process_time() - cpu, 2)}))
"""


def cold_compile(kind: str) -> dict:
    """Compile CPU model `kind`'s own kernels in a fresh process, the functional kernel cached."""
    from graphsim.isa import _jitcache

    kernel_cache = _jitcache.cache_dir()
    with tempfile.TemporaryDirectory(prefix="graphsim-compile-") as root:
        shutil.copytree(kernel_cache, Path(root) / kernel_cache.name)
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env["GRAPHSIM_CACHE_DIR"] = root
        env["PYTHONPATH"] = str(ROOT)
        result = subprocess.run([sys.executable, "-c", _WARM_UP, kind], env=env, capture_output=True, text=True,
                                check=True)
    return json.loads(result.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop each guest after 200M instructions")
    parser.add_argument("--models", default="atomic,timing,pipelined", help="comma-separated CPU models")
    parser.add_argument("--no-compile", action="store_true", help="skip the cold compile measurements")
    parser.add_argument("--no-history", action="store_true", help="do not append the result to benchmarks/history.jsonl")
    args = parser.parse_args()
    # (blocks are compiled in the run, as on a first run: the cache of compiled blocks would skip that
    # after the first time; benchmarks/linux_boot.py measures both)
    os.environ.setdefault("GRAPHSIM_BLOCK_CACHE", "0")
    models = args.models.split(",")
    limit = 200_000_000 if args.quick else None
    load_averages = os.getloadavg()
    load_before = load_averages[0]
    for model in models:  # compile (or load) every kernel before timing
        run_guest(CONFIG, "hello.elf", [f"components.cpu.type=cpu.{model}"])
    results = {model: [] for model in models}
    for name in LONG_GUESTS:
        for model in models:
            result = run_guest(CONFIG, f"{name}.elf", [f"components.cpu.type=cpu.{model}"], max_insts=limit)
            machine = result.pop("machine")
            stats = {n: v for n, v, _d, _u in machine.core.stats()}
            result["model"] = model
            result["cpi"] = stats.get("system.cpu.cpi")
            result["l1d_miss_rate"] = stats.get("system.l1d.overallMissRate")
            result["branch_mpki"] = stats.get("system.cpu.branchPred.mpki")
            results[model].append(result)
    document = {"benchmark": "timing", "config": CONFIG,
                "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "target_mips": {m: TARGETS[m] for m in models},
                "median_mips": {m: median([r["mips"] for r in results[m]]) for m in models},
                "median_cpu_mips": {m: median([r["cpu_mips"] for r in results[m]]) for m in models},
                "guests": [r for m in models for r in results[m]]}
    if not args.no_compile:
        document["compile"] = {m: cold_compile(f"cpu.{m}") for m in models if m != "atomic"}
    emit(document)
    if not args.no_history:
        record_history(document, load_averages)


if __name__ == "__main__":
    main()
