"""Sweep files: one starting point, a run, axes of configuration values, stats to collect.

A sweep file (TOML, versioned like machine files)::

    version = 1
    [sweep]
    name = "matmul-caches"                 # names the results directory (default: the file's stem)
    library = "lib"                        # checkpoint library (default: $GRAPHSIM_LIBRARY / user data dir)
    scheduler = "tcp://10.0.0.5:8786"      # an existing Dask cluster (default: a LocalCluster)
    workers = 2                            # LocalCluster worker processes (default: one per core)
    [start]
    checkpoint = "matmul-200k"             # a library checkpoint (id, prefix or name) ...
    machine = "configs/virt-rv64.toml"     # ... restored onto this machine (default: its own), or,
                                           # without a checkpoint, the machine booted from its workload
    kernel = "hello.elf"                   # boot only: overrides [workload] (also firmware, initrd, bootargs)
    set = ["components.l2.assoc=8"]        # overrides every point shares
    disks = { disk0 = "rootfs.img" }
    strict = "features"                    # compatibility strictness (exact, features, none)
    allow_warnings = false
    [run]
    insts = 1_000_000                      # instructions from the start point (all harts) ...
    tick = 5_000_000_000                   # ... or simulated ticks (ps) from the start point
    until = "exit"                         # or "workend": stop at the guest's m5 work_end
    warmup_insts = 0                       # fast-forward on cpu.atomic_warm first (caches, predictor warm)
    digest = false                         # record each point's state digest (hashes all of RAM: ~0.5 s)
    [axes]                                 # the full product of the lists ...
    cpu = ["timing", "pipelined"]
    "components.l1d.size" = ["16KiB", "32KiB"]
    # [[points]]                           # ... or an explicit list of points (not both)
    # cpu = "timing"
    # "components.l1d.size" = "16KiB"
    [stats]
    collect = ["system.cpu.ipc", "system.l1d.overall*"]   # gem5 names, shell wildcards

Every problem is reported with the file and the key path; `check_points` (in
graphsim/sweep/plan.py) then checks every point's machine and compatibility
before anything runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from ..errors import ConfigError, Problem, Problems

FORMAT_VERSION = 1
OLDEST_FORMAT_VERSION = 1

TABLES = {
    "sweep": {"name", "library", "scheduler", "workers"},
    "start": {"checkpoint", "machine", "kernel", "firmware", "initrd", "bootargs", "set", "disks", "strict",
              "allow_warnings"},
    "run": {"insts", "tick", "until", "warmup_insts", "digest"},
    "stats": {"collect"},
}
TOP_LEVEL = {"version", "axes", "points"} | set(TABLES)
UNTIL = ("exit", "workend")
STRICT = ("exact", "features", "none")
CPU_AXIS = "cpu"


@dataclass
class Point:
    """One machine of the sweep: its axis values, in the sweep file's axis order."""

    index: int
    values: dict[str, object]

    @property
    def id(self) -> str:
        """Stable across runs of the same sweep (resume finds finished points by it)."""
        text = json.dumps(self.values, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def dirname(self) -> str:
        return f"p{self.index:03d}-{self.id}"

    @property
    def cpu(self) -> str | None:
        value = self.values.get(CPU_AXIS)
        return None if value is None else str(value)

    def overrides(self) -> list[str]:
        """The point's config keys as ``--set`` overrides (values as TOML, so units need no care)."""
        return [f"{key}={toml_value(value)}" for key, value in self.values.items() if key != CPU_AXIS]

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items())


def toml_value(value) -> str:
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


