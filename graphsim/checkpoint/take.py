"""Taking a checkpoint of a running machine: drain, describe, write atomically."""

from __future__ import annotations

import time

from ..graph.dump import resolved_document
from ..isa.state import describe_used
from .compat import TRACKED_EXTENSIONS, machine_record, xlen_of
from .library import Library

CONSOLE_TAIL = 4096


def used_record(machine) -> dict:
    """Per hart: the extensions, privilege modes and paging modes the guest has exercised."""
    record = {}
    for hart, cpu in enumerate(machine.cpus):
        described = describe_used(machine.used_mask(hart), xlen_of(cpu.params.isa))
        record[cpu.name] = {
            "extensions": sorted(k for k in TRACKED_EXTENSIONS if described.get(k)),
            "modes": [m for m, key in (("S", "S-mode"), ("U", "U-mode")) if described.get(key)],
            "paging_modes": described.get("paging_modes", []),
        }
    return record


def disk_identities(machine) -> dict:
    return {c.name: {**c.disk.identity(), "path": c.disk.path} for c in machine.graph.of_kind("virtio_blk")}


def take_checkpoint(machine, library: Library, trigger: dict, parent: str = "", name: str = "",
                    note: str = "", records: dict | None = None) -> tuple[str, dict, float]:
    """Drain the machine and write a checkpoint; returns (id, manifest, seconds taken).
    ``records`` are extra manifest tables (e.g. ``simpoint``: the sample a checkpoint starts)."""
    started = time.perf_counter()
    machine.drain()
    header = {
        "machine_name": machine.graph.name,
        "parent": parent,
        "trigger": trigger,
        "position": {"tick": machine.tick, "instret": machine.instret,
                     "harts": {cpu.name: machine.hart_instret(h) for h, cpu in enumerate(machine.cpus)}},
        "compat": machine_record(machine.graph, used_record(machine), disk_identities(machine)),
        "config": resolved_document(machine.graph),
        "console": {"tail": machine.console.tail_text(CONSOLE_TAIL)},
        **(records or {}),
    }
    cpt_id, manifest = library.add(machine.save_state(), header, name=name, note=note)
    return cpt_id, manifest, time.perf_counter() - started
