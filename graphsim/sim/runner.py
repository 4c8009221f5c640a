"""A run from the command line: the machine, its output directory, progress,
checkpoint triggers and the closing summary. Shared by `graphsim run` and
`graphsim restore`."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field

from ..checkpoint.library import Library
from ..checkpoint.take import take_checkpoint
from ..errors import GraphsimError
from ..graph.dump import resolved_toml
from .machine import Machine, RunLimits, Stop, Trigger


@dataclass
class RunOptions:
    outdir: str = "out"
    max_insts: int | None = None
    max_tick: int | None = None
    checkpoint_at_inst: list[int] = field(default_factory=list)
    checkpoint_at_tick: list[int] = field(default_factory=list)
    checkpoint_on_console: list[str] = field(default_factory=list)
    library: str | None = None
    note: str = ""
    name: str = ""
    digest: bool = False
    quiet: bool = False  # no guest console on stdout
    progress: bool = False
    slice_insts: int = 1_000_000
    switch_at_inst: list[int] = field(default_factory=list)
    switch_to: str | None = None  # CPU model the switches alternate with (default: timing, or atomic)
    gdb: str | None = None  # [HOST:]PORT of a GDB remote stub (graphsim/debug)
    wait_gdb: bool = False  # stop before the first instruction until GDB attaches


def triggers_from(options: RunOptions) -> list[Trigger]:
    triggers = [Trigger("inst", n) for n in options.checkpoint_at_inst]
    triggers += [Trigger("switch", n) for n in options.switch_at_inst]
    triggers += [Trigger("tick", t) for t in options.checkpoint_at_tick]
    for pattern in options.checkpoint_on_console:
        try:
            triggers.append(Trigger("console", re.compile(pattern)))
        except re.error as exc:
            raise GraphsimError(f"--checkpoint-on-console {pattern!r}: not a regular expression ({exc})") from None
    return triggers


class Progress:
    """A status line on stderr every half second: instructions, simulated time, MIPS.
    `end_line` finishes it before any other message is printed."""

    def __init__(self):
        self.last = 0.0
        self.open = False
        self.started = time.perf_counter()
        self.start_insts = None

    def __call__(self, machine: Machine):
        now = time.perf_counter()
        if self.start_insts is None:
            self.start_insts = machine.instret
        if now - self.last < 0.5:
            return
        self.last = now
        rate = (machine.instret - self.start_insts) / max(now - self.started, 1e-9) / 1e6
        sys.stderr.write(f"\r[graphsim] {machine.instret:,} insts  {machine.tick / 1e12:.6f} s simulated  "
                         f"{rate:.1f} MIPS ")
        sys.stderr.flush()
        self.open = True

    def end_line(self):
        if self.open:
            sys.stderr.write("\n")
            self.open = False


def execute(machine: Machine, options: RunOptions, parent: str = "") -> tuple[Stop, dict]:
    """Run to the end, writing checkpoints as triggers fire; returns the final stop and a summary."""
    os.makedirs(options.outdir, exist_ok=True)
    with open(os.path.join(options.outdir, "config.toml"), "w", encoding="utf-8") as f:
        f.write(resolved_toml(machine.graph))
    log = open(os.path.join(options.outdir, "console.log"), "wb")
    machine.console.add_sink(log)
    library = None
    checkpoints = []
    triggers = triggers_from(options)
    limits = RunLimits(options.max_insts, options.max_tick)
    progress = Progress() if options.progress else None
    started = time.perf_counter()
    start_insts = machine.instret
    first_model = machine.cpus[0].kind[4:]
    other_model = options.switch_to or ("timing" if first_model == "atomic" else "atomic")
    switches = []
    stop = Stop("killed", detail="gdb kill before the first instruction")

    def checkpoint(kind: str, detail: str, name: str = "") -> tuple[str, float]:
        nonlocal library, parent
        label = f"{kind}:{detail}" if detail else kind  # as the stop's detail reads
        library = library or Library(options.library)
        cpt_id, manifest, seconds = take_checkpoint(
            machine, library, {"kind": kind, "detail": detail}, parent=parent,
            name=name or (options.name if options.name and not checkpoints else ""), note=options.note)
        parent = cpt_id
        if progress is not None:
            progress.end_line()
        checkpoints.append({"id": cpt_id, "instret": machine.instret, "tick": machine.tick,
                            "trigger": label, "seconds": round(seconds, 4),
                            "stored_bytes": manifest["stored_bytes"], "path": library.path(cpt_id)})
        print(f"[graphsim] checkpoint {cpt_id} at {machine.instret:,} insts ({label}) "
              f"in {seconds:.3f} s, {manifest['stored_bytes'] / 2**20:.2f} MiB", file=sys.stderr)
        return cpt_id, seconds

    debugger = None
    if options.gdb is not None:
        from ..debug.stub import GdbStub

        debugger = GdbStub(machine, options.gdb, lambda name: checkpoint("gdb", "monitor", name))
    try:
        running = debugger is None or not options.wait_gdb or debugger.wait_for_client() != "kill"
        while running:
            stop = machine.run(limits, triggers, options.slice_insts, progress)
            if stop.reason == "debug":
                if progress is not None:
                    progress.end_line()
                if debugger.serve_stop() == "kill":
                    stop = Stop("killed", detail="gdb kill")
                    break
                continue
            if stop.reason == "switch_cpu":
                target = other_model if machine.cpus[0].kind[4:] == first_model else first_model
                machine.switch_cpu(target)
                if debugger is not None:
                    debugger.after_switch()
                if progress is not None:
                    progress.end_line()
                switches.append({"instret": machine.instret, "to": target, "trigger": stop.detail})
                print(f"[graphsim] switched to cpu.{target} at {machine.instret:,} insts ({stop.detail})",
                      file=sys.stderr)
                continue
            if stop.reason != "checkpoint":
                break
            kind, _, detail = stop.detail.partition(":")
            checkpoint(kind, detail)
    finally:
        if debugger is not None:
            debugger.finish(stop)
        if progress is not None:
            progress.end_line()
        machine.dump_stats("end of simulation")
        machine.stats_log.write(options.outdir)
        log.close()
        machine.console.sinks.remove(log)
    host = time.perf_counter() - started
    executed = machine.instret - start_insts
    summary = {"stop": stop.reason, "exit_code": stop.exit_code, "detail": stop.detail,
               "instret": machine.instret, "tick": machine.tick, "host_seconds": round(host, 4),
               "mips": round(executed / host / 1e6, 2) if host else 0.0, "checkpoints": checkpoints,
               "cpu_switches": switches,
               "first_instruction_wall": machine.first_run_wall}
    if options.digest:
        summary["digest"] = machine.digest()
    with open(os.path.join(options.outdir, "run.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    return stop, summary


def report(stop: Stop, summary: dict):
    what = {"exit": f"guest exited with code {stop.exit_code}", "max_insts": "reached --max-insts",
            "max_tick": "reached --max-tick", "idle": "guest idle: " + stop.detail,
            "killed": "killed from gdb"}.get(stop.reason, stop.reason)
    print(f"[graphsim] {what} after {summary['instret']:,} insts, {summary['tick'] / 1e12:.6f} s simulated, "
          f"{summary['host_seconds']:.2f} s host ({summary['mips']:.1f} MIPS)", file=sys.stderr)
    if "digest" in summary:
        print(f"digest {summary['digest']}")