@dataclass
class SweepSpec:
    path: str
    name: str
    library: str | None
    scheduler: str | None
    workers: int | None
    checkpoint: str | None
    machine: str | None
    boot: dict[str, str]  # kernel, firmware, initrd, bootargs (a booted start only)
    base_set: list[str]
    disks: dict[str, str]
    strict: str
    allow_warnings: bool
    insts: int | None
    tick: int | None
    until: str
    warmup_insts: int
    digest: bool
    axes: list[str]
    points: list[Point]
    collect: list[str] = field(default_factory=list)

    def identity(self) -> str:
        """What makes two runs the same sweep (results of one may resume the other): the start,
        the run and the stats collected — not the axes, whose points are matched one by one."""
        text = json.dumps({"checkpoint": self.checkpoint, "machine": self.machine, "boot": self.boot,
                           "set": self.base_set, "disks": self.disks, "strict": self.strict,
                           "insts": self.insts, "tick": self.tick, "until": self.until,
                           "warmup_insts": self.warmup_insts, "digest": self.digest, "collect": self.collect},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and check a sweep file; raises ConfigError naming every bad key."""
    shown = str(path)
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem(shown, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(shown, None, f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(shown, None, f"malformed TOML: {exc}")]) from None
    return parse_sweep(doc, shown, Path(path).resolve().parent)


def parse_sweep(doc: dict, shown: str, base_dir: Path) -> SweepSpec:
    problems = Problems()
    _check_version(doc, shown)
    for key in doc:
        if key not in TOP_LEVEL:
            problems.add(shown, key, f"unknown key (expected one of {', '.join(sorted(TOP_LEVEL))})")
    tables = {}
    for table, keys in TABLES.items():
        value = doc.get(table, {})
        if not isinstance(value, dict):
            problems.add(shown, table, "must be a table")
            value = {}
        for key in value:
            if key not in keys:
                problems.add(shown, f"{table}.{key}", f"unknown key (expected one of {', '.join(sorted(keys))})")
        tables[table] = value
    sweep, start, run, stats = tables["sweep"], tables["start"], tables["run"], tables["stats"]

    def string(table, key):
        value = tables[table].get(key)
        if value is not None and not isinstance(value, str):
            problems.add(shown, f"{table}.{key}", f"{value!r} is not a string")
            return None
        return value

    def path_of(table, key):
        value = string(table, key)
        return None if value is None else str((base_dir / os.path.expanduser(value)))

    def count(table, key, minimum=1):
        value = tables[table].get(key)
        if value is None:
            return None
        if not _is_int(value) or value < minimum:
            problems.add(shown, f"{table}.{key}", f"{value!r} is not an integer >= {minimum}")
            return None
        return value

    name = string("sweep", "name") or Path(shown).stem
    scheduler = string("sweep", "scheduler")
    if scheduler is not None and "://" not in scheduler:
        problems.add(shown, "sweep.scheduler", f"{scheduler!r} is not a scheduler address like tcp://HOST:8786")
    workers = count("sweep", "workers")
    checkpoint = string("start", "checkpoint")
    machine = path_of("start", "machine")
    if checkpoint is None and machine is None:
        problems.add(shown, "start", "needs a checkpoint to restore or a machine to boot "
                                     "(start.checkpoint or start.machine)")
    boot = {}
    for key in ("kernel", "firmware", "initrd", "bootargs"):
        if key in start:
            if checkpoint is not None:
                problems.add(shown, f"start.{key}", "only for a booted start (the checkpoint's guest is running)")
            value = path_of("start", key) if key != "bootargs" else string("start", key)
            if value is not None:
                boot[key] = value
    base_set = start.get("set", [])
    if not isinstance(base_set, list) or not all(isinstance(s, str) and "=" in s for s in base_set):
        problems.add(shown, "start.set", f"{base_set!r} is not a list of KEY=VALUE overrides")
        base_set = []
    disks = start.get("disks", {})
    if not isinstance(disks, dict) or not all(isinstance(v, str) for v in disks.values()):
        problems.add(shown, "start.disks", f"{disks!r} is not a table of NAME = IMAGE")
        disks = {}
    disks = {n: str(base_dir / os.path.expanduser(p)) for n, p in disks.items()}
    strict = start.get("strict", "features")
    if strict not in STRICT:
        problems.add(shown, "start.strict", f"{strict!r}: expected one of {', '.join(STRICT)}")
    allow_warnings = start.get("allow_warnings", False)
    if not isinstance(allow_warnings, bool):
        problems.add(shown, "start.allow_warnings", f"{allow_warnings!r} is not true or false")

    insts, tick = count("run", "insts"), count("run", "tick")
    until = run.get("until", "exit")
    if until not in UNTIL:
        problems.add(shown, "run.until", f"{until!r}: expected one of {', '.join(UNTIL)}")
    warmup = count("run", "warmup_insts", minimum=0) or 0
    digest = run.get("digest", False)
    if not isinstance(digest, bool):
        problems.add(shown, "run.digest", f"{digest!r} is not true or false")

    axes, points = _points(doc, shown, problems)

    collect = stats.get("collect", ["*"])
    if not isinstance(collect, list) or not collect or not all(isinstance(c, str) and c for c in collect):
        problems.add(shown, "stats.collect", f"{collect!r} is not a non-empty list of stat names or patterns")
        collect = ["*"]
    problems.raise_if_any()
    return SweepSpec(shown, name, path_of("sweep", "library"), scheduler, workers, checkpoint, machine, boot,
                     list(base_set), disks, strict, allow_warnings, insts, tick, until, warmup, digest is True,
                     axes, points, list(collect))


def _check_version(doc: dict, shown: str):
    version = doc.get("version")
    if version is None:
        raise ConfigError([Problem(shown, "version",
                                   f"missing; a sweep file starts with 'version = {FORMAT_VERSION}'")])
    if not _is_int(version):
        raise ConfigError([Problem(shown, "version", f"{version!r} is not an integer format version")])
    if version > FORMAT_VERSION:
        raise ConfigError([Problem(shown, "version", f"format version {version} is newer than this graphsim "
                                   f"reads ({FORMAT_VERSION}); upgrade graphsim")])
    if version < OLDEST_FORMAT_VERSION:
        raise ConfigError([Problem(shown, "version", f"format version {version} is older than the oldest this "
                                   f"graphsim reads ({OLDEST_FORMAT_VERSION}); update the file")])


def _check_value(shown: str, where: str, key: str, value, problems: Problems) -> bool:
    if isinstance(value, (dict, list)):
        problems.add(shown, where, f"{value!r} is not a single value")
        return False
    if key == CPU_AXIS and not isinstance(value, str):
        problems.add(shown, where, f"{value!r} is not a CPU model name")
        return False
    if key != CPU_AXIS and (not key.startswith("components.") or len(key.split(".")) < 3):
        problems.add(shown, where, "an axis is 'cpu' or a config key like components.l1d.size")
        return False
    return True


def _points(doc: dict, shown: str, problems: Problems) -> tuple[list[str], list[Point]]:
    axes_table = doc.get("axes")
    explicit = doc.get("points")
    if axes_table is not None and explicit is not None:
        problems.add(shown, "points", "give either [axes] (their full product) or [[points]], not both")
        return [], []
    if axes_table is None and explicit is None:
        problems.add(shown, "axes", "missing: the sweep needs [axes] or [[points]]")
        return [], []
    if axes_table is not None:
        if not isinstance(axes_table, dict) or not axes_table:
            problems.add(shown, "axes", "must be a table of KEY = [values], with at least one axis")
            return [], []
        axes, lists = [], []
        for key, values in _flatten(axes_table).items():
            where = f"axes.{key}"
            if not isinstance(values, list):
                problems.add(shown, where, f"{values!r} is not a list of values")
                continue
            if not values:
                problems.add(shown, where, "empty axis: give at least one value")
                continue
            if len({json.dumps(v, default=str) for v in values}) != len(values):
                problems.add(shown, where, "lists a value twice")
            if all(_check_value(shown, f"{where}[{i}]", key, v, problems) for i, v in enumerate(values)):
                axes.append(key)
                lists.append(values)
        points = [Point(i, dict(zip(axes, combo))) for i, combo in enumerate(itertools.product(*lists))]
        return axes, points
    if not isinstance(explicit, list) or not explicit or not all(isinstance(p, dict) for p in explicit):
        problems.add(shown, "points", "must be a non-empty array of tables ([[points]])")
        return [], []
    axes: list[str] = []
    points = []
    seen = set()
    for i, table in enumerate(explicit):
        values = {}
        for key, value in _flatten(table).items():
            if _check_value(shown, f"points[{i}].{key}", key, value, problems):
                values[key] = value
                if key not in axes:
                    axes.append(key)
        point = Point(i, values)
        if point.id in seen:
            problems.add(shown, f"points[{i}]", "repeats an earlier point")
        seen.add(point.id)
        points.append(point)
    for point in points:  # every point names every axis, in one order
        missing = [a for a in axes if a not in point.values]
        if missing:
            problems.add(shown, f"points[{point.index}]", f"does not set {', '.join(missing)} (every point sets "
                                                          "the same keys)")
        point.values = {a: point.values.get(a) for a in axes}
    return axes, points


def _flatten(table: dict, prefix: str = "") -> dict:
    """Dotted keys whether written quoted ("components.l1d.size") or bare (components.l1d.size)."""
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
