"""The streaming kernel (assets/guest/src/stream.c) reads 4 MiB, one load per line: with a
prefetcher keeping lines in flight it runs at the memory's configured bandwidth; without one
it waits a full memory latency per line."""

import pytest

from tests.timing.helpers import MEMORY, STREAM_BYTES, run_micro

LINES = STREAM_BYTES // 64
LOOP = 4  # instructions per line of the line-stream loop: ld, addi, add, bne


def bytes_per_cycle(region):
    return STREAM_BYTES / region["system.cpu.numCycles"]


@pytest.mark.parametrize("bandwidth,degree,mshrs", [("3.2GB/s", 8, 16), ("6.4GB/s", 16, 32)])
def test_stream_runs_at_the_configured_bandwidth(bandwidth, degree, mshrs):
    lines, words = run_micro("stream", "timing", "components.l1d.prefetcher=next_line",
                             f"components.l1d.prefetch_degree={degree}", f"components.l1d.mshrs={mshrs}",
                             f"components.ram.bandwidth={bandwidth}")
    configured = float(bandwidth[:-4])  # GB/s = bytes per cycle at 1 GHz
    assert bytes_per_cycle(lines) == pytest.approx(configured, rel=0.03)
    assert lines["system.ram.busUtilisation"] > 0.95
    assert lines["system.l1d.prefetcher.pfUseful"] / LINES > 0.99
    # every word: 8 loads per line, 6 cycles each (fetch + L1D hit): compute-bound, below the bandwidth
    assert bytes_per_cycle(words) < configured


def test_without_a_prefetcher_a_stream_is_latency_bound():
    lines, _ = run_micro("stream", "timing")
    assert lines["system.cpu.numCycles"] / LINES == pytest.approx(LOOP * 1 + MEMORY, rel=0.01)


def test_dram_stream_hits_open_rows():
    """Without prefetching, consecutive lines of a 2 KiB row: 31 of 32 accesses hit the open row
    (tCAS + burst + controller), the first conflicts (+ tRP + tRCD)."""
    lines, _ = run_micro("stream", "timing", "components.ram.model=dram")
    hit = 2 + 12 + (14 + 5 + 10 + 1) + 12 + 2
    want = LOOP + hit + (14 + 14) / 32
    assert lines["system.cpu.numCycles"] / LINES == pytest.approx(want, rel=0.01)
    assert lines["system.ram.rowHits"] / lines["system.ram.readReqs"] == pytest.approx(31 / 32, abs=0.01)
