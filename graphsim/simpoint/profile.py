"""`graphsim simpoint profile`: run a workload's region on the atomic CPU, counting basic
blocks per interval of N instructions, and checkpoint the region's start.

A workload is a machine file (bare metal: its [workload] or --kernel; the region is the
whole run, or with --work-region the part between the guest's m5 work_begin and
work_end) or a library checkpoint (restored on its own machine; the region is between
work_begin and work_end). The profile pass takes the *start checkpoint* at the region's
first instruction; every simpoint checkpoint is its child, and the full detailed run of
--verify restores it.

The profile directory holds:
  profile.json   the workload, its identity, the region, interval, per-interval
                 instruction counts, the start checkpoint and the block start pcs
  profile.bb.gz  the basic-block vectors (gem5 / SimPoint 3.2 format)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

import tomli_w

from ..checkpoint.library import Library
from ..checkpoint.restore import plan_restore, set_cpu_model
from ..checkpoint.take import take_checkpoint
from ..config.loader import load_machine
from ..errors import GraphsimError
from ..graph.dump import resolved_document
from ..graph.elaborate import elaborate
from ..sim.console import Console
from ..sim.machine import Machine, RunLimits
from .bbv import BlockCounter, write_bbv

PROFILE_VERSION = 1
PROFILE_FILE = "profile.json"
BBV_FILE = "profile.bb.gz"
PROFILE_MODEL = "atomic"


class SimpointError(GraphsimError):
    pass


@dataclass
class Workload:
    """What to profile: a machine file (booted) or a library checkpoint (restored)."""

    source: str  # the machine file, or the checkpoint reference
    is_checkpoint: bool
    work_region: bool  # region between m5 work_begin and work_end (always for a checkpoint)
    kernel: str | None = None
    overrides: list[str] = field(default_factory=list)
    identity: dict = field(default_factory=dict)

    @staticmethod
    def of(source: str, library: Library, kernel: str | None = None, overrides=(),
           work_region: bool = False) -> "Workload":
        if os.path.isfile(source) and source.endswith(".toml"):
            w = Workload(source, False, work_region, kernel, list(overrides))
            w.identity = w._config_identity()
            return w
        try:
            cpt_id = library.resolve(source)
        except GraphsimError as exc:
            raise SimpointError(f"{source}: neither a machine file nor a checkpoint ({exc})") from None
        if kernel or overrides:
            raise SimpointError(f"{source}: --kernel and --set are for a machine file, not a checkpoint")
        return Workload(cpt_id, True, True, identity={"checkpoint": cpt_id})

    def _config_identity(self) -> dict:
        graph = elaborate(load_machine(self.source, list(self.overrides)))
        document = resolved_document(graph)
        kernel = self.kernel or graph.workload.get("kernel")
        if not kernel:
            raise SimpointError(f"{self.source}: nothing to run: give --kernel (or [workload] kernel)")
        self.kernel = kernel
        identity = {"config": hashlib.sha256(tomli_w.dumps(document).encode()).hexdigest()}
        for name in ("kernel", "firmware", "initrd"):
            path = kernel if name == "kernel" else graph.workload.get(name)
            if path:
                identity[name] = _file_sha256(path)
        return identity

    def describe(self) -> str:
        return f"checkpoint {self.source}" if self.is_checkpoint else f"{self.source} ({self.kernel})"

    def build(self, library: Library, console: Console) -> Machine:
        """The machine at the workload's first instruction, on the atomic CPU."""
        if self.is_checkpoint:
            return plan_restore(library, self.source, cpu=PROFILE_MODEL).build(console)
        source = load_machine(self.source, list(self.overrides))
        set_cpu_model(source, PROFILE_MODEL)
        machine = Machine(elaborate(source), None, console)
        machine.boot(kernel=self.kernel)
        return machine


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise SimpointError(f"{path}: {exc.strerror}") from None
    return digest.hexdigest()


def run_to_region_start(machine: Machine, workload: Workload):
    """Run (atomic) to the work region's begin, if the region is one."""
    if not workload.work_region:
        return
    machine.stop_at_work_begin = True
    stop = machine.run(RunLimits())
    machine.stop_at_work_begin = False
    if stop.reason != "work_begin":
        raise SimpointError(f"{workload.describe()}: the guest never reached m5 work_begin "
                            f"(it stopped: {stop.reason} {stop.detail})".rstrip())


