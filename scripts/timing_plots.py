"""The plots of docs/timing.md: graphsim's timing models measured with the
microbenchmark guests of assets/guest (category "micro"), each measured region
being one m5op statistics dump.

    .venv/bin/pip install -e '.[docs]'          # matplotlib
    .venv/bin/python scripts/timing_plots.py    # ~1 minute

Writes docs/timing-*.png and docs/timing-results.json (the numbers the
document quotes).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from graphsim.config.loader import load_machine  # noqa: E402
from graphsim.graph.elaborate import elaborate  # noqa: E402
from graphsim.sim.console import Console  # noqa: E402
from graphsim.sim.machine import Machine, RunLimits  # noqa: E402

GUESTS = ROOT / "assets" / "guest"
DOCS = ROOT / "docs"
CHASE_KIB = [4, 16, 24, 32, 48, 64, 128, 256, 384, 512, 768, 1024, 4096]
STEPS = 16384
LONG_GUESTS = ["sieve_long", "qsort_long", "crc32_long", "matmul_long", "dhrystone_like_long", "memcpy_long"]


def run(guest: str, cpu: str, *sets: str, config: str = "virt-rv64.toml", max_insts=None):
    graph = elaborate(load_machine(ROOT / "configs" / config, [f"components.cpu.type=cpu.{cpu}", *sets]))
    machine = Machine(graph, {}, Console())
    machine.boot(kernel=str(GUESTS / "build" / f"{guest}.elf"))
    started = time.perf_counter()
    stop = machine.run(RunLimits(max_insts=max_insts), slice_insts=10_000_000)
    seconds = time.perf_counter() - started
    if max_insts is None:
        assert stop.reason == "exit" and stop.exit_code == 0, (guest, cpu, sets, stop)
        want = (GUESTS / "expected" / f"{guest}.out").read_text()
        assert machine.console.tail_text(1 << 20).replace("\r\n", "\n") == want, (guest, cpu, sets)
    regions = [{n: s.value for n, s in d.values.items()} for d in machine.stats_log.dumps
               if d.reason == "m5op dump_stats"]
    return regions, machine, seconds


def latency(results):
    curves = {
        "cpu.timing, simple memory (50 ns)": ("timing", ()),
        "cpu.timing, DRAM (open page)": ("timing", ("components.ram.model=dram",)),
        "cpu.pipelined, simple memory": ("pipelined", ()),
    }
    out = {}
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for label, (cpu, sets) in curves.items():
        regions, _m, _s = run("chase", cpu, *sets)
        if cpu == "timing":  # one fetch cycle per instruction; the rest is the loads' latency
            ys = [(r["system.cpu.numCycles"] - r["system.cpu.committedInsts"]) / STEPS for r in regions]
        else:  # cycles per step of the 3-instruction loop
            ys = [r["system.cpu.numCycles"] / STEPS for r in regions]
        out[label] = dict(zip(CHASE_KIB, [round(y, 3) for y in ys]))
        ax.plot(CHASE_KIB, ys, marker="o", label=label)
    for y, text, shift in ((2, "L1D hit 2", 1.06), (16, "L2 hit 2+12+2", 0.84),
                           (79, "memory 2+12+(50+1)+12+2", 0.86), (86, "DRAM row conflict 2+12+58+12+2", 1.06)):
        ax.axhline(y, color="grey", linestyle=":", linewidth=0.8)
        ax.text(70, y * shift, text, fontsize=7, color="grey")
    for x, text in ((32, "L1D 32 KiB"), (512, "L2 512 KiB")):
        ax.axvline(x, color="grey", linestyle="--", linewidth=0.8)
        ax.text(x * 1.05, 1.3, text, fontsize=7, color="grey", rotation=90)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(1.5, 150)
    ax.set_xlabel("working set (KiB), random cyclic pointer chase")
    ax.set_ylabel("cycles per load")
    ax.set_title("Load latency (configs/virt-rv64.toml, 1 GHz)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(DOCS / "timing-latency.png", dpi=110)
    results["latency"] = out


def bandwidth(results):
    configured = [0.8, 1.6, 3.2, 6.4, 12.8]
    measured = []
    for gbps in configured:
        regions, _m, _s = run("stream", "timing", "components.l1d.prefetcher=next_line",
                              "components.l1d.prefetch_degree=16", "components.l1d.mshrs=32",
                              f"components.ram.bandwidth={gbps}GB/s")
        measured.append((4 << 20) / regions[0]["system.cpu.numCycles"])
    regions, _m, _s = run("stream", "timing")
    no_prefetch = (4 << 20) / regions[0]["system.cpu.numCycles"]
    cpu_bound = 64 / (4 + 2)  # 4 instructions of 1 fetch cycle + one L1D hit per line
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot(configured, configured, color="grey", linestyle=":", label="configured bandwidth")
    ax.axhline(cpu_bound, color="grey", linestyle="--", linewidth=0.8, label="loop limit: 64 B per 6 cycles")
    ax.axhline(no_prefetch, color="tab:red", linestyle="-.", label="no prefetcher (latency-bound)")
    ax.plot(configured, measured, marker="o", color="tab:blue", label="measured, next-line prefetcher (degree 16)")
    ax.set_xlabel("memory bandwidth parameter (GB/s = bytes per cycle at 1 GHz)")
    ax.set_ylabel("measured bytes per cycle")
    ax.set_title("Streaming reads of 4 MiB, one load per line (cpu.timing)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(DOCS / "timing-bandwidth.png", dpi=110)
    results["bandwidth"] = {"configured_GBps": configured, "measured_bytes_per_cycle": [round(m, 4) for m in measured],
                            "no_prefetcher_bytes_per_cycle": round(no_prefetch, 4)}


def branches(results):
    patterns = ["always taken", "alternating", "random"]
    out = {}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    width = 0.26
    for k, predictor in enumerate(("static", "bimodal", "gshare")):
        regions, _m, _s = run("branches", "pipelined", f"components.cpu.predictor={predictor}")
        accuracy = [max(0.0, 1 - r["system.cpu.branchPred.condIncorrect"] / 50000) for r in regions]
        out[predictor] = dict(zip(patterns, [round(a, 5) for a in accuracy]))
        bars = ax.bar([i + (k - 1) * width for i in range(3)], accuracy, width, label=predictor)
        ax.bar_label(bars, labels=[f"{a:.0%}" for a in accuracy], fontsize=7)
    ax.set_xticks(range(3), patterns)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("pattern branch predicted right")
    ax.set_title("Branch predictors (cpu.pipelined, 4096 counters, 512-entry BTB)")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(DOCS / "timing-branches.png", dpi=110)
    results["branches"] = out


def coherence(results):
    out = {}
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    labels = []
    values = []
    for quantum in (1000, 100):
        regions, _m, _s = run("false_sharing", "timing", f"components.cpu.quantum={quantum}",
                              config="virt-rv64-4hart.toml")
        for phase, region in zip(("one line", "own lines"), regions):
            inval = sum(region[f"system.l1d{h}.coherence.invalidations"] for h in range(4))
            interv = sum(region[f"system.l1d{h}.coherence.interventions"] for h in range(4))
            out[f"quantum {quantum}, {phase}"] = {"invalidations": inval, "interventions": interv,
                                                  "cycles": region["system.cpu0.numCycles"]}
            labels.append(f"{phase}\nquantum {quantum}")
            values.append(inval)
    bars = ax.bar(range(len(values)), [max(v, 0.5) for v in values], color=["tab:red", "tab:green"] * 2)
    ax.bar_label(bars, labels=[str(v) for v in values], fontsize=8)
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("L1D invalidations (4 harts)")
    ax.set_title("False sharing: 4 harts x 20000 increments (MESI)")
    fig.tight_layout()
    fig.savefig(DOCS / "timing-coherence.png", dpi=110)
    results["coherence"] = out


def speed(results):
    out = {}
    for model in ("atomic", "timing", "pipelined"):
        run("hello", model)  # compile or load the kernels first
        out[model] = {}
        for guest in LONG_GUESTS:
            _r, machine, seconds = run(guest, model, max_insts=50_000_000)
            out[model][guest] = round(machine.instret / seconds / 1e6, 1)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.26
    for k, model in enumerate(out):
        ax.bar([i + (k - 1) * width for i in range(len(LONG_GUESTS))], list(out[model].values()), width,
               label=f"cpu.{model}")
    for target in (50, 20):
        ax.axhline(target, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xticks(range(len(LONG_GUESTS)), [g.replace("_long", "") for g in LONG_GUESTS], fontsize=8)
    ax.set_ylabel("MIPS (first 50M instructions)")
    ax.set_title("Simulation speed, L1I/L1D + L2 (targets: timing 50, pipelined 20)")
    ax.set_ylim(0, 330)
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    fig.tight_layout()
    fig.savefig(DOCS / "timing-speed.png", dpi=110)
    results["speed_mips"] = out


def main():
    results = {}
    for step in (latency, bandwidth, branches, coherence, speed):
        started = time.perf_counter()
        step(results)
        print(f"{step.__name__}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    (DOCS / "timing-results.json").write_text(json.dumps(results, indent=1) + "\n")
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
