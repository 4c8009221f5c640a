"""Restoring a checkpoint onto a machine: read and check everything first, then build.

`plan_restore` does all the reading and checking — the checkpoint's files and
checksums, the target machine file, the target disk images, the graded
compatibility diff — and returns a plan without having built or changed
anything. Only `RestorePlan.build` constructs the machine and loads the state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import tomli_w

from ..config.loader import MachineSource, load_machine, load_machine_text
from ..config.schema import component_kinds
from ..config.units import format_bytes
from ..devices.disk import DiskError, image_identity, recorded_image
from ..errors import GraphsimError
from ..graph.elaborate import MachineGraph, elaborate
from .compat import INCOMPATIBLE, Finding, diff, exit_code, machine_record
from .format import CheckpointError, SavedState
from .library import Library


class RestoreRefused(GraphsimError):
    """The target cannot (or may not, without --allow-warnings) take the checkpoint."""

    def __init__(self, findings: list[Finding], code: int):
        self.findings = findings
        self.exit_code = code
        bad = [f for f in findings if f.grade in ("incompatible", "warning")]
        super().__init__("; ".join(str(f) for f in bad))

    def lines(self) -> list[str]:
        worst = "incompatible" if self.exit_code == 2 else "warning"
        head = ("restore refused: the target is incompatible" if self.exit_code == 2 else
                "restore needs --allow-warnings")
        return [head] + [str(f) for f in self.findings if f.grade == worst or f.grade == "incompatible"]


@dataclass
class RestorePlan:
    cpt_id: str
    manifest: dict
    state: SavedState
    graph: MachineGraph
    disks: dict[str, str]
    findings: list[Finding]
    built: bool = False

    def build(self, console=None):
        """The restored machine. Its RAM is the plan's verified memory itself (not a copy), so a
        plan builds one machine; plan again for another."""
        from ..sim.machine import Machine

        if self.built:
            raise RuntimeError("a restore plan builds one machine; call plan_restore again")
        self.built = True
        memory = {name: saved.fields["data"] for name, saved in self.state.components.items()
                  if saved.kind == "memory" and "data" in saved.fields}
        machine = Machine(self.graph, self.disks, console, memory=memory)
        machine.load_state(self.state)
        return machine


def cpu_models() -> list[str]:
    """The CPU models this graphsim has (the names --cpu takes)."""
    return sorted(k[4:] for k in component_kinds() if k.startswith("cpu."))


def cpu_model_name(text: str, option: str = "--cpu") -> str:
    """A CPU model as the user may write it, by model or by kind ('timing', 'cpu.timing') → 'timing'."""
    model = text[4:] if text.startswith("cpu.") else text
    if model not in cpu_models():
        raise GraphsimError(f"{option} {text}: expected one of {', '.join(cpu_models())} "
                            f"(or the kind's name, e.g. cpu.{cpu_models()[0]})")
    return model


def set_cpu_model(source: MachineSource, cpu: str | None):
    """Make every hart of a machine document use CPU model ``cpu`` (atomic, timing, pipelined)."""
    if cpu is None:
        return
    cpu = cpu_model_name(cpu)
    kinds = component_kinds()
    new = kinds[f"cpu.{cpu}"]
    for table in source.data.get("components", {}).values():
        if isinstance(table, dict) and str(table.get("type", "")).startswith("cpu."):
            old = kinds.get(table["type"])
            table["type"] = f"cpu.{cpu}"
            if old is not None:  # the old model's own parameters (a resolved dump has them all) go
                for key in [k for k in table if k in old.params_decl and k not in new.params_decl]:
                    del table[key]


def target_graph(manifest: dict, config: str | None, overrides: list[str], cpu: str | None) -> MachineGraph:
    """The machine to restore onto: another machine file, or the checkpoint's own with overrides."""
    if config is not None:
        source = load_machine(config, list(overrides))
    else:
        if "include" in manifest.get("config", {}):
            # A stored config is resolved, complete in itself: it names nothing outside the checkpoint.
            raise CheckpointError(f"checkpoint {manifest['id']}: config.include: a checkpoint's config may not "
                                  f"include other files")
        source = load_machine_text(tomli_w.dumps(manifest.get("config", {})), name=f"<checkpoint {manifest['id']}>",
                                   overrides=list(overrides))
    set_cpu_model(source, cpu)
    return elaborate(source)


def _identity(path: str, named_by: str) -> dict:
    try:
        return image_identity(path)
    except DiskError as exc:
        raise DiskError(f"{named_by}: {exc}") from None


