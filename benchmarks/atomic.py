"""Atomic CPU speed on the long bare-metal benchmarks, QEMU TCG side by side, and the
cold start of a cached install to the first guest instruction.

    python benchmarks/atomic.py [--quick]      # prints JSON

Targets (DESIGN.md): median >= 150 MIPS; cold start <= 1.5 s.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import LONG_GUESTS, ROOT, children_cpu_seconds, emit, median, qemu_seconds, record_history, run_guest


def cold_start() -> float:
    """Seconds from launching `graphsim run` (numba cache warm) to its first guest instruction."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "graphsim.cli", "run", "configs/virt-rv64.toml", "--kernel",
                   "assets/guest/build/hello.elf", "--quiet", "--outdir", out]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # make sure the cache is warm
        started = time.time()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        with open(os.path.join(out, "run.json")) as f:
            return round(json.load(f)["first_instruction_wall"] - started, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop each guest after 200M instructions (no QEMU)")
    parser.add_argument("--no-history", action="store_true", help="do not append the result to benchmarks/history.jsonl")
    args = parser.parse_args()
    # (blocks are compiled in the run, as on a first run: the cache of compiled blocks would skip that
    # after the first time; benchmarks/linux_boot.py measures both)
    os.environ.setdefault("GRAPHSIM_BLOCK_CACHE", "0")
    load_before = os.getloadavg()
    run_guest("virt-rv64-nocache.toml", "hello.elf")  # compile (or load) the kernel before timing
    results = []
    for name in LONG_GUESTS:
        result = run_guest("virt-rv64-nocache.toml", f"{name}.elf", max_insts=200_000_000 if args.quick else None)
        result.pop("machine")
        cpu_before = children_cpu_seconds()
        result["qemu_seconds"] = None if args.quick else qemu_seconds(name)
        if result["qemu_seconds"]:
            result["qemu_mips"] = round(result["instructions"] / result["qemu_seconds"] / 1e6, 1)
            result["qemu_cpu_mips"] = round(result["instructions"] / (children_cpu_seconds() - cpu_before) / 1e6, 1)
        results.append(result)
    document = {"benchmark": "atomic", "quick": args.quick, "target_mips": 150, "block_cache": os.environ["GRAPHSIM_BLOCK_CACHE"],
                "median_mips": median([r["mips"] for r in results]),
                "median_qemu_mips": median([r["qemu_mips"] for r in results if "qemu_mips" in r]),
                "median_cpu_mips": median([r["cpu_mips"] for r in results]),
                "median_qemu_cpu_mips": median([r["qemu_cpu_mips"] for r in results if "qemu_cpu_mips" in r]),
                "cold_start_seconds": cold_start(), "target_cold_start_seconds": 1.5, "guests": results}
    if document["median_qemu_mips"]:
        document["median_ratio_to_qemu"] = round(document["median_mips"] / document["median_qemu_mips"], 3)
        document["target_ratio_to_qemu"] = 0.25
        document["median_cpu_ratio_to_qemu"] = round(document["median_cpu_mips"] / document["median_qemu_cpu_mips"], 3)
    if not args.no_history:
        record_history(document, load_before)
    emit(document)


if __name__ == "__main__":
    main()
