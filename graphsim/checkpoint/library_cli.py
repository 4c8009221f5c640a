"""``graphsim checkpoints list|show|verify|note|rm|export|import|gc``."""

from __future__ import annotations

import argparse
import sys
import unicodedata

from ..config.schema import component_kinds
from ..config.units import format_bytes, format_size
from .library import Library, library_for

LIBRARY_HELP = "library directory (default: $GRAPHSIM_LIBRARY or the user data dir)"


def add_parser(sub, func):
    p = sub.add_parser("checkpoints", help="manage the checkpoint library")
    p.add_argument("--library", help=LIBRARY_HELP)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name, help):
        q = actions.add_parser(name, help=help)
        # --library is also taken after the action, as every other command takes it
        q.add_argument("--library", default=argparse.SUPPRESS, help=LIBRARY_HELP)
        return q

    ref = "checkpoint id, unique prefix, name or directory"
    action("list", "every checkpoint, as a lineage tree")
    action("show", "a checkpoint's manifest in words").add_argument("checkpoint", help=ref)
    action("verify", "read and check every file and chunk").add_argument("checkpoints", nargs="*",
                                                                          help="default: all")
    note = action("note", "set a checkpoint's note")
    note.add_argument("checkpoint", help=ref)
    note.add_argument("text", help="the note (replaces the old one)")
    action("rm", "delete checkpoints (shared chunks are kept; see gc)").add_argument("checkpoints", nargs="+",
                                                                                  help=ref)
    export = action("export", "one checkpoint and its chunks as a single file")
    export.add_argument("checkpoint", help=ref)
    export.add_argument("file", help="the archive to write")
    action("import", "add an exported checkpoint").add_argument("file", help="an archive made by export")
    action("gc", "free chunks no checkpoint uses and leftovers of interrupted writes")
    p.set_defaults(func=func)


def terminal_safe(text) -> str:
    """Text from a guest or a file, safe to print: control and formatting characters (escape
    sequences, carriage returns, bidi overrides) are shown as escapes instead of acting on the terminal."""
    return "".join(c if c == " " or unicodedata.category(c)[0] not in "CZ" or c.isprintable() and c != "\u2028"
                   else ascii(c)[1:-1] for c in str(text))
def describe_trigger(kind: str, detail: str) -> str:
    """What fired, in words: 'm5op checkpoint', 'instruction 500', 'console matched …', 'interrupt (Ctrl-C)'."""
    if kind == "m5op":
        return "m5op checkpoint" + (f" ({detail})" if detail else "")
    if kind in ("inst", "tick"):
        what = "instruction" if kind == "inst" else "tick"
        return f"{what} {int(detail):,}" if detail.isdigit() else f"{what} {detail}".strip()
    if kind == "console":
        return f"console matched {detail!r}"
    if kind == "interrupt":
        return f"interrupt ({detail})" if detail else "interrupt"
    return f"{kind} {detail}".strip()


def _tree(library: Library):
    entries = library.entries()
    ids = {e.id for e in entries}
    by_parent: dict[str, list] = {}
    for entry in entries:
        by_parent.setdefault(entry.parent if entry.parent in ids else "", []).append(entry)

    def walk(parent, depth):
        for entry in by_parent.get(parent, []):
            yield depth, entry
            yield from walk(entry.id, depth + 1)

    return list(walk("", 0))


def cmd_list(library: Library, args) -> int:
    rows = _tree(library)
    if not rows:
        print(f"no checkpoints in {library.root}")
    else:
        print(f"{'checkpoint':<40} {'instret':>14} {'cpu':<14} {'machine':<18} {'stored':>10}  trigger / note")
    for depth, e in rows:
        label = "  " * depth + ("└ " if depth else "") + terminal_safe(e.name if e.name != e.id else e.id)
        kind, _, detail = e.trigger.partition(":")
        print(f"{label:<40} {e.instret:>14,} {e.cpu_models:<14} {e.machine:<18} "
              f"{format_bytes(e.stored_bytes):>10}  {terminal_safe(describe_trigger(kind, detail))}"
              + (f"  — {terminal_safe(e.note)}" if e.note else ""))
    for cpt_id, why in library.damaged.items():
        print(f"damaged: {terminal_safe(why)}", file=sys.stderr)
    return 0


