"""Coherence among the harts' private caches: false sharing (assets/guest/src/false_sharing.c)
moves one line between four L1Ds; padded counters do not. And the configurations coherence
cannot honour are validation errors naming the key."""

import subprocess
import sys

import pytest

from tests.conftest import CONFIGS, ROOT
from tests.timing.helpers import run_micro

HARTS = 4


def total(region, stat):
    return sum(region[f"system.l1d{h}.coherence.{stat}"] for h in range(HARTS))


@pytest.mark.parametrize("cpu", ["timing", "pipelined"])
def test_false_sharing_shows_coherence_traffic(cpu):
    one_line, own_lines = run_micro("false_sharing", cpu)
    # each time another hart's quantum begins, the line moves: an invalidation and a dirty handover
    assert total(one_line, "invalidations") > 300
    assert total(one_line, "interventions") > 300
    assert total(one_line, "invalidations") > 20 * (total(own_lines, "invalidations") + 1)
    assert total(one_line, "interventions") > 20 * (total(own_lines, "interventions") + 1)


def test_finer_interleaving_means_more_traffic_and_time():
    coarse = run_micro("false_sharing", "timing")[0]
    fine_one, fine_own = run_micro("false_sharing", "timing", "components.cpu.quantum=100")
    assert total(fine_one, "invalidations") > 5 * total(coarse, "invalidations")
    assert fine_one["system.cpu0.numCycles"] > 1.05 * fine_own["system.cpu0.numCycles"]


def validate(*sets):
    args = [sys.executable, "-m", "graphsim.cli", "validate"]
    config = sets[0]
    for s in sets[1:]:
        args += ["--set", s]
    return subprocess.run(args + [str(CONFIGS / config)], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("config,sets,key,message", [
    ("virt-rv64.toml", ["components.l1d.coherence=mesi"], "components.l1d.coherence",
     "needs caches of several harts"),
    ("virt-rv64-4hart.toml", ["components.l2.coherence=msi"], "components.l2.coherence", "shared by every hart"),
    ("virt-rv64-4hart.toml", ["components.l1d.coherence=msi", "components.l1i.coherence=mesi"],
     "components.l1d.coherence", "one protocol per machine"),
    ("virt-rv64.toml", ["components.l2.line_size=128"], "components.l2.line_size", "the same line size"),
    ("virt-rv64.toml", ["components.ram.model=dram", "components.ram.dram_row_size=64", "components.l1i.line_size=128",
                        "components.l1d.line_size=128", "components.l2.line_size=128"],
     "components.ram.dram_row_size", "smaller than a cache line"),
])
def test_impossible_hierarchies_are_validation_errors(config, sets, key, message):
    result = validate(config, *sets)
    assert result.returncode != 0
    assert key in result.stderr and message in result.stderr and "Traceback" not in result.stderr


def test_auto_coherence():
    from graphsim.config.loader import load_machine
    from graphsim.graph.elaborate import elaborate
    from graphsim.mem.hierarchy import Hierarchy
    from graphsim.mem import tlayout as T

    one = Hierarchy.of(elaborate(load_machine(CONFIGS / "virt-rv64.toml")))
    assert set(one.coherence) == {T.COH_NONE}
    four = Hierarchy.of(elaborate(load_machine(CONFIGS / "virt-rv64-4hart.toml")))
    by_name = dict(zip((c.name for c in four.caches), four.coherence))
    assert by_name["l2"] == T.COH_NONE  # shared by every hart: the point of coherence
    assert all(v == T.COH_MESI for n, v in by_name.items() if n.startswith("l1"))
