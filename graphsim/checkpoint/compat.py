"""Compatibility records and their diff.

A record says what a checkpoint *needs* from the machine it is restored onto —
XLEN, harts by name, the extensions each hart has enabled and those the guest
has actually *used*, paging modes in use, the memory map, devices with their
state versions, the timebase, disk identities — plus the timing-side facts
(CPU model, frequency, caches) that may change freely. The same function
describes a target machine (with nothing "used").

`diff` is a pure function of two records returning graded findings:
``same``, ``changed`` (host-side or timing-only), ``warning`` (guest-visible
but survivable) and ``incompatible`` (refused, with the reason). A strictness
level, like CRIU's ``--cpu-cap``, moves the line: ``exact`` refuses any
guest-visible difference, ``none`` only what cannot physically work.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.units import format_frequency, format_size
from ..graph.elaborate import MachineGraph
from ..isa.paging import supported_names

RECORD_VERSION = 1

# Bits of `present`: which optional records a compatibility record carries.
HAS_USED = 1 << 0  # what the guest used (only checkpoints have it)
HAS_DISKS = 1 << 1
HAS_CACHES = 1 << 2
HAS_WARM_CACHES = 1 << 3  # warm cache state saved (restorable where the geometry matches)

SAME, CHANGED, WARNING, INCOMPATIBLE = "same", "changed", "warning", "incompatible"
GRADE_ORDER = {SAME: 0, CHANGED: 1, WARNING: 2, INCOMPATIBLE: 3}
STRICTNESS = ("exact", "features", "none")

# Extensions whose use a hart records (graphsim.isa.state USED_* bits); in use => required.
TRACKED_EXTENSIONS = ("M", "A", "C", "F", "D", "Zihintpause", "Sstc")


@dataclass(frozen=True)
class Finding:
    grade: str
    subject: str
    message: str

    def __str__(self):
        return f"{self.grade:<12} {self.subject}: {self.message}"


def isa_letters(isa: str) -> set[str]:
    """'rv64imac_zicsr' → {'I','M','A','C','Zicsr'}; G expands to IMAFD + Zicsr + Zifencei."""
    base, *extensions = isa.lower().split("_")
    letters = {c.upper() for c in base[4:]}
    if "G" in letters:
        letters |= {"I", "M", "A", "F", "D", "Zicsr", "Zifencei"}
        letters.discard("G")
    return letters | {e.capitalize() for e in extensions if e}


def xlen_of(isa: str) -> int:
    return 32 if isa.lower().startswith("rv32") else 64


def machine_record(machine: MachineGraph, used: dict | None = None, disks: dict | None = None) -> dict:
    """The record of a machine; ``used`` (per hart) and ``disks`` (name → identity) for a checkpoint."""
    record: dict = {"record_version": RECORD_VERSION, "present": 0, "cpus": {}, "memory": {}, "devices": {},
                    "caches": {}}
    xlens = set()
    for name in machine.cpus:
        cpu = machine.components[name]
        xlens.add(xlen_of(cpu.params.isa))
        record["cpus"][name] = {"model": cpu.kind, "isa": cpu.params.isa, "frequency": cpu.params.frequency}
    record["xlen"] = xlens.pop() if len(xlens) == 1 else 0
    clint = machine.of_kind("clint")
    record["timebase"] = clint[0].params.timebase_frequency if clint else 0
    for component in machine.components.values():
        rng = component.address_range()
        if component.role == "memory":
            record["memory"][component.name] = {"base": rng[0], "size": rng[1]}
        elif rng is not None:
            entry = {"kind": component.kind, "base": rng[0], "size": rng[1],
                     "state_version": component.state_version}
            if "irq" in component.params:
                entry["irq"] = component.params.irq
            record["devices"][component.name] = entry
        elif component.role == "cache":
            p = component.params
            record["caches"][component.name] = {"size": p.size, "assoc": p.assoc, "line_size": p.line_size,
                                                "replacement": p.replacement}
            if used is not None and getattr(component, "warm_state", False):
                record["caches"][component.name]["warm"] = True  # a timing model recorded its tags
    if record["caches"]:
        record["present"] |= HAS_CACHES
    if any(c.get("warm") for c in record["caches"].values()):
        record["present"] |= HAS_WARM_CACHES
    if used is not None:
        record["used"] = used
        record["present"] |= HAS_USED
    if disks is not None:
        record["disks"] = disks
        record["present"] |= HAS_DISKS
    return record


def _grade(strict: str, grade: str, isa_related: bool = False, guest_visible: bool = True) -> str:
    """Move a finding's grade according to the strictness level."""
    if strict == "exact" and guest_visible and grade in (CHANGED, WARNING):
        return INCOMPATIBLE
    if strict == "none" and isa_related and grade == INCOMPATIBLE:
        return WARNING
    return grade