def describe(manifest: dict) -> list[str]:
    """A manifest in words (also the GUI's details pane)."""
    meta, pos, compat = manifest.get("meta", {}), manifest.get("position", {}), manifest.get("compat", {})
    lines = [f"checkpoint {manifest['id']}" + (f" ({meta['name']})" if meta.get("name") != manifest["id"] else ""),
             f"  created     {meta.get('created', '')}  by graphsim {manifest.get('graphsim_version', '?')}",
             f"  machine     {manifest.get('machine_name', '')}",
             f"  position    {pos.get('instret', 0):,} instructions, tick {pos.get('tick', 0):,} "
             f"({pos.get('tick', 0) / 1e12:.6f} s simulated)",
             f"  trigger     {describe_trigger(manifest.get('trigger', {}).get('kind', ''), manifest.get('trigger', {}).get('detail', ''))}",
             f"  parent      {manifest.get('parent') or '(none)'}",
             f"  stored      {format_bytes(manifest.get('stored_bytes', 0))} new data"]
    if meta.get("note"):
        lines.append(f"  note        {meta['note']}")
    lines.append(f"  needs       RV{compat.get('xlen')}, timebase {compat.get('timebase', 0):,} Hz")
    for name, cpu in compat.get("cpus", {}).items():
        used = compat.get("used", {}).get(name, {})
        lines.append(f"    {name}: {cpu['model']} {cpu['isa']}; used extensions "
                     f"{','.join(used.get('extensions', [])) or 'none beyond I'}; modes "
                     f"{','.join(['M'] + used.get('modes', []))}; paging {','.join(used.get('paging_modes', [])) or 'bare'}")
    for name, mem in compat.get("memory", {}).items():
        lines.append(f"    {name}: {format_size(mem['size'])} at 0x{mem['base']:x}")
    for name, dev in compat.get("devices", {}).items():
        lines.append(f"    {name}: {dev['kind']} at 0x{dev['base']:x}" + (f" irq {dev['irq']}" if 'irq' in dev else "")
                     + f" (state v{dev['state_version']})")
    for name, disk in compat.get("disks", {}).items():
        lines.append(f"    {name}: {disk.get('path', '')} {format_bytes(disk.get('size', 0))} "
                     f"sha256 {disk.get('sha256', '')[:16]}")
    return lines


def cmd_show(library: Library, args) -> int:
    manifest = library.manifest(library.resolve(args.checkpoint))
    print("\n".join(terminal_safe(line) for line in describe(manifest)))
    tail = manifest.get("console", {}).get("tail", "")
    if tail:
        print("  console tail:")
        for line in tail.split("\n")[-15:]:
            print(f"    | {terminal_safe(line)}")
    return 0


def cmd_verify(library: Library, args) -> int:
    from ..errors import GraphsimError

    refs = args.checkpoints or [e.id for e in library.entries()]
    status = 0
    for ref in refs:
        try:
            cpt_id = library.resolve(ref)
            library.load(cpt_id, component_kinds())
            print(f"ok       {cpt_id}")
        except GraphsimError as exc:
            print(f"damaged  {terminal_safe(exc)}")
            status = exc.exit_code
    for why in library.damaged.values():
        print(f"damaged  {terminal_safe(why)}")
        status = 3
    return status


def dispatch(args) -> int:
    refs = [getattr(args, "checkpoint", None)] + list(getattr(args, "checkpoints", None) or [])
    library = library_for(refs[0] if refs[0] else (refs[1] if len(refs) > 1 else ""), args.library) \
        if any(refs) else Library(args.library)
    if args.action == "list":
        return cmd_list(library, args)
    if args.action == "show":
        return cmd_show(library, args)
    if args.action == "verify":
        return cmd_verify(library, args)
    if args.action == "note":
        library.set_note(library.resolve(args.checkpoint), args.text)
        return 0
    if args.action == "rm":
        for ref in args.checkpoints:
            cpt_id = library.resolve(ref)
            library.remove(cpt_id)
            print(f"removed {cpt_id}")
        return 0
    if args.action == "export":
        cpt_id = library.resolve(args.checkpoint)
        library.export(cpt_id, args.file)
        print(f"exported {cpt_id} to {args.file}")
        return 0
    if args.action == "import":
        print(f"imported {library.import_(args.file, component_kinds())}")
        return 0
    if args.action == "gc":
        count, freed = library.gc()
        print(f"freed {count} chunks, {format_bytes(freed)}")
        return 0
    raise AssertionError(args.action)
