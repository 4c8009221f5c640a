"""Boot of graphsim's Linux system (configs/linux.toml: defconfig kernel, busybox +
glibc on ext4) to the shell prompt on each CPU model, QEMU side by side; the tiny
guest (configs/linux-tiny.toml) on the atomic CPU for reference.

    python benchmarks/linux_boot.py [--models atomic,timing,pipelined]   # prints JSON

Targets (issue #11): atomic <= 1.0 s of simulation to the prompt and faster than QEMU's
wall time to the same prompt.

The atomic boot is measured three times, each in a fresh process sharing a new, empty cache of
compiled blocks (graphsim/cpu/jit/cache.py): `"block_cache": "cold"` is a first boot (no
compiled block on disk, as for a user's first run), after which that process compiles the
blocks it wanted into the cache as its exit would (`cache_fill_cpu_seconds`, at most 8 s of
CPU: the most executed blocks first, the rest at the next exit); then `"block_cache": "warm"`
boots again with that cache (`warmed_by`: the cold boot), fills it too, and a third boot runs
with the cache the two left. The other models and the tiny guest run in this process with the
block cache off (the timing models do not compile blocks).
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def boot_in_fresh_process(config: str, cpu: str, block_cache: str, fill: bool) -> dict:
    """boot_seconds in a new process with the block cache in directory block_cache (then, if fill, the
    blocks it wanted compiled into it, timed)."""
    env = dict(os.environ, GRAPHSIM_BLOCK_CACHE=block_cache)
    out = subprocess.run([sys.executable, __file__, "--one", config, cpu] + (["--fill"] if fill else []), env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def one_boot(config: str, cpu: str, fill: bool):
    from graphsim.cpu.jit import engine

    result = boot_seconds(config, cpu)
    comp = engine.compiler()
    result.update(blocks_compiled=comp.compiled, blocks_loaded=comp.loaded,
                  compile_cpu_seconds=round(comp.seconds, 3), load_cpu_seconds=round(comp.load_seconds, 3))
    if fill:
        started = time.process_time()
        result["cache_filled_blocks"] = engine.fill_cache()
        result["cache_fill_cpu_seconds"] = round(time.process_time() - started, 3)
    print(json.dumps(result))


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
    parser.add_argument("--one", nargs=2, metavar=("CONFIG", "CPU"), help=argparse.SUPPRESS)  # (one boot, in a child)
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_boot(*args.one, args.fill)
        return
    os.environ["GRAPHSIM_BLOCK_CACHE"] = "0"  # (this process's boots)
    load_before = os.getloadavg()
    build_machine("virt-rv64.toml")  # load the compiled kernels before timing
    results = []
    for cpu in args.models.split(","):
        if cpu != "atomic":
            results.append(boot_seconds("linux.toml", cpu))
            continue
        with tempfile.TemporaryDirectory(prefix="graphsim-blocks-") as blocks:
            cold = boot_in_fresh_process("linux.toml", cpu, blocks, fill=True)
            warm = boot_in_fresh_process("linux.toml", cpu, blocks, fill=True)
            again = boot_in_fresh_process("linux.toml", cpu, blocks, fill=False)
        results += [dict(cold, block_cache="cold"), dict(warm, block_cache="warm", warmed_by="the cold boot above"),
                    dict(again, block_cache="warm", warmed_by="the two boots above")]
    results.append(boot_seconds("linux-tiny.toml", "atomic"))
    document = {"benchmark": "linux_boot", "target_atomic_seconds": 1.0, "qemu_seconds": qemu_seconds(),
                "load_average": os.getloadavg(), "models": results}
    if not args.no_history:
        record_history(document, load_before)
    emit(document)


if __name__ == "__main__":
    main()