def diff(source: dict, target: dict, strict: str = "features") -> list[Finding]:
    """Graded findings for restoring a checkpoint with record ``source`` onto ``target``."""
    if strict not in STRICTNESS:
        raise ValueError(f"strictness must be one of {STRICTNESS}")
    out: list[Finding] = []

    def add(grade, subject, message, isa_related=False, guest_visible=True):
        out.append(Finding(_grade(strict, grade, isa_related, guest_visible), subject, message))

    if source.get("xlen") != target.get("xlen"):
        add(INCOMPATIBLE, "xlen", f"checkpoint is RV{source.get('xlen')}; target is RV{target.get('xlen')}")
    else:
        add(SAME, "xlen", f"RV{source.get('xlen')}")

    _diff_cpus(source, target, add)
    _diff_named(source, target, "memory", add, _diff_memory)
    _diff_named(source, target, "devices", add, _diff_device)

    if source.get("timebase") != target.get("timebase"):
        add(WARNING, "timebase", f"{format_frequency(source.get('timebase', 0))} → "
                                 f"{format_frequency(target.get('timebase', 0))}: the guest's clock changes rate")
    else:
        add(SAME, "timebase", format_frequency(source.get("timebase", 0)))

    _diff_disks(source, target, add)
    _diff_caches(source, target, add)
    return out


def _diff_cpus(source, target, add):
    src, dst = source.get("cpus", {}), target.get("cpus", {})
    used_all = source.get("used", {})
    for name in src:
        if name not in dst:
            add(INCOMPATIBLE, name, "hart is in the checkpoint but not in the target")
    for name in dst:
        if name not in src:
            add(INCOMPATIBLE, name, "target has a hart the checkpoint does not (harts must match by name)")
    for name in (n for n in src if n in dst):
        a, b = src[name], dst[name]
        have, offer = isa_letters(a["isa"]), isa_letters(b["isa"])
        used = used_all.get(name, {})
        used_ext = {e for e in used.get("extensions", [])}
        for ext in sorted(used_ext - offer):
            add(INCOMPATIBLE, name, f"checkpoint uses extension {ext}; target {b['isa']} lacks it", isa_related=True)
        for ext in sorted((have - offer) - used_ext):
            if "used" in source:
                add(CHANGED, name, f"extension {ext} enabled in the checkpoint but never used; target lacks it",
                    isa_related=True)
            else:
                add(WARNING, name, f"extension {ext} enabled in the checkpoint; target lacks it", isa_related=True)
        for ext in sorted(offer - have):
            add(CHANGED, name, f"target adds extension {ext} (the guest already read misa without it)",
                isa_related=True)
        if a["isa"] == b["isa"]:
            add(SAME, name, f"isa {a['isa']}")
        for mode in used.get("paging_modes", []):
            supported = supported_names(xlen_of(b["isa"]))
            if mode not in supported:
                add(INCOMPATIBLE, name, f"checkpoint uses {mode} paging; target supports {', '.join(supported)}",
                    isa_related=True)
        if a["model"] != b["model"]:
            add(CHANGED, name, f"CPU model {a['model']} → {b['model']}", guest_visible=False)
        else:
            add(SAME, name, f"CPU model {a['model']}")
        if a["frequency"] != b["frequency"]:
            add(CHANGED, name, f"frequency {format_frequency(a['frequency'])} → {format_frequency(b['frequency'])}",
                guest_visible=False)


def _diff_named(source, target, table, add, compare):
    src, dst = source.get(table, {}), target.get(table, {})
    for name, entry in src.items():
        if name not in dst:
            add(INCOMPATIBLE, name, f"{entry.get('kind', table)} is in the checkpoint but not in the target")
        else:
            compare(name, entry, dst[name], add)
    for name, entry in dst.items():
        if name not in src:
            add(WARNING, name, f"{entry.get('kind', table)} is new in the target; the running guest does not know it")


