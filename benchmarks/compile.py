"""Cold compile of every CPU model's kernels, as `graphsim precompile` (make setup) does it,
into an empty cache: CPU and wall seconds per model and per ISA (without and with F/D).

    python benchmarks/compile.py      # prints JSON

Target (issue 12): all CPU models <= 60 s on this machine. The models share code (the
functional kernel, the decoders, softfloat), so a model's seconds are what it adds to
the models before it, in the order precompile uses.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, emit

CHILD = """
import json, sys, time
from graphsim.config.schema import component_kinds
from graphsim.sim import precompile
rows = []
for kind in sorted(k for k in component_kinds() if k.startswith("cpu.")):
    precompile._prepared.add(kind)  # (compiled here, step by step, not by the machines' own prepare)
    for isa in precompile.WARM_UP_ISAS:
        cpu, wall = time.process_time(), time.perf_counter()
        precompile._warm_up_machine(kind, isa)
        rows.append({"model": kind, "isa": isa, "cpu_seconds": round(time.process_time() - cpu, 1),
                     "wall_seconds": round(time.perf_counter() - wall, 1)})
json.dump(rows, sys.stdout)
"""


def main():
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, check=True,
                             env=dict(os.environ, NUMBA_CACHE_DIR=cache))
        wall = time.perf_counter() - started
    rows = json.loads(out.stdout)
    models = {}
    for r in rows:
        m = models.setdefault(r["model"], {"cpu_seconds": 0.0, "wall_seconds": 0.0})
        m["cpu_seconds"] = round(m["cpu_seconds"] + r["cpu_seconds"], 1)
        m["wall_seconds"] = round(m["wall_seconds"] + r["wall_seconds"], 1)
    emit({"benchmark": "compile", "target_seconds": 60,
          "total_cpu_seconds": round(sum(r["cpu_seconds"] for r in rows), 1),
          "total_wall_seconds": round(wall, 1),  # the whole process: imports and set-up too
          "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
          "models": models, "steps": rows})


if __name__ == "__main__":
    main()
