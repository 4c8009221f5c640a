"""Atomic CPU speed on FP-heavy code (assets/guest fpbench_long: n-body, double matmul,
Mandelbrot, float SAXPY), with QEMU TCG and the integer benchmarks timed in the same run.

    python benchmarks/fp.py [--quick]      # prints JSON

Targets (issue 10, DESIGN.md): >= 100 MIPS on the FP guest, >= 0.5x the median atomic
MIPS of the integer benchmarks in the same run, >= 0.15x QEMU. The integer guests
run on an rv64gc machine too, to show that F/D costs integer code nothing; they stop
after their first 300M instructions (their speed is steady long before; atomic.py runs
them to the end).
"""

import argparse
import os

from common import LONG_GUESTS, emit, median, qemu_seconds, run_guest

CONFIG = "virt-rv64-nocache.toml"
RV64GC = ["components.cpu.isa=rv64gc"]
FP_GUEST = "fpbench_long"
INTEGER_INSTS = 300_000_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="stop each guest after 200M instructions (no QEMU comparison)")
    args = parser.parse_args()
    limit = 200_000_000 if args.quick else None
    run_guest(CONFIG, "fpbench.elf", RV64GC)  # compile (or load) the kernel before timing
    load_before = os.getloadavg()[0]

    fp = run_guest(CONFIG, f"{FP_GUEST}.elf", RV64GC, max_insts=limit)
    fp.pop("machine")
    fp["qemu_seconds"] = None if args.quick else qemu_seconds(FP_GUEST)
    if fp["qemu_seconds"]:
        fp["qemu_mips"] = round(fp["instructions"] / fp["qemu_seconds"] / 1e6, 1)
        fp["ratio_to_qemu"] = round(fp["mips"] / fp["qemu_mips"], 3)

    integer = {}
    for isa, overrides in (("rv64imac", []), ("rv64gc", RV64GC)):
        runs = []
        for name in LONG_GUESTS:
            r = run_guest(CONFIG, f"{name}.elf", overrides, max_insts=limit or INTEGER_INSTS)
            r.pop("machine")
            runs.append(r)
        integer[isa] = {"median_mips": median([r["mips"] for r in runs]), "guests": runs}

    int_mips = integer["rv64imac"]["median_mips"]
    emit({"benchmark": "fp", "target_mips": 100, "target_ratio_to_integer": 0.5, "target_ratio_to_qemu": 0.15,
          "fp_mips": fp["mips"], "fp_over_integer": round(fp["mips"] / int_mips, 3) if int_mips else None,
          "fp_ratio_to_qemu": fp.get("ratio_to_qemu"),
          "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # (2 cores: above 2 is contention)
          "fp": fp, "integer": integer})


if __name__ == "__main__":
    main()
