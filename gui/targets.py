"""Targets of a compatibility diff or a restore, and the diff itself: pure Python, no Qt.

These functions read files, elaborate machines and hash disk images, so the
app calls them from worker threads. Each opens its own `Library` (SQLite
connections belong to the thread that made them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import tomli_w

from graphsim.checkpoint.compat import Finding, diff, exit_code, machine_record
from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import set_cpu_model, target_disks, target_graph
from graphsim.config.loader import load_machine_text
from graphsim.devices.disk import image_identity
from graphsim.graph.elaborate import MachineGraph, elaborate

OWN, FILE, TEXT, CHECKPOINT = "own", "file", "text", "checkpoint"


@dataclass
class Target:
    """What to compare a checkpoint with.

    ``kind``: the checkpoint's own machine, a machine file, machine text held in
    memory (the editor's), or another checkpoint. ``cpu`` overrides the CPU model
    of every hart; ``disks`` maps disk names to replacement images.
    """

    kind: str = OWN
    path: str = ""  # FILE: the machine file
    text: str = ""  # TEXT: the machine document
    text_name: str = "<editor>"
    base_dir: str = "."  # TEXT: where its includes and relative paths resolve
    checkpoint: str = ""  # CHECKPOINT: the other checkpoint
    cpu: str | None = None
    disks: dict[str, str] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    strict: str = "features"

    def describe(self) -> str:
        what = {OWN: "the checkpoint's own machine", FILE: os.path.basename(self.path) or "a machine file",
                TEXT: f"{self.text_name} (editor)", CHECKPOINT: f"checkpoint {self.checkpoint}"}[self.kind]
        extra = []
        if self.cpu and self.kind != CHECKPOINT:
            extra.append(f"CPU {self.cpu}")
        extra += [f"{n} → {os.path.basename(p)}" for n, p in self.disks.items() if p]
        return what + (f" ({', '.join(extra)})" if extra else "")


@dataclass
class Comparison:
    source_id: str
    source: dict  # the checkpoint's manifest
    target: Target
    findings: list[Finding]
    target_record: dict
    other: dict | None = None  # manifest of the other checkpoint (CHECKPOINT targets)

    @property
    def code(self) -> int:
        return exit_code(self.findings, allow_warnings=False)


def graph_from_text(text: str, name: str, base_dir: str, overrides=(), cpu: str | None = None) -> MachineGraph:
    """Elaborate machine text held in memory, with the same CPU-model override `target_graph` applies."""
    source = load_machine_text(text, name=name, base_dir=base_dir, overrides=list(overrides))
    set_cpu_model(source, cpu)
    return elaborate(source)


def checkpoint_graph(manifest: dict) -> MachineGraph:
    """The machine a checkpoint was taken on, from its resolved config."""
    return elaborate(load_machine_text(tomli_w.dumps(manifest["config"]), name=f"<checkpoint {manifest['id']}>"))


def build_target(manifest: dict, target: Target) -> MachineGraph:
    if target.kind == TEXT:
        return graph_from_text(target.text, target.text_name, target.base_dir, target.overrides, target.cpu)
    return target_graph(manifest, target.path if target.kind == FILE else None, list(target.overrides), target.cpu)


def compare(library_root: str, cpt_id: str, target: Target) -> Comparison:
    """Graded findings for restoring ``cpt_id`` onto ``target`` (hashes disk images: run off the UI thread)."""
    library = Library(library_root, create=False)
    try:
        manifest = library.manifest(library.resolve(cpt_id))
        if target.kind == CHECKPOINT:
            other = library.manifest(library.resolve(target.checkpoint))
            record = other["compat"]
            return Comparison(cpt_id, manifest, target, diff(manifest["compat"], record, target.strict), record,
                              other)
    finally:
        library.close()
    graph = build_target(manifest, target)
    _, identities = target_disks(graph, {n: p for n, p in target.disks.items() if p})
    record = machine_record(graph, disks=identities)
    return Comparison(cpt_id, manifest, target, diff(manifest["compat"], record, target.strict), record)


@dataclass
class DiskChange:
    """A replacement image against the checkpoint's disk identity."""

    name: str
    path: str
    size: int
    sha256: str
    old_size: int
    old_sha256: str

    @property
    def same(self) -> bool:
        return self.size == self.old_size and self.sha256 == self.old_sha256


def disk_change(name: str, path: str, old: dict) -> DiskChange:
    """Hash a replacement image (slow for big images: run off the UI thread)."""
    identity = image_identity(path)
    return DiskChange(name, path, identity["size"], identity["sha256"], int(old.get("size", 0)),
                      str(old.get("sha256", "")))
