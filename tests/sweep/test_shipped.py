"""The sweep files shipped in configs/sweeps/ are valid, and the booted one runs."""

import json
from pathlib import Path

from graphsim.sweep.plan import check_points
from graphsim.sweep.spec import load_sweep
from tests.conftest import CONFIGS
from tests.sweep.conftest import sweep_in_process

SHIPPED = sorted((CONFIGS / "sweeps").glob("*.toml"))


def test_shipped_sweep_files_parse():
    assert SHIPPED
    for path in SHIPPED:
        spec = load_sweep(path)
        assert spec.points and spec.collect


def test_the_booted_example_checks_and_runs(tmp_path):
    path = CONFIGS / "sweeps" / "matmul-boot.toml"
    plan = check_points(load_sweep(path))
    assert len(plan.tasks) == 4 and not plan.skipped
    sweep_in_process(str(path), tmp_path / "out")
    rows = json.loads(Path(tmp_path / "out" / "results.json").read_text())["points"]
    assert [r["status"] for r in rows] == ["ok"] * 4, [r["error"] for r in rows]
    assert all(r["stop"] == "exit" for r in rows)
