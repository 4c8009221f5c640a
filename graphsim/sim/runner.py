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
from ..checkpoint.library_cli import describe_trigger, terminal_safe
from ..checkpoint.take import take_checkpoint
from ..config.units import format_bytes
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
    checkpoint_on_interrupt: bool = False  # Ctrl-C / Ctrl-] takes a checkpoint before stopping
    gdb: str | None = None  # [HOST:]PORT of a GDB remote stub (graphsim/debug)
    wait_gdb: bool = False  # stop before the first instruction until GDB attaches
    script: str | None = None  # host file the guest reads with gem5's `m5 readfile`


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


def say(text: str):
    """Print one of graphsim's own messages on stderr, starting at column 0 even while the
    terminal is in raw mode (`--console`), where a bare newline does not return the carriage."""
    end = "\n"
    if sys.stderr.isatty():
        import termios

        try:
            if not termios.tcgetattr(sys.stderr.fileno())[1] & termios.OPOST:
                end = "\r\n"
        except termios.error:
            pass
    sys.stderr.write(text.replace("\n", end) + end)
    sys.stderr.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """A status line on stderr every half second: instructions, simulated time, MIPS and, when the
    run has a limit, how far it is and an estimate of the time left. `clear` and `end_line` take
    the line away before anything else is printed."""

    def __init__(self, limits: RunLimits | None = None):
        self.last = 0.0
        self.open = False
        self.started = time.perf_counter()
        self.start_insts = None
        self.start_tick = None
        self.limits = limits or RunLimits()

    def fraction(self, machine: Machine) -> float | None:
        """How much of the run is done, by the nearest limit (None without one)."""
        done = []
        if self.limits.max_insts is not None and self.limits.max_insts > self.start_insts:
            done.append((machine.instret - self.start_insts) / (self.limits.max_insts - self.start_insts))
        if self.limits.max_tick is not None and self.limits.max_tick > self.start_tick:
            done.append((machine.tick - self.start_tick) / (self.limits.max_tick - self.start_tick))
        return min(max(done), 1.0) if done else None

    def __call__(self, machine: Machine):
        now = time.perf_counter()
        if self.start_insts is None:
            self.start_insts, self.start_tick = machine.instret, machine.tick
        if now - self.last < 0.5:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = (machine.instret - self.start_insts) / elapsed / 1e6
        line = (f"\r[graphsim] {machine.instret:,} insts  {machine.tick / 1e12:.6f} s simulated  "
                f"{rate:.1f} MIPS ")
        done = self.fraction(machine)
        if done is not None:
            line += f" {100 * done:.0f}%" + (f"  ETA {_duration(elapsed * (1 - done) / done)} " if done > 0 else " ")
        sys.stderr.write(line)
        sys.stderr.flush()
        self.open = True

    def clear(self):
        if self.open:
            if sys.stderr.isatty():
                sys.stderr.write("\r\x1b[K")  # erase the line; what follows takes its place
                sys.stderr.flush()
                self.open = False
            else:
                self.end_line()  # a pipe (the desktop app) reads lines: just end it

    def end_line(self):
        if self.open:
            say("")
            self.open = False