def _diff_memory(name, a, b, add):
    if a["base"] != b["base"]:
        add(INCOMPATIBLE, name, f"base 0x{a['base']:x} → 0x{b['base']:x}")
    elif b["size"] < a["size"]:
        add(INCOMPATIBLE, name, f"size {format_size(a['size'])} → {format_size(b['size'])}: smaller than the guest's")
    elif b["size"] > a["size"]:
        add(WARNING, name, f"size {format_size(a['size'])} → {format_size(b['size'])}: the guest will not use the rest")
    else:
        add(SAME, name, f"{format_size(a['size'])} at 0x{a['base']:x}")


def _diff_device(name, a, b, add):
    if a["kind"] != b["kind"]:
        add(INCOMPATIBLE, name, f"{a['kind']} → {b['kind']}")
        return
    problems = [f"{key} {_show(a.get(key))} → {_show(b.get(key))}" for key in ("base", "size", "irq")
                if a.get(key) != b.get(key)]
    if problems:
        add(INCOMPATIBLE, name, "; ".join(problems) + " (the guest has it mapped where it was)")
    elif b["state_version"] < a["state_version"]:
        add(INCOMPATIBLE, name, f"state version {a['state_version']} is newer than the target reads "
                                f"({b['state_version']})")
    elif b["state_version"] > a["state_version"]:
        add(CHANGED, name, f"state upgraded from version {a['state_version']} to {b['state_version']}",
            guest_visible=False)
    else:
        add(SAME, name, f"{a['kind']} at 0x{a['base']:x}")


def _show(value):
    return f"0x{value:x}" if isinstance(value, int) and value > 4096 else str(value)


def _diff_disks(source, target, add):
    src = source.get("disks", {})
    dst = target.get("disks", {})
    for name, identity in src.items():
        other = dst.get(name)
        if other is None:
            add(INCOMPATIBLE, name, "disk is in the checkpoint but the target has no image for it")
        elif other.get("sha256") != identity.get("sha256") or other.get("size") != identity.get("size"):
            change = []
            if other.get("size") != identity.get("size"):
                change.append(f"size {format_size(identity.get('size', 0))} → {format_size(other.get('size', 0))}")
            change.append(f"sha256 {identity.get('sha256', '?')[:12]} → {other.get('sha256', '?')[:12]}")
            add(WARNING, name, "image swapped under a running guest (" + ", ".join(change) +
                "); the guest's writes to the old image are dropped and what it cached of it may disagree")
        else:
            add(SAME, name, f"image {identity.get('sha256', '')[:12]} ({format_size(identity.get('size', 0))})")


_GEOMETRY = ("size", "assoc", "line_size", "replacement")


def _diff_caches(source, target, add):
    """Caches are timing-only: any change is `changed`. A checkpoint taken on a timing model
    carries its caches' warm state, restored into each target cache of the same name and geometry
    (graphsim.sim.machine.Machine.load_state); every other cache starts cold."""
    src, dst = source.get("caches", {}), target.get("caches", {})
    geometry = lambda c: {k: c.get(k) for k in _GEOMETRY}  # noqa: E731
    warm = [n for n, c in src.items() if c.get("warm") and n in dst and geometry(dst[n]) == geometry(c)]
    cold = [n for n in dst if n not in warm]
    if warm and not cold:
        state = "warm state restored"
    elif warm:
        verb = "starts" if len(cold) == 1 else "start"
        state = f"warm state restored for {', '.join(warm)}; {', '.join(cold)} {verb} cold"
    elif any(c.get("warm") for c in src.values()):
        state = "caches start cold: none has the geometry the warm state was recorded with"
    else:
        state = "caches start cold"
    if {n: geometry(c) for n, c in src.items()} == {n: geometry(c) for n, c in dst.items()}:
        if src:
            add(SAME, "caches", ", ".join(f"{n} {format_size(c['size'])}" for n, c in src.items()) + f" ({state})")
        return
    describe = lambda caches: ", ".join(f"{n} {format_size(c['size'])}/{c['assoc']}-way"  # noqa: E731
                                        for n, c in caches.items()) or "none"
    add(CHANGED, "caches", f"{describe(src)} → {describe(dst)} (dirty lines were written back; {state})",
        guest_visible=False)


def verdict(findings: list[Finding]) -> str:
    """The worst grade among the findings."""
    return max((f.grade for f in findings), key=GRADE_ORDER.__getitem__, default=SAME)


def exit_code(findings: list[Finding], allow_warnings: bool = False) -> int:
    """0 restorable, 1 warnings that need --allow-warnings, 2 incompatible."""
    worst = verdict(findings)
    if worst == INCOMPATIBLE:
        return 2
    if worst == WARNING and not allow_warnings:
        return 1
    return 0
