"""Branch patterns (assets/guest/src/branches.c) on the pipelined CPU: the predictors'
accuracy is what their design implies, and each misprediction costs the configured penalty."""

import pytest

from tests.timing.helpers import BRANCHES, run_micro

ALWAYS, ALTERNATING, RANDOM = 0, 1, 2


def wrong(region):
    """Mispredicted pattern branches as a fraction (the loop's own branch is always taken)."""
    return region["system.cpu.branchPred.condIncorrect"] / BRANCHES


@pytest.fixture(scope="module")
def gshare():
    return run_micro("branches", "pipelined", "components.cpu.predictor=gshare")


def test_gshare_learns_alternation(gshare):
    assert wrong(gshare[ALWAYS]) < 0.001
    assert wrong(gshare[ALTERNATING]) < 0.005
    assert wrong(gshare[RANDOM]) == pytest.approx(0.5, abs=0.02)


def test_bimodal_cannot_learn_alternation():
    regions = run_micro("branches", "pipelined", "components.cpu.predictor=bimodal")
    assert wrong(regions[ALWAYS]) < 0.001
    assert wrong(regions[ALTERNATING]) == pytest.approx(0.5, abs=0.01)
    assert wrong(regions[RANDOM]) == pytest.approx(0.5, abs=0.02)


def test_static_predicts_forward_branches_not_taken():
    regions = run_micro("branches", "pipelined", "components.cpu.predictor=static")
    assert wrong(regions[ALWAYS]) == pytest.approx(1.0, abs=0.001)


@pytest.mark.parametrize("penalty", [2, 5])
def test_each_misprediction_costs_the_penalty(penalty, gshare):
    regions = gshare if penalty == 2 else \
        run_micro("branches", "pipelined", f"components.cpu.mispredict_penalty={penalty}")
    a, r = regions[ALWAYS], regions[RANDOM]
    extra_cycles = (r["system.cpu.numCycles"] - a["system.cpu.numCycles"]) - \
        (r["system.cpu.committedInsts"] - a["system.cpu.committedInsts"])
    extra_wrong = r["system.cpu.branchPred.condIncorrect"] - a["system.cpu.branchPred.condIncorrect"]
    assert extra_cycles / extra_wrong == pytest.approx(penalty, rel=0.02)
    assert r["system.cpu.branchPred.mpki"] > 100
