"""The pointer chase (assets/guest/src/chase.c) measures load latency over working sets
from 4 KiB to 4 MiB: the steps must sit at the configured latencies of each level."""

import pytest

from tests.timing.helpers import (CHASE_STEPS, L1D, L2, MEMORY, chase_regions, cycles_per_step,
                                  data_cycles_per_load)

IN_L1 = (4, 16, 24, 32)  # KiB: fit the 32 KiB L1D
IN_L2 = (48, 64, 128, 256, 384, 512)  # fit the 512 KiB L2, not the L1D
IN_MEMORY = (768, 1024, 4096)


@pytest.fixture(scope="module")
def timing_chase():
    return chase_regions("timing")


def test_timing_cpu_load_latency_steps_at_the_configured_latencies(timing_chase):
    for kib, region in timing_chase.items():
        want = L1D if kib in IN_L1 else L2 if kib in IN_L2 else MEMORY
        assert data_cycles_per_load(region) == pytest.approx(want, rel=0.01), f"{kib} KiB"


def test_misses_are_where_the_working_set_stops_fitting(timing_chase):
    for kib, region in timing_chase.items():
        l1_misses = region["system.l1d.overallMisses"] / CHASE_STEPS
        l2_misses = region["system.l2.overallMisses"] / CHASE_STEPS
        assert l1_misses == pytest.approx(0 if kib in IN_L1 else 1, abs=0.01), f"{kib} KiB"
        assert l2_misses == pytest.approx(1 if kib in IN_MEMORY else 0, abs=0.01), f"{kib} KiB"


def test_latencies_follow_the_parameters():
    regions = chase_regions("timing", "components.l1d.hit_latency=3", "components.l1d.response_latency=1",
                            "components.l2.hit_latency=20", "components.l2.response_latency=5",
                            "components.ram.latency=80ns", "components.membus.latency=2")
    l2 = 3 + 20 + 1
    assert data_cycles_per_load(regions[16]) == pytest.approx(3, rel=0.01)
    assert data_cycles_per_load(regions[256]) == pytest.approx(l2, rel=0.01)
    assert data_cycles_per_load(regions[4096]) == pytest.approx(3 + 20 + 80 + 2 + 5 + 1, rel=0.01)


def test_pipelined_cpu_hides_hits_and_exposes_misses():
    """The chase loop is 3 instructions; a load's result is needed by the next load 3 cycles
    later, so an L1D hit (2 cycles) is hidden; a miss blocks MEM for its whole latency."""
    regions = chase_regions("pipelined")
    assert cycles_per_step(regions[16]) == pytest.approx(3, rel=0.01)
    assert cycles_per_step(regions[256]) == pytest.approx(3 + L2 - 1, rel=0.01)
    assert cycles_per_step(regions[4096]) == pytest.approx(3 + MEMORY - 1, rel=0.01)


@pytest.mark.parametrize("policy,row_latency", [("open", 14 + 14 + 14), ("closed", 14 + 14)])
def test_dram_row_buffer(policy, row_latency):
    """Random lines of 4 MiB across 8 banks of 2 KiB rows: with open pages almost every access
    closes another row (tRP + tRCD + tCAS), with closed pages every bank is precharged (tRCD +
    tCAS); then the 64-byte burst (5 ns at 12.8 GB/s) and the controller's 10 ns."""
    regions = chase_regions("timing", "components.ram.model=dram", f"components.ram.dram_page_policy={policy}")
    region = regions[4096]
    dram = row_latency + 5 + 10 + 1
    assert data_cycles_per_load(region) == pytest.approx(2 + 12 + dram + 12 + 2, rel=0.02)
    reads = region["system.ram.readReqs"]
    kind = "system.ram.rowConflicts" if policy == "open" else "system.ram.rowEmpty"
    assert region[kind] / reads > 0.97
