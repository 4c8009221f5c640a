"""Statistics that add up: the pipelined CPU charges every cycle lost against one instruction
per cycle to one named stall statistic; every cache level reports the latency of its own
misses; the kernel's exits are counted whatever CPU model runs."""

import pytest

from tests.guests import boot_guest, run_to_end

STALLS = ("loadUseStallCycles", "mulDivStallCycles", "fetchLatencyStallCycles", "memStageStallCycles",
          "branchStallCycles", "serialiseStallCycles")


def end_stats(name: str, *overrides: str) -> dict:
    machine = boot_guest(name, list(overrides))
    result = run_to_end(machine)
    assert result.stop.reason == "exit" and result.stop.exit_code == 0, result.stop
    machine.dump_stats("end")
    return {n: s.value for n, s in machine.stats_log.dumps[-1].values.items()}


@pytest.mark.parametrize("name", ["crc32", "qsort", "matmul", "dhrystone_like"])
def test_pipelined_stalls_add_up_to_the_cycles_lost(name):
    stats = end_stats(name, "components.cpu.type=cpu.pipelined", "components.cpu.mul_latency=10",
                      "components.cpu.div_latency=20")
    cpu = "system.cpu"
    lost = stats[f"{cpu}.numCycles"] - stats[f"{cpu}.committedInsts"]
    charged = sum(stats[f"{cpu}.{s}"] for s in STALLS)
    assert charged == stats[f"{cpu}.stallCycles"]
    assert lost > 0 and abs(charged - lost) <= 8, (lost, {s: stats[f"{cpu}.{s}"] for s in STALLS})


def test_a_slow_multiplier_is_charged_to_mul_div():
    fast = end_stats("matmul", "components.cpu.type=cpu.pipelined", "components.cpu.mul_latency=1")
    slow = end_stats("matmul", "components.cpu.type=cpu.pipelined", "components.cpu.mul_latency=10")
    cpu = "system.cpu"
    extra = slow[f"{cpu}.numCycles"] - fast[f"{cpu}.numCycles"]
    assert extra > 100_000
    grew = slow[f"{cpu}.mulDivStallCycles"] - fast[f"{cpu}.mulDivStallCycles"]
    assert grew >= 0.9 * extra, (grew, extra)


@pytest.mark.parametrize("cpu", ["timing", "pipelined"])
def test_every_cache_level_reports_its_miss_latency(cpu):
    stats = end_stats("stream", f"components.cpu.type=cpu.{cpu}")
    for cache in ("l1d", "l2"):
        misses = stats[f"system.{cache}.overallMisses"]
        assert misses > 1000
        assert stats[f"system.{cache}.overallAvgMissLatency"] > 0, cache
    # an L1D miss takes longer than the L2 miss it may cause, which includes the memory access
    assert stats["system.l1d.overallAvgMissLatency"] > stats["system.l2.overallAvgMissLatency"] > 50


@pytest.mark.parametrize("cpu", ["atomic", "timing", "pipelined"])
def test_device_exits_are_counted_on_every_model(cpu):
    stats = end_stats("virtio_blk_read", f"components.cpu.type=cpu.{cpu}")
    assert stats["system.core.exits.mmio"] > 10