class _ClearProgress:
    """A console sink placed before the terminal's: guest output never lands behind the progress line."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def write(self, data: bytes):
        self.progress.clear()

    def flush(self):
        pass


OUTPUTS = ("config.toml", "console.log", "stats.txt", "stats.json", "run.json")


def _write_run_json(outdir: str, summary: dict):
    path = os.path.join(outdir, "run.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


class _Interrupts:
    """While a run executes, Ctrl-C (SIGINT) asks the machine to stop at the next slice boundary,
    where its state is consistent (so it can still be checkpointed), instead of unwinding it."""

    def __init__(self, machine: Machine):
        self.machine = machine
        self.previous = None

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        self.machine.interrupt_requested = "Ctrl-C"

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def execute(machine: Machine, options: RunOptions, parent: str = "") -> tuple[Stop, dict]:
    """Run to the end, writing checkpoints as triggers fire; returns the final stop and a summary.

    The outdir never shows an earlier run's results as this one's: they are removed first, and
    run.json says "running" until the run ends (then: how it stopped, "interrupted" included)."""
    os.makedirs(options.outdir, exist_ok=True)
    for name in OUTPUTS:
        try:
            os.remove(os.path.join(options.outdir, name))
        except FileNotFoundError:
            pass
    _write_run_json(options.outdir, {"stop": "running", "instret": machine.instret, "tick": machine.tick,
                                     "outdir": os.path.abspath(options.outdir), "pid": os.getpid()})
    if options.script is not None and not os.path.isfile(options.script):
        raise GraphsimError(f"--script {options.script}: no such file")
    machine.script = options.script
    machine.outdir = options.outdir
    with open(os.path.join(options.outdir, "config.toml"), "w", encoding="utf-8") as f:
        f.write(resolved_toml(machine.graph))
    log = open(os.path.join(options.outdir, "console.log"), "wb")
    machine.console.add_sink(log)
    library = None
    checkpoints = []
    triggers = triggers_from(options)
    limits = RunLimits(options.max_insts, options.max_tick)
    progress = Progress(limits) if options.progress else None
    if progress is not None:
        machine.console.sinks.insert(0, _ClearProgress(progress))
    started = time.perf_counter()
    compile_before = machine.compile_seconds  # a CPU switch may compile another model mid-run
    start_insts = machine.instret
    first_model = machine.cpus[0].kind[4:]
    other_model = options.switch_to or ("timing" if first_model == "atomic" else "atomic")
    switches = []
    stop = Stop("killed", detail="gdb kill before the first instruction")

    def checkpoint(kind: str, detail: str, name: str = "", trigger: str = "") -> tuple[str, float]:
        nonlocal library, parent
        library = library or Library(options.library)
        cpt_id, manifest, seconds = take_checkpoint(
            machine, library, {"kind": kind, "detail": detail}, parent=parent,
            name=name or (options.name if options.name and not checkpoints else ""), note=options.note)
        parent = cpt_id
        if progress is not None:
            progress.end_line()
        checkpoints.append({"id": cpt_id, "instret": machine.instret, "tick": machine.tick,
                            "trigger": trigger or (f"{kind}:{detail}" if detail else kind), "seconds": round(seconds, 4),
                            "stored_bytes": manifest["stored_bytes"], "path": library.path(cpt_id)})
        say(f"[graphsim] checkpoint {cpt_id} at {machine.instret:,} insts ({describe_trigger(kind, detail)}) "
            f"in {seconds:.3f} s, {format_bytes(manifest['stored_bytes'])}")
        return cpt_id, seconds

    debugger = None
    if options.gdb is not None:
        from ..debug.stub import GdbStub

        debugger = GdbStub(machine, options.gdb, lambda name: checkpoint("gdb", "monitor", name))
    try:
        with _Interrupts(machine):
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
                    say(f"[graphsim] switched to cpu.{target} at {machine.instret:,} insts ({stop.detail})")
                    continue
                if stop.reason == "interrupted":
                    if options.checkpoint_on_interrupt:
                        checkpoint("interrupt", stop.detail, trigger=stop.detail)
                    break
                if stop.reason != "checkpoint":
                    break
                kind, _, detail = stop.detail.partition(":")
                checkpoint(kind, detail)
    finally:
        if debugger is not None:
            debugger.finish(stop)
        if progress is not None:
            progress.end_line()
            machine.console.sinks = [s for s in machine.console.sinks if not isinstance(s, _ClearProgress)]
        machine.dump_stats("end of simulation")
        machine.stats_log.write(options.outdir)
        log.close()
        machine.console.sinks.remove(log)
    host = time.perf_counter() - started - (machine.compile_seconds - compile_before)
    executed = machine.instret - start_insts
    summary = {"stop": stop.reason, "exit_code": stop.exit_code, "detail": stop.detail,
               "instret": machine.instret, "tick": machine.tick, "host_seconds": round(host, 4),
               "mips": round(executed / host / 1e6, 2) if host > 0 else 0.0,
               "compile_seconds": round(machine.compile_seconds, 4), "checkpoints": checkpoints,
               "cpu_switches": switches, "outdir": os.path.abspath(options.outdir),
               "kernel_oopses": machine.oopses,
               "first_instruction_wall": machine.first_run_wall}
    if options.digest:
        summary["digest"] = machine.digest()
    _write_run_json(options.outdir, summary)
    return stop, summary


def report(stop: Stop, summary: dict):
    if stop.reason == "panic":
        say(f"[graphsim] the guest kernel panicked (exit status {stop.exit_code}):\n"
            + "\n".join(terminal_safe(line) for line in stop.detail.splitlines()))
    for line in summary.get("kernel_oopses", [])[:10]:
        say(f"[graphsim] kernel problem reported: {terminal_safe(line)}")
    what = {"exit": f"guest exited with code {stop.exit_code}", "panic": "guest kernel panic",
            "max_insts": "reached --max-insts", "max_tick": "reached --max-tick", "idle": "guest idle: " + stop.detail,
            "interrupted": f"interrupted ({stop.detail})", "killed": "killed from gdb"}.get(stop.reason, stop.reason)
    say(f"[graphsim] {what} after {summary['instret']:,} insts, {summary['tick'] / 1e12:.6f} s simulated, "
          f"{summary['host_seconds']:.2f} s host ({summary['mips']:.1f} MIPS); "
          f"kernels compiled or loaded in {summary['compile_seconds']:.2f} s")
    say(f"[graphsim] outputs in {summary['outdir']}")
    if "digest" in summary:
        print(f"digest {summary['digest']}")
