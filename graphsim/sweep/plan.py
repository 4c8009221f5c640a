"""Checking a sweep before anything runs, and what each point's worker is given.

`check_points` builds every point's target machine (the start's machine with
the sweep's and the point's overrides, on the point's CPU model) and diffs it
against the checkpoint's compatibility record — on the client, before any
point runs. A bad key or value is an error of the sweep file (naming the axis
key); a point the checkpoint cannot restore onto is reported and skipped.

What travels to a worker is plain data (`PointTask`): the point's resolved
machine document, the run, and content hashes of the files it needs (the
checkpoint as its exported single file, disk images, boot files) — never a
path on the client's filesystem.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field

import tomli_w

from ..checkpoint.compat import diff, exit_code, machine_record
from ..checkpoint.library import Library
from ..checkpoint.restore import set_cpu_model, target_disks, target_graph
from ..config.loader import load_machine
from ..devices.disk import image_identity
from ..errors import ConfigError, GraphsimError, Problem
from ..graph.dump import resolved_document
from ..graph.elaborate import elaborate
from ..mem.hierarchy import check_hierarchy
from .spec import CPU_AXIS, Point, SweepSpec


@dataclass
class PointTask:
    """Everything a worker needs to run one point (plain data, sent to workers as is)."""

    point: str
    index: int
    dirname: str
    values: dict
    cpu: str  # the measured CPU model
    machine_toml: str  # the point's resolved machine
    checkpoint: str | None  # checkpoint id (restored from the shipped archive), or None: boot
    disks: dict[str, str] = field(default_factory=dict)  # disk name -> image sha256
    boot: dict[str, str] = field(default_factory=dict)  # kernel/firmware/initrd -> sha256; bootargs -> text
    names: dict[str, str] = field(default_factory=dict)  # sha256 -> the file's name on the client (for messages)
    insts: int | None = None
    tick: int | None = None
    until: str = "exit"
    warmup_insts: int = 0
    digest: bool = False
    collect: list[str] = field(default_factory=list)
    strict: str = "features"
    allow_warnings: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SweepPlan:
    spec: SweepSpec
    tasks: list[PointTask]
    skipped: list[tuple[Point, str]]  # incompatible points and why
    checkpoint: str | None  # id in the client's library
    library: Library | None
    files: dict[str, str]  # sha256 -> path on the client (disk images, boot files)

    def start_record(self) -> dict:
        """Where the points started, as the results table records it."""
        if self.checkpoint is None:
            return {"machine": self.spec.machine, **self.spec.boot}
        return {"checkpoint": self.checkpoint, "library": self.library.root}


def _hash_file(path: str, where: str) -> str:
    try:
        return image_identity(path)["sha256"]
    except GraphsimError as exc:
        raise ConfigError([Problem(where, None, str(exc))]) from None


def _renamed(exc: GraphsimError, spec: SweepSpec, point: Point) -> list[Problem]:
    """A machine error of one point, told as the sweep file's: overrides are the axes' keys."""
    problems = []
    axis_keys = {k for k in point.values if k != CPU_AXIS}
    for line in (exc.problems if isinstance(exc, ConfigError) else exc.lines()):
        if isinstance(line, Problem):
            key = line.key or ""
            head = next((k for k in axis_keys if key == k or key.startswith(k + ".") or k.startswith(key + ".")),
                        None) or next((k for k in axis_keys if key.split(".")[:2] == k.split(".")[:2]), None)
            if head is not None:
                problems.append(Problem(spec.path, f"axes.{head}", f"{point.values[head]!r}: {line.message}"))
            elif line.file == "--set":
                problems.append(Problem(spec.path, "start.set", f"{key}: {line.message}"))
            else:
                problems.append(Problem(spec.path, None, f"point {point.label()}: {line}"))
        elif line.startswith("--cpu"):
            problems.append(Problem(spec.path, f"axes.{CPU_AXIS}",
                                    f"{point.values[CPU_AXIS]!r}: {line.split(': ', 1)[-1]}"))
        else:
            problems.append(Problem(spec.path, None, f"point {point.label()}: {line}"))
    return problems


def check_points(spec: SweepSpec) -> SweepPlan:
    """Every point's machine and compatibility, checked before anything runs.

    Raises ConfigError naming every bad key; returns the runnable points' tasks and the
    incompatible points (reported and skipped)."""
    problems: list[Problem] = []
    library = cpt_id = manifest = None
    if spec.checkpoint is not None:
        library = Library(spec.library)
        try:
            cpt_id = library.resolve(spec.checkpoint)
        except GraphsimError as exc:
            raise ConfigError([Problem(spec.path, "start.checkpoint", str(exc))]) from None
        manifest = library.manifest(cpt_id)
    files: dict[str, str] = {}
    disk_hashes = {}
    for name, path in spec.disks.items():
        disk_hashes[name] = _hash_file(path, f"{spec.path}: start.disks.{name}")
    tasks, skipped = [], []
    known_disks: dict[tuple, tuple] = {}
    for point in spec.points:
        overrides = spec.base_set + point.overrides()
        try:
            if manifest is not None:
                graph = target_graph(manifest, spec.machine, overrides, point.cpu)
            else:
                source = load_machine(spec.machine, overrides)
                set_cpu_model(source, point.cpu)
                graph = elaborate(source)
            check_hierarchy(graph)
        except GraphsimError as exc:
            problems += _renamed(exc, spec, point)
            continue
        model = graph.components[graph.cpus[0]].kind[4:]
        task = PointTask(point.id, point.index, point.dirname, dict(point.values), model,
                         tomli_w.dumps(resolved_document(graph)), cpt_id, insts=spec.insts, tick=spec.tick,
                         until=spec.until, warmup_insts=spec.warmup_insts, digest=spec.digest,
                         collect=list(spec.collect), strict=spec.strict, allow_warnings=spec.allow_warnings)
        try:
            if manifest is not None:
                paths, identities = _disks(graph, spec, manifest, known_disks)
                findings = diff(manifest["compat"], machine_record(graph, disks=identities), spec.strict)
                if exit_code(findings, spec.allow_warnings):
                    worst = [str(f) for f in findings if f.grade in ("incompatible", "warning")]
                    skipped.append((point, "; ".join(" ".join(w.split()) for w in worst)))
                    continue
            else:
                paths = {c.name: spec.disks.get(c.name) or c.params.image for c in graph.of_kind("virtio_blk")}
                identities = {}
                task.boot = _boot_files(spec, graph, files)
        except GraphsimError as exc:
            problems += _renamed(exc, spec, point)
            continue
        for name, path in paths.items():
            if not path:
                problems.append(Problem(spec.path, f"start.disks.{name}", "no image for this disk"))
                continue
            sha = (identities.get(name, {}).get("sha256") or disk_hashes.get(name)
                   or _hash_file(path, f"{spec.path}: start.disks.{name}"))
            task.disks[name] = sha
            files[sha] = path
        task.names = {sha: os.path.basename(files[sha]) for sha in list(task.disks.values()) +
                      [v for k, v in task.boot.items() if k != "bootargs"]}
        tasks.append(task)
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))  # a bad value once, not once per point using it
    return SweepPlan(spec, tasks, skipped, cpt_id, library, files)


def _disks(graph, spec: SweepSpec, manifest: dict, known: dict) -> tuple[dict, dict]:
    """Disk paths and identities of a point's machine (`target_disks`), hashing each set of images once."""
    checkpoint_disks = manifest["compat"].get("disks") or {}
    key = tuple(sorted((c.name, spec.disks.get(c.name) or checkpoint_disks.get(c.name, {}).get("path")
                        or c.params.image or "") for c in graph.of_kind("virtio_blk")))
    if key not in known:
        known[key] = target_disks(graph, spec.disks, checkpoint_disks)
    return known[key]


def _boot_files(spec: SweepSpec, graph, files: dict) -> dict:
    workload = dict(graph.workload)
    workload.update(spec.boot)
    boot = {}
    for key in ("kernel", "firmware", "initrd"):
        path = workload.get(key)  # the machine file's are resolved from its directory, the sweep file's from its
        if path:
            sha = _hash_file(path, f"{spec.path}: start.{key}")
            files[sha] = path
            boot[key] = sha
    if workload.get("bootargs") is not None:
        boot["bootargs"] = str(workload["bootargs"])
    if "kernel" not in boot and "firmware" not in boot:
        raise ConfigError([Problem(spec.path, "start.kernel", "nothing to boot: give start.kernel (or [workload] "
                                                               "kernel in the machine file)")])
    return boot


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
