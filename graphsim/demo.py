"""The main scenario (``make demo``), gem5's checkpoint workflow on graphsim's
Linux system (defconfig kernel, busybox + glibc on an ext4 root):

1. boot configs/linux.toml on the atomic CPU to the busybox prompt;
2. the guest runs `m5 checkpoint; m5 readfile > /tmp/job; sh /tmp/job` -- the
   m5op checkpoint lands in the library;
3. the compatibility report for "pipelined CPU + root filesystem B";
4. restore there with a job handed over by `m5 readfile` (--script): it prints
   rootfs B's file and runs an FP program between `m5 workbegin`/`workend`;
5. boot the pipelined CPU from scratch for comparison: restore vs boot.

    python -m graphsim.demo [--library DIR] [--cpu MODEL]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console as RichConsole
from rich.table import Table

from .checkpoint.library import Library
from .checkpoint.restore import cpu_models, plan_restore
from .checkpoint.take import take_checkpoint
from .config.loader import load_machine
from .graph.elaborate import elaborate
from .sim.console import Console
from .sim.machine import Machine, RunLimits, Trigger
from .sim.packed import unpacked
from .sim.precompile import prepare

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "configs" / "linux.toml"
SYSTEM = ROOT / "assets" / "linux" / "system"
ROOTFS_B = SYSTEM / "rootfs-b.ext4"
PROMPT = "graphsim:/# "
# gem5's pattern: checkpoint, then fetch the job from the host (after a restore: the new one).
CHECKPOINT_THEN_JOB = b"m5 checkpoint; m5 readfile > /tmp/job; sh /tmp/job\n"
JOB = """cat /hello.txt
/hi
m5 workbegin
fpbench 2000
m5 workend
m5 exit
"""
MAX_BOOT = 2_000_000_000


class Ticker:
    """A progress line on stderr every second while a machine runs, so no step is silent."""

    def __init__(self, out: RichConsole, what: str):
        self.out, self.what = out, what
        self.started = self.last = time.perf_counter()
        self.shown = False

    def __call__(self, machine: Machine):
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            sys.stderr.write(f"\r  {self.what}: {machine.instret / 1e6:,.0f} M instructions, "
                             f"{now - self.started:.0f} s ")
            sys.stderr.flush()
            self.shown = True

    def done(self):
        if self.shown:
            sys.stderr.write("\n")


def run_with_ticker(out, machine: Machine, what: str, limits: RunLimits, triggers=()):
    ticker = Ticker(out, what)
    try:
        return machine.run(limits, list(triggers), progress=ticker)
    finally:
        ticker.done()


def boot_to_prompt(out, cpu: str, overrides=()) -> tuple[Machine, float]:
    """A machine booted until the console shows the prompt; returns it and the host seconds taken."""
    source = load_machine(LINUX, [f"components.cpu.type=cpu.{cpu}", *overrides])
    machine = Machine(elaborate(source), console=Console())
    machine.boot()
    started = time.perf_counter()
    stop = run_with_ticker(out, machine, f"booting on cpu.{cpu}", RunLimits(max_insts=MAX_BOOT),
                           [Trigger("console", re.compile(re.escape(PROMPT)))])
    seconds = time.perf_counter() - started
    if stop.reason != "checkpoint":
        raise SystemExit(f"demo: the {cpu} boot stopped before the prompt ({stop.reason} {stop.detail})\n"
                         + machine.console.tail_text(2000))
    return machine, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", help="checkpoint library (default: a temporary one)")
    parser.add_argument("--cpu", help="the detailed CPU model to restore onto (default: the most detailed built)")
    args = parser.parse_args(argv)
    if not any((SYSTEM / name).exists() for name in ("Image", "Image.xz")):
        raise SystemExit(f"demo: the Linux system's kernel is missing ({SYSTEM}/Image.xz); build it with "
                         f"`make -C {SYSTEM.relative_to(ROOT)} kernel` (see its README.md)")
    out = RichConsole(stderr=False)
    models = cpu_models()
    detailed = args.cpu or next((m for m in ("pipelined", "timing") if m in models), "atomic")
    tmp = tempfile.TemporaryDirectory(prefix="graphsim-demo-")
    library = Library(args.library or str(Path(tmp.name) / "library"))
    rows = []

    out.print("[bold]graphsim demo[/bold]: boot Linux (defconfig, busybox + glibc on ext4) on cpu.atomic, "
              f"`m5 checkpoint` from the guest, restore on cpu.{detailed} with root filesystem B and a new job")
    out.print("[dim](the first run compiles the simulator core, about a minute, and unpacks the guest files)[/dim]")
    machine, boot_seconds = boot_to_prompt(out, "atomic")
    rows.append(("boot to the prompt (cpu.atomic)", f"{boot_seconds:.2f} s",
                 # (no simulated time: the prompt is seen at the end of a slice, after which the idle
                 # guest's clock may have jumped seconds ahead to its next timer)
                 f"{machine.instret / 1e6:,.1f} M instructions, {machine.instret / boot_seconds / 1e6:.0f} MIPS"))

    machine.console.feed(CHECKPOINT_THEN_JOB)
    out.print("  guest: " + CHECKPOINT_THEN_JOB.decode().strip())
    stop = run_with_ticker(out, machine, "running to the m5op", RunLimits(max_insts=machine.instret + 200_000_000))
    if stop.reason != "checkpoint":
        raise SystemExit(f"demo: expected the guest's m5 checkpoint, got {stop.reason} {stop.detail}")
    cpt_id, manifest, cpt_seconds = take_checkpoint(machine, library, {"kind": "m5op", "detail": ""},
                                                    name="linux-prompt", note="m5 checkpoint at the prompt, rootfs A")
    rows.append(("`m5 checkpoint` from the guest", f"{cpt_seconds:.3f} s",
                 f"{manifest['stored_bytes'] / 2**20:.2f} MiB on disk for a 256 MiB guest"))

    job = Path(tmp.name) / "job.sh"
    job.write_text(JOB)
    # One-time costs are not restore time: the detailed model's compiled kernels are loaded and
    # rootfs B unpacked from its .xz first (the boots are timed without them too).
    prepare(f"cpu.{detailed}")
    unpacked(str(ROOTFS_B))
    started = time.perf_counter()  # the whole restore: read, verify, compatibility, build, load
    plan = plan_restore(library, cpt_id, cpu=detailed, disks={"disk0": str(ROOTFS_B)}, allow_warnings=True)
    restored = plan.build()
    restore_seconds = time.perf_counter() - started
    out.print(f"\n[bold]compatibility[/bold] of {cpt_id} with cpu.{detailed} + rootfs-b.ext4:")
    for finding in plan.findings:
        if finding.grade != "same":
            colour = {"changed": "blue", "warning": "yellow", "incompatible": "red"}[finding.grade]
            out.print(f"  [{colour}]{finding.grade:<12}[/{colour}] {finding.subject}: {finding.message}")
    rows.append((f"restore onto cpu.{detailed} + rootfs-b.ext4", f"{restore_seconds:.3f} s",
                 "after --allow-warnings (root filesystem swapped under the running guest)"))

    restored.script = str(job)
    restored.outdir = tmp.name
    started = time.perf_counter()
    stop = run_with_ticker(out, restored, f"the job on cpu.{detailed}", RunLimits(max_insts=restored.instret + MAX_BOOT))
    run_seconds = time.perf_counter() - started
    console = restored.console.tail_text(1 << 16)
    hello = re.findall(r"hello from rootfs [AB]", console)
    region = next((d for d in restored.stats_log.dumps if d.reason.startswith("work region")), None)
    region_text = ""
    if region is not None:
        insts = region.values["simInsts"].value
        cycles = sum(v.value for k, v in region.values.items() if k.endswith(".numCycles"))
        region_text = f"; work region: {insts / 1e6:.1f} M insts, IPC {insts / cycles:.2f}" if cycles else ""
    rows.append(("job via `m5 readfile`: cat /hello.txt, fpbench", f"{run_seconds:.2f} s",
                 (hello[-1] if hello else "NOT PRINTED") + region_text + f"; guest {stop.reason} {stop.exit_code}"))

    if detailed != "atomic":
        detailed_machine, detailed_seconds = boot_to_prompt(out, detailed)
        rows.append((f"boot to the prompt on cpu.{detailed} (for comparison)", f"{detailed_seconds:.2f} s",
                     f"{detailed_machine.instret / 1e6:,.1f} M instructions; restoring is "
                     f"{detailed_seconds / max(restore_seconds, 1e-3):.0f}× faster than this boot"))

    table = Table(title="graphsim: boot, m5 checkpoint, restore elsewhere")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("result")
    for row in rows:
        table.add_row(*row)
    out.print()
    out.print(table)
    ok = hello[-1:] == ["hello from rootfs B"] and stop.reason == "exit" and stop.exit_code == 0
    out.print("[green]scenario complete[/green]" if ok else "[red]scenario failed[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
