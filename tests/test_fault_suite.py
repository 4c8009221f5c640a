"""The fault suite's smoke variant (benchmarks/faults.py --smoke): a few cases of every attack, so the
suite itself keeps working; its full size runs outside CI's time budget (figures in the README)."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_fault_suite_smoke():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--smoke"], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    attacks = {line["attack"] for line in lines}
    assert {"kill", "mutate", "machines"} <= attacks and len([a for a in attacks if a.startswith("guest_")]) == 8
    assert all(line["problems"] == 0 for line in lines), [line for line in lines if line["problems"]]
    assert result.returncode == 0, result.stderr[-2000:]
    kill = next(line for line in lines if line["attack"] == "kill")
    assert kill["damaged_listed"] == kill["earlier_harmed"] == kill["left_after_gc"] == 0
    assert next(line for line in lines if line["attack"] == "mutate")["cases"] == 30
