"""Run every benchmark script and print their JSON documents as one list (make bench).
atomic.py, timing.py and linux_boot.py also append their results to benchmarks/history.jsonl
(commit, date, load average), so a later change can be compared with this one."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["first_run.py", "atomic.py", "fp.py", "compile.py", "timing.py", "checkpoint.py", "linux_boot.py"]

documents = []
for script in SCRIPTS:
    if not (HERE / script).exists():
        continue
    result = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True, check=True)
    documents.append(json.loads(result.stdout))
json.dump(documents, sys.stdout, indent=1)
sys.stdout.write("\n")
