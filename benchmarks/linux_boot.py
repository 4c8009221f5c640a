"""Boot of graphsim's Linux system (configs/linux.toml: defconfig kernel, busybox +
glibc on ext4) to the shell prompt on each CPU model, QEMU side by side; the tiny
guest (configs/linux-tiny.toml) on the atomic CPU for reference.

    python benchmarks/linux_boot.py [--models atomic,timing,pipelined]   # prints JSON

Targets (issue #11): atomic <= 1.0 s of simulation to the prompt and faster than QEMU's
wall time to the same prompt.
"""

import argparse
import importlib.util
import os
import re
import shutil
import sys
import time

from common import ROOT, build_machine, emit, record_history

from graphsim.checkpoint.restore import cpu_models
from graphsim.sim.machine import RunLimits, Trigger

PROMPT = "graphsim:/# "
# The prompt is seen at the end of a slice: short slices keep the instructions reported those of the
# prompt. (No simulated time: after the prompt the idle guest's clock jumps to its next timer, seconds
# ahead, within the same slice.)
PROMPT_SLICE = 1_000_000


def boot_seconds(config: str, cpu: str) -> dict:
    machine = build_machine(config, [f"components.cpu.type=cpu.{cpu}"])
    machine.boot()
    machine.run(RunLimits(max_insts=1))  # (compiles or loads this machine's kernel before timing)
    started, cpu_started = time.perf_counter(), time.process_time()
    stop = machine.run(RunLimits(max_insts=3_000_000_000), [Trigger("console", re.compile(PROMPT))],
                       slice_insts=PROMPT_SLICE)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {"config": config, "cpu": f"cpu.{cpu}", "reached_prompt": stop.reason == "checkpoint",
            "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3), "instructions": machine.instret,
            "mips": round(machine.instret / seconds / 1e6, 1)}


def load_run_qemu():
    path = ROOT / "assets" / "linux" / "system" / "run_qemu.py"
    spec = importlib.util.spec_from_file_location("run_qemu_system_bench", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def qemu_seconds(repeats: int = 3) -> float | None:
    """QEMU's best wall time from launch to the same prompt (real time: QEMU does not skip idle time)."""
    run_qemu = load_run_qemu()
    if shutil.which(run_qemu.QEMU) is None:
        return None
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with run_qemu.Guest(run_qemu.qemu_command()).start() as guest:
            guest.expect(PROMPT, 300)
            times.append(time.perf_counter() - started)
    return round(min(times), 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(cpu_models()), help="CPU models to boot (comma separated)")
    parser.add_argument("--no-history", action="store_true", help="do not append the result to benchmarks/history.jsonl")
    args = parser.parse_args()
    load_before = os.getloadavg()
    build_machine("virt-rv64.toml")  # load the compiled kernels before timing
    results = [boot_seconds("linux.toml", cpu) for cpu in args.models.split(",")]
    results.append(boot_seconds("linux-tiny.toml", "atomic"))
    document = {"benchmark": "linux_boot", "target_atomic_seconds": 1.0, "qemu_seconds": qemu_seconds(),
                "load_average": os.getloadavg(), "models": results}
    if not args.no_history:
        record_history(document, load_before)
    emit(document)


if __name__ == "__main__":
    main()
