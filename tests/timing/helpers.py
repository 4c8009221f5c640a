"""Running the timing microbenchmarks (assets/guest, category "micro") and reading
their measured regions: each region is one m5op statistics dump."""

from __future__ import annotations

from tests.guests import GUEST_DIR, boot_guest, run_to_end

# configs/virt-rv64.toml, as the timing models see it (cycles of the 1 GHz CPU)
L1I_HIT = 1
L1D = 2  # l1d hit_latency
L2 = 2 + 12 + 2  # l1d miss: l1d tag check + l2 hit + l1d fill
BUS = 1  # memory bus latency (1 cycle at 1 GHz)
MEMORY = 2 + 12 + (50 + BUS) + 12 + 2  # ... + l2 miss + memory 50 ns + l2 fill + l1d fill

CHASE_SIZES_KIB = [4, 16, 24, 32, 48, 64, 128, 256, 384, 512, 768, 1024, 4096]
CHASE_STEPS = 16384
STREAM_BYTES = 4 << 20
BRANCHES = 50000  # pattern branches per region


def on(cpu: str, *overrides: str) -> list[str]:
    return [f"components.cpu.type=cpu.{cpu}", *overrides]


def run_micro(name: str, cpu: str, *overrides: str) -> list[dict]:
    """Run a microbenchmark on CPU model ``cpu``; its console must be QEMU's. Returns the
    statistics of its measured regions, in order, as {name: value}."""
    machine = boot_guest(name, on(cpu, *overrides))
    result = run_to_end(machine)
    assert result.stop.reason == "exit" and result.stop.exit_code == 0, result.stop
    assert result.console == (GUEST_DIR / "expected" / f"{name}.out").read_text()
    return [{n: s.value for n, s in d.values.items()} for d in machine.stats_log.dumps
            if d.reason == "m5op dump_stats"]


def chase_regions(cpu: str, *overrides: str) -> dict[int, dict]:
    return dict(zip(CHASE_SIZES_KIB, run_micro("chase", cpu, *overrides)))


def data_cycles_per_load(region: dict, fetch_latency: int = L1I_HIT) -> float:
    """Timing CPU: an instruction costs its fetch plus its data access, so the cycles beyond one
    fetch per instruction are the loads' latencies."""
    return (region["system.cpu.numCycles"] - fetch_latency * region["system.cpu.committedInsts"]) / CHASE_STEPS


def cycles_per_step(region: dict) -> float:
    return region["system.cpu.numCycles"] / CHASE_STEPS