def profile(workload: Workload, library: Library, outdir: str, interval: int, progress=None,
            max_insts: int | None = None) -> dict:
    """Profile the region; write profile.json and profile.bb.gz in ``outdir``; returns the profile.
    ``max_insts`` ends the region after that many instructions if it has not ended by then (a guest
    that never exits or never reaches m5 work_end); profile.json's ``end`` then says "max_insts"."""
    if interval <= 0:
        raise SimpointError(f"--interval {interval}: must be a positive number of instructions")
    if max_insts is not None and max_insts <= 0:
        raise SimpointError(f"--max-insts {max_insts}: must be a positive number of instructions")
    if max_insts is not None and max_insts < interval:
        raise SimpointError(f"--interval {interval:,}: longer than the region (--max-insts {max_insts:,})")
    started = time.perf_counter()
    console = Console()
    machine = workload.build(library, console)
    try:
        run_to_region_start(machine, workload)
        parent = workload.source if workload.is_checkpoint else ""
        start_id, _, _ = take_checkpoint(machine, library, {"kind": "simpoint", "detail": "region start"},
                                         parent=parent, note=f"SimPoint region start of {workload.describe()}",
                                         records={"simpoint": {"role": "region start",
                                                               "workload": workload.identity,
                                                               "outdir": os.path.abspath(outdir)}})
        machine.stop_at_work_end = workload.work_region
        region_start = machine.instret
        counter = BlockCounter(machine.core)
        compiled_before = _compiled_insts(machine)
        intervals: list[dict[int, int]] = []
        lengths: list[int] = []
        current: dict[int, int] = {}
        profile_started = time.perf_counter()
        cap = None if max_insts is None else region_start + max_insts
        while True:
            boundary = region_start + (len(intervals) + 1) * interval
            if cap is not None:
                boundary = min(boundary, cap)
            stop = machine.run(RunLimits(max_insts=boundary), slice_insts=counter.slice_insts,
                               progress=lambda m: counter.harvest(current))
            counter.close_interval(current)
            done = machine.instret - region_start - sum(lengths)
            if done > 0:
                intervals.append(current)
                lengths.append(done)
                current = {}
            if progress is not None:
                progress(f"profile: {len(intervals)} intervals, {machine.instret - region_start:,} instructions")
            cut = stop.reason == "max_insts" and machine.instret == cap  # (the region ends at --max-insts)
            if stop.reason != "max_insts" or cut:
                break
        counter.stop()
        profile_seconds = time.perf_counter() - profile_started
        compiled = _compiled_insts(machine) - compiled_before
        if stop.reason == "exit" and stop.exit_code != 0:
            raise SimpointError(f"{workload.describe()}: the guest exited with code {stop.exit_code}")
        if stop.reason not in ("exit", "work_end") and not cut:
            raise SimpointError(f"{workload.describe()}: the region ended early: {stop.reason} {stop.detail}".rstrip())
    finally:
        machine.close()
    region = sum(lengths)
    if region < interval:
        raise SimpointError(f"--interval {interval:,}: longer than the region ({region:,} instructions)")
    os.makedirs(outdir, exist_ok=True)
    blocks = write_bbv(os.path.join(outdir, BBV_FILE), intervals)
    result = {
        "version": PROFILE_VERSION,
        "workload": {"source": workload.source, "checkpoint": workload.is_checkpoint,
                     "work_region": workload.work_region, "kernel": workload.kernel,
                     "set": workload.overrides, "identity": workload.identity},
        "library": library.root,
        "start_checkpoint": start_id,
        "region_start_instret": region_start,
        "interval": interval,
        "interval_insts": lengths,
        "region_insts": region,
        "end": stop.reason,  # exit, work_end, or max_insts (the region cut at max_insts)
        "max_insts": max_insts,
        "blocks": [hex(pc & (2**64 - 1)) for pc in blocks],
        "seconds": round(time.perf_counter() - started, 3),
        "profile_seconds": round(profile_seconds, 3),
        "compiled_insts": compiled,  # of the region's, run by the block compiler (docs/jit.md); the rest interpreted
    }
    write_json(os.path.join(outdir, PROFILE_FILE), result)
    return result


def _compiled_insts(machine: Machine) -> int:
    stats = machine.core.jit_stats()
    return 0 if stats is None else stats["instructions"]


def write_json(path: str, data: dict):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def region_end(prof: dict) -> str:
    """How the profiled region ended, in words (the cap is worth saying: the region is not the whole work)."""
    if prof["end"] == "max_insts":
        goal = "reached m5 work_end" if prof["workload"]["work_region"] else "exited"
        return f"cut at --max-insts {prof['max_insts']:,} instructions (the guest had not {goal} by then)"
    return {"exit": "the guest exited", "work_end": "m5 work_end"}.get(prof["end"], prof["end"])


def read_profile(outdir: str) -> dict:
    path = os.path.join(outdir, PROFILE_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise SimpointError(f"{outdir}: no profile here (run 'graphsim simpoint profile' first)") from None
    except (OSError, ValueError) as exc:
        raise SimpointError(f"{path}: unreadable ({exc})") from None
    if data.get("version") != PROFILE_VERSION:
        raise SimpointError(f"{path}: profile version {data.get('version')!r}, expected {PROFILE_VERSION}")
    return data


def say(text: str):
    print(f"[simpoint] {text}", file=sys.stderr, flush=True)
