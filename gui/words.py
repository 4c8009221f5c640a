"""Compatibility records and findings in words, for people: pure Python, no Qt."""

from __future__ import annotations

import re

from graphsim.checkpoint.compat import (CHANGED, GRADE_ORDER, INCOMPATIBLE, SAME, WARNING, Finding,
                                        exit_code, verdict)
from graphsim.config.units import format_frequency, format_size

GRADE_MEANING = {
    SAME: "identical in the checkpoint and the target",
    CHANGED: "host-side or timing-only: the guest cannot tell; statistics will differ",
    WARNING: "guest-visible but survivable: restoring needs an explicit 'allow warnings'",
    INCOMPATIBLE: "refused: the guest would misbehave or crash on this target",
}

# Specific explanations, matched against a finding's message (first match wins).
_HINTS: list[tuple[str, str]] = [
    (r"uses extension (\w+)",
     "The guest has executed {0} instructions; on a target without {0} the next one traps as illegal."),
    (r"enabled in the checkpoint but never used",
     "The guest never executed an instruction of this extension, so dropping it is safe — unless it "
     "decides to later (it read misa when the extension was there)."),
    (r"target adds extension",
     "misa will show the new extension; a guest that already probed misa will not use it."),
    (r"paging", "The guest's page tables are in a format the target's MMU does not walk."),
    (r"^CPU model", "CPU models differ only in timing: architectural state moves over unchanged."),
    (r"^frequency", "Only simulated time per instruction changes; the timebase (mtime) is separate."),
    (r"hart is in the checkpoint but not", "Every hart's registers must land on a hart of the same name."),
    (r"target has a hart", "A hart the checkpoint does not have would start from reset under a running OS."),
    (r"smaller than the guest", "Memory the guest may already use would vanish."),
    (r"will not use the rest", "The guest sized its memory at boot; the extra memory stays unused."),
    (r"^base 0x", "The guest has this memory mapped at its old address."),
    (r"mapped where it was", "The guest's drivers have the device mapped at its old address and interrupt."),
    (r"state version .* newer", "This graphsim cannot read the device state this checkpoint saved."),
    (r"state upgraded", "The device state is upgraded on load by a tagged upgrader."),
    (r"is new in the target", "The running guest enumerated its devices at boot and will not use this one."),
    (r"is in the checkpoint but not in the target", "The guest is using this device; it must exist on the target."),
    (r"no image for it", "Give the target an image for this disk."),
    (r"image swapped", "Data the guest cached from the old image (page cache, superblock) may disagree with the "
                       "new image. Fine for a guest that has not read the disk yet; risky under a mounted "
                       "filesystem."),
    (r"guest's clock changes rate", "Timers programmed by the guest will fire at a different rate."),
    (r"caches start cold", "Dirty lines were written back when the checkpoint was taken; caches are a timing "
                           "model, so only statistics change."),
    (r"^RV\d+|checkpoint is RV", "Register width cannot change under a running guest."),
]


def explain(finding: Finding) -> str:
    """One or two sentences on what a finding means for the guest."""
    if finding.grade == SAME:
        return GRADE_MEANING[SAME]
    for pattern, text in _HINTS:
        match = re.search(pattern, finding.message)
        if match:
            return text.format(*match.groups())
    return GRADE_MEANING.get(finding.grade, "")


VERDICT_TEXT = {
    0: "Restorable",
    1: "Restorable with warnings — needs an explicit 'allow warnings'",
    2: "Incompatible — restore is refused",
}


def verdict_line(findings: list[Finding]) -> tuple[str, str]:
    """(grade of the worst finding, a sentence saying what it means)."""
    worst = verdict(findings)
    code = exit_code(findings, allow_warnings=False)
    counts = {g: sum(1 for f in findings if f.grade == g) for g in GRADE_ORDER}
    shown = ", ".join(f"{counts[g]} {g}" for g in (INCOMPATIBLE, WARNING, CHANGED, SAME) if counts[g])
    return worst, f"{VERDICT_TEXT[code]}  ({shown})" if shown else VERDICT_TEXT[code]


def record_in_words(compat: dict) -> list[str]:
    """What a checkpoint needs from the machine it is restored onto, as sentences."""
    lines = []
    xlen = compat.get("xlen")
    lines.append(f"Needs an RV{xlen} machine" + (f" whose timebase is {format_frequency(compat['timebase'])} "
                                                 f"(a different one is a warning)" if compat.get("timebase") else "")
                 + ".")
    used_all = compat.get("used", {})
    for name, cpu in compat.get("cpus", {}).items():
        used = used_all.get(name, {})
        exts = used.get("extensions", [])
        modes = ["M"] + list(used.get("modes", []))
        paging = used.get("paging_modes", [])
        lines.append(
            f"Hart {name!r} ran on the {str(cpu.get('model', '')).removeprefix('cpu.')} CPU model at "
            f"{format_frequency(cpu.get('frequency', 0))} with {cpu.get('isa')}. The guest used "
            + (f"extensions {', '.join(exts)}" if exts else "no extension beyond the base ISA")
            + f", privilege modes {', '.join(modes)}, "
            + (f"paging {', '.join(paging)}" if paging else "no paging")
            + f". A target hart named {name!r} must offer "
            + (", ".join(exts) if exts else "the base ISA")
            + "; the CPU model and frequency may change freely.")
    for name, mem in compat.get("memory", {}).items():
        lines.append(f"Memory {name!r}: {format_size(mem['size'])} at 0x{mem['base']:x} — same base, "
                     f"at least this size.")
    devices = compat.get("devices", {})
    if devices:
        lines.append("Devices at the same addresses and interrupts, with state the target can read: "
                     + "; ".join(_device_groups(devices)) + ".")
    for name, disk in compat.get("disks", {}).items():
        lines.append(f"Disk {name!r}: image {disk.get('path', '?')} ({format_size(disk.get('size', 0))}, sha256 "
                     f"{disk.get('sha256', '')[:16]}…). Another image is a warning: the guest may have cached "
                     f"the old one.")
    caches = compat.get("caches", {})
    if caches:
        lines.append("Caches (timing only, may change freely): " + ", ".join(
            f"{n} {format_size(c['size'])} {c['assoc']}-way" for n, c in caches.items()) + ".")
    return lines


def _device_groups(devices: dict) -> list[str]:
    """'uart0 (uart16550 at 0x10000000, irq 10)'; many of one kind: '8× virtio_mmio, virtio0 … virtio7 at …'."""
    by_kind: dict[str, list[tuple[str, dict]]] = {}
    for name, dev in devices.items():
        by_kind.setdefault(dev["kind"], []).append((name, dev))
    out = []
    for kind, members in by_kind.items():
        versions = sorted({d["state_version"] for _, d in members})
        version = f"state v{versions[0]}" if len(versions) == 1 else "state v" + "/".join(map(str, versions))
        if len(members) <= 2:
            out += [f"{n} ({kind} at 0x{d['base']:x}" + (f", irq {d['irq']}" if "irq" in d else "") + f", {version})"
                    for n, d in members]
            continue
        (first, a), (last, b) = members[0], members[-1]
        irqs = [d["irq"] for _, d in members if "irq" in d]
        out.append(f"{len(members)}× {kind}, {first} … {last} at 0x{a['base']:x} … 0x{b['base']:x}"
                   + (f", irq {min(irqs)}–{max(irqs)}" if irqs else "") + f" ({version})")
    return out
