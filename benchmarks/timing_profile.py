"""Where the timing models' host time per instruction goes: the functional kernel in record
mode, the compiled timing model consuming the records, and the Python loop around them, next
to the atomic CPU on the same instructions (docs/speed-detailed.md).

    python benchmarks/timing_profile.py [--insts 50e6] [--guests sieve_long,...]    # prints JSON

All figures are CPU time of this process (time.thread_time) per instruction, in ns, so they
hold on a loaded machine; the parts are measured by timing each kernel call and each batch
the model consumes.
"""

import argparse
import os
import time

from common import GUEST_BUILD, LONG_GUESTS, build_machine, emit
from graphsim.cpu.core import Core
from graphsim.sim.machine import RunLimits

CONFIG = "virt-rv64.toml"  # as benchmarks/timing.py: L1I/L1D + L2


def profile(model: str, guest: str, insts: int) -> dict:
    machine = build_machine(CONFIG, [f"components.cpu.type=cpu.{model}"])
    machine.boot(kernel=str(GUEST_BUILD / f"{guest}.elf"))
    parts = {"kernel": 0.0, "model": 0.0}
    core = machine.core
    plain_run = Core.run
    if model != "atomic":
        consume = core._consume

        def timed_run(self, n, until_tick=-1):
            started = time.thread_time()
            try:
                return plain_run(self, n, until_tick)
            finally:
                parts["kernel"] += time.thread_time() - started

        def timed_consume(count):
            started = time.thread_time()
            consume(count)
            parts["model"] += time.thread_time() - started

        Core.run = timed_run
        core._consume = timed_consume
    try:
        started = time.thread_time()
        machine.run(RunLimits(max_insts=insts), slice_insts=10_000_000)
        total = time.thread_time() - started
    finally:
        Core.run = plain_run
    n = machine.instret
    row = {"guest": guest, "model": model, "instructions": n, "ns_per_inst": round(total / n * 1e9, 2)}
    if model != "atomic":
        row["kernel_ns"] = round(parts["kernel"] / n * 1e9, 2)
        row["model_ns"] = round(parts["model"] / n * 1e9, 2)
        row["python_ns"] = round((total - parts["kernel"] - parts["model"]) / n * 1e9, 2)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insts", type=float, default=50e6, help="instructions per guest and model")
    parser.add_argument("--guests", default=",".join(LONG_GUESTS))
    parser.add_argument("--models", default="atomic,timing,pipelined")
    args = parser.parse_args()
    models = args.models.split(",")
    for model in models:  # compile (or load) the kernels first
        m = build_machine(CONFIG, [f"components.cpu.type=cpu.{model}"])
        m.boot(kernel=str(GUEST_BUILD / "hello.elf"))
        m.run(RunLimits(max_insts=100_000))
    load_before = os.getloadavg()[0]
    rows = [profile(model, guest, int(args.insts)) for guest in args.guests.split(",") for model in models]
    emit({"benchmark": "timing_profile", "config": CONFIG,
          "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)], "rows": rows})


if __name__ == "__main__":
    main()
