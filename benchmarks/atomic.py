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

from common import LONG_GUESTS, ROOT, emit, median, qemu_seconds, run_guest


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
    parser.add_argument("--quick", action="store_true", help="stop each guest after 200M instructions")
    args = parser.parse_args()
    run_guest("virt-rv64-nocache.toml", "hello.elf")  # compile (or load) the kernel before timing
    results = []
    for name in LONG_GUESTS:
        result = run_guest("virt-rv64-nocache.toml", f"{name}.elf", max_insts=200_000_000 if args.quick else None)
        result.pop("machine")
        result["qemu_seconds"] = None if args.quick else qemu_seconds(name)
        if result["qemu_seconds"]:
            result["qemu_mips"] = round(result["instructions"] / result["qemu_seconds"] / 1e6, 1)
        results.append(result)
    emit({"benchmark": "atomic", "target_mips": 150, "median_mips": median([r["mips"] for r in results]),
          "median_qemu_mips": median([r["qemu_mips"] for r in results if "qemu_mips" in r]),
          "cold_start_seconds": cold_start(), "target_cold_start_seconds": 1.5, "guests": results})


if __name__ == "__main__":
    main()