def target_disks(graph: MachineGraph, disk_overrides: dict[str, str],
                 checkpoint_disks: dict | None = None, config_from_user: bool = True) -> tuple[dict[str, str], dict]:
    """Image path and identity of every disk of the target (hashing each image once).

    A disk keeps the image the checkpointed guest was running with unless ``--disk``
    names another: swapping a disk is always something the user asked for. A path the
    checkpoint recorded is used only if the file there is that image (a regular file of the
    recorded size and hash): a checkpoint from elsewhere never chooses a host file. Nor does an
    image named by the checkpoint's own config (``config_from_user`` False)."""
    paths, identities = {}, {}
    names = {c.name for c in graph.of_kind("virtio_blk")}
    for name in disk_overrides:
        if name not in names:
            raise GraphsimError(f"--disk {name}: the target machine has no virtio_blk named {name!r}")
    for component in graph.of_kind("virtio_blk"):
        name = component.name
        recorded = (checkpoint_disks or {}).get(name)
        if name in disk_overrides:
            path = disk_overrides[name]
            identity = _identity(path, f"--disk {name}")
        elif recorded is not None:
            path = recorded.get("path", "")
            identity = recorded_image(path, recorded)
            if identity is None:
                raise DiskError(f"{name}: the checkpoint's disk image {path or '(no path)'} is not there or is another "
                                f"file; it needs the image of {format_bytes(recorded.get('size', 0))} "
                                f"({recorded.get('size', 0):,} bytes) with sha256 {recorded.get('sha256', '?')}: "
                                f"give --disk {name}=PATH")
        elif config_from_user and component.params.image:
            path = component.params.image
            identity = _identity(path, graph.setting("components", graph.declared_as.get(name, name), "image"))
        else:
            raise GraphsimError(f"{name}: no disk image (give --disk {name}=IMAGE)")
        identities[name] = {**identity, "path": os.path.abspath(path)}
        paths[name] = path
    return paths, identities


def check_state(graph: MachineGraph, state: SavedState, manifest: dict) -> list[Finding]:
    """Every stateful component of the target gets what it needs from the checkpoint: a component the
    checkpoint describes has its state (else the checkpoint is damaged: raised, naming the record), and
    every architectural field has the target's dtype and shape (else an incompatible finding). All
    before anything is built."""
    findings = []
    compat = manifest.get("compat", {})
    described = set(compat.get("cpus", {})) | set(compat.get("memory", {})) | set(compat.get("devices", {}))
    for name, component in graph.components.items():
        if not component.state:
            continue
        where = f"checkpoint {manifest['id']}: components.{name}"
        saved = state.components.get(name)
        if saved is None:
            if name in described:
                raise CheckpointError(f"{where}: state missing (the checkpoint describes {name} but holds none of it)")
            continue  # new in the target: the compatibility diff grades that
        if saved.kind != component.kind and component.role != "cpu":
            raise CheckpointError(f"{where}: a {saved.kind} in the checkpoint, a {component.kind} in the target")
        shapes = component.state_shapes()
        for field in component.state:
            value = saved.fields.get(field.name)
            if value is None or not field.architectural:
                continue  # added since the checkpoint's version (starts zeroed); warm state is checked on load
            dtype, shape = shapes[field.name]
            if component.role == "memory" and field.name == "data":
                continue  # the memory map's sizes are graded by the compatibility diff
            if value.dtype != dtype or value.shape != shape:
                findings.append(Finding(INCOMPATIBLE, name, f"state {field.name} is {value.dtype} "
                                        f"{list(value.shape)} in the checkpoint; the target needs {dtype} {list(shape)}"))
    return findings


def plan_restore(library: Library, ref: str, config: str | None = None, overrides: list[str] = (),
                 cpu: str | None = None, disks: dict[str, str] | None = None, strict: str = "features",
                 allow_warnings: bool = False) -> RestorePlan:
    cpt_id = library.resolve(ref)
    manifest, state = library.load(cpt_id, component_kinds())
    graph = target_graph(manifest, config, list(overrides), cpu)
    state_findings = check_state(graph, state, manifest)
    disk_paths, identities = target_disks(graph, disks or {}, manifest["compat"].get("disks"),
                                          config_from_user=config is not None)
    findings = diff(manifest["compat"], machine_record(graph, disks=identities), strict) + state_findings
    code = exit_code(findings, allow_warnings)
    if code:
        raise RestoreRefused(findings, code)
    return RestorePlan(cpt_id, manifest, state, graph, disk_paths, findings)
