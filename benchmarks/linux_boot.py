"""Linux boot to the shell prompt on each CPU model, QEMU TCG side by side.

    python benchmarks/linux_boot.py        # prints JSON

Target (DESIGN.md): atomic CPU <= 2 s of simulation to the prompt.
"""

import importlib.util
import re
import shutil
import sys
import time

from common import ROOT, build_machine, emit

from graphsim.checkpoint.restore import cpu_models
from graphsim.sim.machine import RunLimits, Trigger

PROMPT = "graphsim:/# "


def boot_seconds(cpu: str) -> dict:
    machine = build_machine("linux-tiny.toml", [f"components.cpu.type=cpu.{cpu}"])
    machine.boot()
    started = time.perf_counter()
    stop = machine.run(RunLimits(max_insts=300_000_000), [Trigger("console", re.compile(PROMPT))])
    seconds = time.perf_counter() - started
    return {"cpu": f"cpu.{cpu}", "reached_prompt": stop.reason == "checkpoint", "seconds": round(seconds, 3),
            "instructions": machine.instret, "mips": round(machine.instret / seconds / 1e6, 1),
            "simulated_seconds": round(machine.tick / 1e12, 6)}


def qemu_seconds() -> float | None:
    path = ROOT / "assets" / "linux" / "run_qemu.py"
    spec = importlib.util.spec_from_file_location("run_qemu_bench", path)
    run_qemu = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = run_qemu
    spec.loader.exec_module(run_qemu)
    if shutil.which(run_qemu.QEMU) is None:
        return None
    started = time.perf_counter()
    with run_qemu.Guest(run_qemu.qemu_command(append="console=ttyS0")).start() as guest:
        guest.wait_prompt(60)
        return round(time.perf_counter() - started, 3)


def main():
    build_machine("virt-rv64.toml")  # load the compiled kernels before timing
    results = [boot_seconds(cpu) for cpu in cpu_models()]
    emit({"benchmark": "linux_boot", "target_atomic_seconds": 2.0, "qemu_seconds": qemu_seconds(),
          "models": results})


if __name__ == "__main__":
    main()
