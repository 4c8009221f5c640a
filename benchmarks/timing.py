"""Timing CPU models' speed on the long bare-metal benchmarks, with the L1I/L1D + L2
hierarchy of configs/virt-rv64.toml, the atomic CPU side by side.

    python benchmarks/timing.py [--quick] [--models timing,pipelined]    # prints JSON

Targets (DESIGN.md): cpu.timing >= 50 MIPS, cpu.pipelined >= 20 MIPS (medians).
Host time covers only the simulation loop (numba caches are warmed first).
"""

import argparse

from common import LONG_GUESTS, emit, median, run_guest

TARGETS = {"timing": 50, "pipelined": 20, "atomic": 150}
CONFIG = "virt-rv64.toml"  # 32 KiB L1I + 32 KiB L1D, 512 KiB L2, 128 MiB RAM


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop each guest after 200M instructions")
    parser.add_argument("--models", default="atomic,timing,pipelined", help="comma-separated CPU models")
    args = parser.parse_args()
    models = args.models.split(",")
    limit = 200_000_000 if args.quick else None
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
    emit({"benchmark": "timing", "config": CONFIG,
          "target_mips": {m: TARGETS[m] for m in models},
          "median_mips": {m: median([r["mips"] for r in results[m]]) for m in models},
          "guests": [r for m in models for r in results[m]]})


if __name__ == "__main__":
    main()
