"""The first minute of a new install: `graphsim precompile` (what `make setup` runs) into an empty
kernel cache, then the first `graphsim run` to its first guest instruction, then a cached start.

    python benchmarks/first_run.py      # prints JSON

Targets (issue 12): the first run after set-up reaches its first guest instruction in
<= 2 s; a cached start <= 1.5 s. The fresh install is imitated with an empty GRAPHSIM_CACHE_DIR
(numba's kernels); Python bytecode is as set-up leaves it (it byte-compiles graphsim). The CPU
seconds of each step are given beside the wall time, which a loaded machine stretches.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from common import ROOT, emit

RUN = ["run", "configs/virt-rv64.toml", "--kernel", "assets/guest/build/hello.elf", "--quiet"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def to_first_instruction(env: dict, outdir: str) -> dict:
    """Seconds from launching `graphsim run` to its first guest instruction (from its run.json), and
    the CPU seconds of the whole process (hello.elf runs 2,065 instructions after that)."""
    cpu = cpu_seconds()
    started = time.time()
    subprocess.run([sys.executable, "-m", "graphsim.cli", *RUN, "--outdir", outdir], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    with open(os.path.join(outdir, "run.json")) as f:
        return {"wall_seconds": round(json.load(f)["first_instruction_wall"] - started, 3),
                "process_cpu_seconds": round(cpu_seconds() - cpu, 3)}


def main():
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GRAPHSIM_CACHE_DIR": os.path.join(scratch, "kernels")}
        env.pop("NUMBA_CACHE_DIR", None)
        cpu = cpu_seconds()
        started = time.perf_counter()
        setup = subprocess.run([sys.executable, "-m", "graphsim.cli", "precompile"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True)
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        models = {}
        for line in setup.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 6 and parts[1] == "ready":
                models[parts[0]] = float(parts[-2])  # "cpu.atomic ready (compiled in 31.2 s)"
        first = to_first_instruction(env, os.path.join(scratch, "first"))
        cached = to_first_instruction(env, os.path.join(scratch, "cached"))
    emit({"benchmark": "first_run", "load_average": [round(x, 2) for x in os.getloadavg()],
          "precompile_wall_seconds": round(wall, 1),
          "precompile_cpu_seconds": round(cpu, 1),
          "precompile_wall_seconds_per_model": models,
          "first_run_to_first_instruction": first, "target_first_run_seconds": 2.0,
          "cached_start": cached, "target_cached_start_seconds": 1.5})


if __name__ == "__main__":
    main()
