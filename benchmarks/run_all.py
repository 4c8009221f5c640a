"""Run every benchmark script and print their JSON documents as one list (make bench)."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["atomic.py", "fp.py", "compile.py", "timing.py", "checkpoint.py", "linux_boot.py"]

documents = []
for script in SCRIPTS:
    if not (HERE / script).exists():
        continue
    result = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True, check=True)
    documents.append(json.loads(result.stdout))
json.dump(documents, sys.stdout, indent=1)
sys.stdout.write("\n")
