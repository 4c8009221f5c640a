"""The main scenario (``make demo``): boot Linux on the fast CPU, checkpoint at the
shell prompt, check the compatibility of "detailed CPU + the other disk", restore
onto it, run a command that reads the new disk, and compare with booting the
detailed CPU from scratch.

    python -m graphsim.demo [--library DIR] [--cpu MODEL]
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "configs" / "linux-tiny.toml"
DISK_B = ROOT / "assets" / "linux" / "disk-b.img"
PROMPT = r"graphsim:/# "
COMMANDS = b"umount /mnt\nmount /dev/vda /mnt ext2\ncat /mnt/hello.txt\npoweroff\n"
MAX_BOOT = 200_000_000


def boot_to_prompt(cpu: str, overrides=()) -> tuple[Machine, float]:
    """A machine booted until the console shows the prompt; returns it and the host seconds taken."""
    source = load_machine(LINUX, [f"components.cpu.type=cpu.{cpu}", *overrides])
    machine = Machine(elaborate(source), console=Console())
    machine.boot()
    started = time.perf_counter()
    stop = machine.run(RunLimits(max_insts=MAX_BOOT), [Trigger("console", __import__("re").compile(PROMPT))])
    seconds = time.perf_counter() - started
    if stop.reason != "checkpoint":
        raise SystemExit(f"demo: the {cpu} boot stopped before the prompt ({stop.reason} {stop.detail})")
    return machine, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", help="checkpoint library (default: a temporary one)")
    parser.add_argument("--cpu", help="the detailed CPU model to restore onto (default: the most detailed built)")
    args = parser.parse_args(argv)
    out = RichConsole()
    models = cpu_models()
    detailed = args.cpu or next((m for m in ("pipelined", "timing") if m in models), "atomic")
    tmp = tempfile.TemporaryDirectory(prefix="graphsim-demo-")
    library = Library(args.library or tmp.name)
    rows = []

    out.print("[bold]graphsim demo[/bold]: boot Linux on the atomic CPU, checkpoint at the prompt, restore on "
              f"cpu.{detailed} with another disk")
    machine, boot_seconds = boot_to_prompt("atomic")
    rows.append(("boot to prompt (cpu.atomic)", f"{boot_seconds:.2f} s", f"{machine.instret:,} instructions, "
                 f"{machine.instret / boot_seconds / 1e6:.0f} MIPS"))

    cpt_id, manifest, cpt_seconds = take_checkpoint(machine, library, {"kind": "console", "detail": PROMPT},
                                                    name="linux-prompt", note="shell prompt, disk A")
    rows.append(("checkpoint at the prompt", f"{cpt_seconds:.3f} s",
                 f"{manifest['stored_bytes'] / 2**20:.2f} MiB for a 128 MiB guest (trigger: console pattern)"))

    # Round trip at the prompt: the restored machine continues exactly like the original.
    started = time.perf_counter()
    same = plan_restore(library, cpt_id).build()
    restore_seconds = time.perf_counter() - started
    target = machine.instret + 3_000_000
    for m in (machine, same):
        m.console.feed(b"ls /\n")
        m.run(RunLimits(max_insts=target))
    identical = machine.digest() == same.digest()
    rows.append(("round trip at the prompt (+3M insts, 'ls /')", f"{restore_seconds:.3f} s restore",
                 "identical digests" if identical else "DIGESTS DIFFER"))

    started = time.perf_counter()  # the whole restore: read, verify, compatibility, build, load
    plan = plan_restore(library, cpt_id, cpu=detailed, disks={"disk0": str(DISK_B)}, allow_warnings=True)
    restored = plan.build()
    restore_seconds = time.perf_counter() - started
    out.print(f"\n[bold]compatibility[/bold] of {cpt_id} with cpu.{detailed} + disk-b.img:")
    for finding in plan.findings:
        if finding.grade != "same":
            colour = {"changed": "blue", "warning": "yellow", "incompatible": "red"}[finding.grade]
            out.print(f"  [{colour}]{finding.grade:<12}[/{colour}] {finding.subject}: {finding.message}")
    restored.console.feed(COMMANDS)
    started = time.perf_counter()
    stop = restored.run(RunLimits(max_insts=restored.instret + MAX_BOOT))
    run_seconds = time.perf_counter() - started
    printed = [line for line in restored.console.tail_text().splitlines() if "disk B" in line]
    rows.append((f"restore onto cpu.{detailed} + disk-b.img", f"{restore_seconds:.3f} s",
                 "after --allow-warnings (disk swapped under a running guest)"))
    rows.append(("remount and `cat /mnt/hello.txt` there", f"{run_seconds:.2f} s",
                 (printed[-1].split("# ")[-1].strip() if printed else "NOT PRINTED") + f"; guest {stop.reason} {stop.exit_code}"))

    if detailed != "atomic":
        detailed_machine, detailed_seconds = boot_to_prompt(detailed)
        rows.append((f"boot to prompt on cpu.{detailed} (for comparison)", f"{detailed_seconds:.2f} s",
                     f"{detailed_machine.instret:,} instructions; restore is "
                     f"{detailed_seconds / max(restore_seconds, 1e-3):.0f}× faster than this boot"))

    table = Table(title="graphsim: boot, checkpoint, restore elsewhere")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("result")
    for row in rows:
        table.add_row(*row)
    out.print()
    out.print(table)
    ok = identical and bool(printed) and stop.reason == "exit"
    out.print("[green]scenario complete[/green]" if ok else "[red]scenario failed[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
