"""The configuration commands: validate, show (golden dumps), graph, docs."""

import subprocess
import sys

import pytest

from graphsim.cli import main
from graphsim.config.loader import load_machine
from graphsim.config.reference import reference
from graphsim.graph.dump import resolved_toml
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS, ROOT

SHIPPED = sorted(CONFIGS.glob("*.toml"))
GOLDEN = ROOT / "tests" / "golden"


def normalise(text: str) -> str:
    return text.replace(str(ROOT), "$ROOT")


@pytest.mark.parametrize("config", SHIPPED, ids=lambda p: p.name)
def test_validate_every_shipped_machine(config, capsys):
    assert main(["validate", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ok — machine" in out and "address map" in out


@pytest.mark.parametrize("config", SHIPPED, ids=lambda p: p.name)
def test_resolved_dump_matches_golden_and_round_trips(config, tmp_path):
    text = resolved_toml(elaborate(load_machine(config)))
    golden = GOLDEN / f"{config.stem}.show.toml"
    assert normalise(text) == golden.read_text(), f"regenerate with: python -m tests.golden.regenerate"
    # the dump is itself a machine file that elaborates to the same machine
    again = tmp_path / "again.toml"
    again.write_text(text)
    assert resolved_toml(elaborate(load_machine(again))) == text


@pytest.mark.parametrize("config", SHIPPED, ids=lambda p: p.name)
def test_graph_draws_every_machine(config, tmp_path):
    out = tmp_path / "m.svg"
    assert main(["graph", str(config), "-o", str(out)]) == 0
    svg = out.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "membus" in svg


def test_graph_formats(tmp_path, capsys):
    config = str(CONFIGS / "virt-rv64.toml")
    assert main(["graph", config]) == 0
    assert capsys.readouterr().out.startswith('digraph "virt-rv64"')
    assert main(["graph", config, "-o", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["graph", config, "-o", str(tmp_path / "m.gif")]) == 1
    assert "unknown diagram format 'gif'" in capsys.readouterr().err


def test_docs_reference_is_current():
    assert (ROOT / "docs" / "components.md").read_text() == reference(), "regenerate with: make docs"


def test_bad_input_is_one_line_per_problem_and_exit_1(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\ninclude = ['%s']\n[components.cpu]\ntype='cpu.atomic'\nfrequency='1Ghz'\n"
                   "icache_port='membus.cpu_side'\ndcache_port='membus.cpu_side'\n[components.l1d]\ntype='cache'\n"
                   "size='32KB'\nmem_side='membus.cpu_side'\n" % (CONFIGS / "include" / "virt-devices.toml"))
    result = subprocess.run([sys.executable, "-m", "graphsim.cli", "validate", str(bad)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {bad}: components.cpu.frequency: '1Ghz' has unknown unit 'Ghz'; did you mean '1GHz'? "
        "(expected frequency, e.g. \"1GHz\")",
        f"error: {bad}: components.l1d.size: '32KB' has unknown unit 'KB'; did you mean '32KiB'? "
        "(expected size, e.g. \"32KiB\")",
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,message", [
    (["validate", "/nonexistent.toml"], "/nonexistent.toml: file not found"),
    (["show", str(CONFIGS / "virt-rv64.toml"), "--set", "components.l2.assoc=three"],
     "--set: components.l2.assoc: 'three' is not an integer"),
    (["docs", "gpu"], "unknown component type 'gpu'"),
])
def test_errors_exit_1_without_traceback(args, message):
    result = subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
