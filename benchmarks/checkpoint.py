"""Checkpoint write and restore time and on-disk size, for the bare-metal guests and
for graphsim's Linux system at the shell prompt (256 MiB guest); the cost of a second
checkpoint of the same lineage; and restoring onto the pipelined CPU against booting it.

    python benchmarks/checkpoint.py [--no-pipelined-boot]      # prints JSON

Targets (issue #11): write and restore <= 0.3 s each, <= 8 MiB at the prompt; restore onto
the pipelined CPU >= 50x faster than booting it to the same prompt.
"""

import argparse
import os
import re
import statistics
import tempfile
import time

from common import GUEST_BUILD, ROOT, build_machine, emit

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.devices import disk
from graphsim.sim.machine import RunLimits, Trigger

# The prompt is seen at the end of a slice: short slices checkpoint close to it.
PROMPT_SLICE = 1_000_000
GUESTS = ["hello", "sieve", "qsort", "crc32", "matmul", "dhrystone_like", "memcpy"]


def measure(machine, library, repeats: int = 3) -> dict:
    """The first write (every chunk new), best-of-n restores (the host is shared), the size, and
    the cost of a second checkpoint of the same lineage after a million more instructions."""
    cpt, manifest, write = take_checkpoint(machine, library, {"kind": "bench", "detail": ""})
    size = manifest["stored_bytes"]
    restores = []
    for _ in range(repeats):
        disk.forget_hashes()  # each restore checks its disk image's identity, as a fresh `graphsim restore` does
        started = time.perf_counter()
        plan_restore(library, cpt).build()
        restores.append(time.perf_counter() - started)
    machine.run(RunLimits(max_insts=machine.instret + 1_000_000))
    _, again, _ = take_checkpoint(machine, library, {"kind": "bench", "detail": "after 1M more instructions"})
    return {"checkpoint": cpt, "write_seconds": round(write, 4), "restore_seconds": round(min(restores), 4),
            "size_bytes": size, "size_mib": round(size / 2**20, 3),
            "second_checkpoint_bytes": again["stored_bytes"],
            "second_checkpoint_fraction": round(again["stored_bytes"] / size, 4) if size else 0.0}


def pipelined(library, cpt: str, with_boot: bool) -> dict:
    """Restore of the prompt checkpoint onto cpu.pipelined (read, verify, build) against a boot
    of cpu.pipelined to the same prompt."""
    restores = []
    for _ in range(3):
        disk.forget_hashes()
        started = time.perf_counter()
        plan_restore(library, cpt, cpu="pipelined").build()
        restores.append(time.perf_counter() - started)
    result = {"restore_seconds": round(min(restores), 4)}
    if with_boot:
        machine = build_machine("linux.toml", ["components.cpu.type=cpu.pipelined"])
        machine.boot()
        started = time.perf_counter()
        machine.run(RunLimits(max_insts=3_000_000_000), [Trigger("console", re.compile("graphsim:/# "))],
                    slice_insts=PROMPT_SLICE)
        result["boot_seconds"] = round(time.perf_counter() - started, 2)
        result["restore_vs_boot"] = round(result["boot_seconds"] / result["restore_seconds"], 1)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-pipelined-boot", action="store_true", help="skip the (long) pipelined boot")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(tmp)
        for name in GUESTS:
            machine = build_machine("virt-rv64.toml")
            machine.boot(kernel=str(GUEST_BUILD / f"{name}.elf"))
            machine.run(RunLimits(max_insts=1_000_000))
            results[name] = measure(machine, library)
        machine = build_machine("linux.toml")
        machine.boot()
        started = time.perf_counter()
        machine.run(RunLimits(max_insts=3_000_000_000), [Trigger("console", re.compile("graphsim:/# "))],
                    slice_insts=PROMPT_SLICE)
        boot = time.perf_counter() - started
        results["linux_prompt"] = {**measure(machine, library), "boot_seconds": round(boot, 3)}
        linux_pipelined = pipelined(library, results["linux_prompt"]["checkpoint"], not args.no_pipelined_boot)
    linux = results["linux_prompt"]
    emit({"benchmark": "checkpoint", "targets": {"write_seconds": 0.3, "restore_seconds": 0.3, "size_mib": 8,
                                                 "pipelined_restore_vs_boot": 50},
          "load_average": os.getloadavg(), "linux_prompt": linux, "linux_prompt_onto_pipelined": linux_pipelined,
          "bare_metal_median_write_seconds": round(statistics.median(r["write_seconds"] for n, r in results.items()
                                                                     if n != "linux_prompt"), 4),
          "guests": results})


if __name__ == "__main__":
    main()
