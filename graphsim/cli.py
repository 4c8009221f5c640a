"""The ``graphsim`` command line."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .errors import GraphsimError


def load(config: str, overrides: list[str], cpu: str | None = None):
    """Load and elaborate a machine file (every hart on CPU model ``cpu`` if given); raises
    ConfigError listing every problem."""
    from .checkpoint.restore import set_cpu_model
    from .config.loader import load_machine
    from .graph.elaborate import elaborate
    from .mem.hierarchy import check_hierarchy

    source = load_machine(config, overrides)
    set_cpu_model(source, cpu)
    graph = elaborate(source)
    check_hierarchy(graph)  # what the timing models cannot honour (line sizes, coherence, DRAM rows)
    return graph


def cmd_validate(args) -> int:
    from .config.units import format_size

    status = 0
    for config in args.configs:
        try:
            machine = load(config, args.set)
        except GraphsimError as exc:
            for line in exc.lines():
                print(f"error: {line}", file=sys.stderr)
            status = 1
            continue
        kinds: dict[str, int] = {}
        for component in machine.components.values():
            kinds[component.kind] = kinds.get(component.kind, 0) + 1
        print(f"{config}: ok — machine {machine.name!r}, {len(machine.components)} components, "
              f"{len(machine.cpus)} hart(s)")
        print("  components: " + ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items())))
        if machine.cpus:
            print(f"  address map ({machine.cpus[0]}):")
            for rng in machine.address_map[machine.cpus[0]]:
                print(f"    0x{rng.base:010x}  {format_size(rng.size):>8}  {rng.component} ({rng.kind})")
        if machine.irq_map:
            print("  interrupts: " + ", ".join(f"{r.source}→{r.controller}:{r.irq}" for r in machine.irq_map))
    return status


def cmd_show(args) -> int:
    from .graph.dump import resolved_toml

    sys.stdout.write(resolved_toml(load(args.config, args.set)))
    return 0


def cmd_graph(args) -> int:
    from .graph.diagram import to_dot, write_diagram

    machine = load(args.config, args.set)
    if args.output in (None, "-"):
        sys.stdout.write(to_dot(machine))
    else:
        write_diagram(machine, args.output)
        print(f"wrote {args.output}")
    return 0


def cmd_docs(args) -> int:
    from .config.reference import reference
    from .config.schema import component_kinds

    kinds = component_kinds()
    for kind in args.kinds:
        if kind not in kinds:
            raise GraphsimError(f"unknown component type {kind!r} (known: {', '.join(kinds)})")
    sys.stdout.write(reference(args.kinds or None))
    return 0


def _parse_disks(items: list[str]) -> dict[str, str]:
    disks = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise GraphsimError(f"--disk {item!r}: expected NAME=IMAGE, e.g. disk0=rootfs.img")
        disks[name] = path
    return disks


def _run_options(args):
    from .checkpoint.restore import cpu_model_name
    from .sim.runner import RunOptions

    progress = args.progress
    if progress is None:  # on by default when a person watches (not while the terminal is the guest's)
        progress = sys.stdout.isatty() and sys.stderr.isatty() and not args.console
    return RunOptions(outdir=args.outdir, max_insts=args.max_insts, max_tick=args.max_tick,
                      checkpoint_at_inst=args.checkpoint_at_inst, checkpoint_at_tick=args.checkpoint_at_tick,
                      checkpoint_on_console=args.checkpoint_on_console, library=args.library, note=args.note,
                      name=args.name, digest=args.digest, quiet=args.quiet, progress=progress,
                      switch_at_inst=args.switch_at_inst,
                      switch_to=cpu_model_name(args.switch_to, "--switch-to") if args.switch_to else None,
                      checkpoint_on_interrupt=args.checkpoint_on_interrupt,
                      gdb=args.gdb, wait_gdb=args.wait_gdb, script=args.script)


def _check_gdb_options(args):
    if args.wait_gdb and args.gdb is None:
        raise GraphsimError("--wait-gdb needs --gdb [HOST:]PORT (the address GDB connects to)")
    if args.gdb is not None:
        from .debug.stub import parse_listen_address

        parse_listen_address(args.gdb)


def _console(args):
    from .sim.console import Console, TerminalSink

    console = Console()
    if args.console:
        console.attach_terminal()
        console.add_sink(TerminalSink(raw=sys.stdin.isatty()))
    elif not args.quiet:
        console.add_sink(TerminalSink())
    if args.input is not None:
        console.feed(args.input.encode().decode("unicode_escape").encode("latin-1"))
    for pattern, text in args.send_when:
        console.send_when(pattern, text.encode().decode("unicode_escape").encode("latin-1"))
    if args.pty:
        print(f"[graphsim] console on {console.open_pty()}", file=sys.stderr)
    if args.socket:
        console.listen_unix(args.socket)
    return console


def _finish_run(machine, args, parent="") -> int:
    from .sim.runner import execute, report

    try:
        stop, summary = execute(machine, _run_options(args), parent=parent)
    finally:
        machine.console.close()  # the terminal leaves raw mode before the summary
        machine.close()
    report(stop, summary)
    if stop.reason == "interrupted":
        return 130
    if stop.reason not in ("exit", "panic"):
        return 0
    # A guest's failure code that an exit status cannot carry (256, -1, 2**40) still fails.
    return stop.exit_code if 0 <= stop.exit_code <= 255 else 1


def cmd_run(args) -> int:
    from .config.units import parse_address
    from .sim.machine import Machine

    _check_gdb_options(args)
    graph = load(args.config, args.set, _cpu(args))
    console = _console(args)
    machine = Machine(graph, _parse_disks(args.disk), console)
    load_address = parse_address(args.load_address) if args.load_address else None
    machine.boot(kernel=args.kernel, firmware=args.firmware, initrd=args.initrd, bootargs=args.bootargs,
                 load_address=load_address)
    if args.trace:
        machine.enable_trace(sys.stdout)
    return _finish_run(machine, args)


def _cpu(args) -> str | None:
    from .checkpoint.restore import cpu_model_name

    return cpu_model_name(args.cpu) if args.cpu else None


def _from_checkpoint(args, instret: int, tick: int):
    """Make the run's limits and triggers count from boot. By default they count from the
    checkpoint (as gem5's --maxinsts after a restore); with --absolute they already do, and a
    count at or before the checkpoint is refused rather than silently running nothing."""
    counts = [("--max-insts", "max_insts", instret), ("--max-tick", "max_tick", tick),
              ("--checkpoint-at-inst", "checkpoint_at_inst", instret),
              ("--checkpoint-at-tick", "checkpoint_at_tick", tick), ("--switch-at-inst", "switch_at_inst", instret)]
    for option, attr, base in counts:
        value = getattr(args, attr)
        values = value if isinstance(value, list) else ([] if value is None else [value])
        if args.absolute:
            for v in values:
                if v <= base:
                    unit = "instructions" if "inst" in attr else "ticks"
                    raise GraphsimError(f"{option} {v:,}: the checkpoint is already at {base:,} {unit} "
                                        f"(with --absolute counts are from boot; without it, from the checkpoint)")
        else:
            shifted = [v + base for v in values]
            setattr(args, attr, shifted if isinstance(value, list) else (shifted[0] if shifted else None))


def cmd_restore(args) -> int:
    from .checkpoint.library import library_for
    from .checkpoint.restore import plan_restore
    from .sim.runner import say

    _check_gdb_options(args)
    library = library_for(args.checkpoint, args.library)
    plan = plan_restore(library, args.checkpoint, config=args.config, overrides=args.set, cpu=_cpu(args),
                        disks=_parse_disks(args.disk), strict=args.strict, allow_warnings=args.allow_warnings)
    position = plan.manifest.get("position", {})
    _from_checkpoint(args, int(position.get("instret", 0)), int(position.get("tick", 0)))
    for finding in plan.findings:
        if finding.grade != "same":
            print(f"[graphsim] {finding}", file=sys.stderr)
    machine = plan.build(_console(args))
    say(f"[graphsim] restored {plan.cpt_id} at {machine.instret:,} insts onto {plan.graph.name} "
        f"({machine.cpus[0].kind})")
    args.library = library.root  # checkpoints taken on go to the library the checkpoint came from
    return _finish_run(machine, args, parent=plan.cpt_id)


def cmd_compat(args) -> int:
    from .checkpoint.compat import diff, exit_code, machine_record
    from .checkpoint.library import library_for
    from .checkpoint.restore import check_state, target_disks, target_graph
    from .config.schema import component_kinds

    library = library_for(args.checkpoint, args.library)
    manifest, state = library.load(library.resolve(args.checkpoint), component_kinds())  # verified, as restore does
    state_findings = []
    if args.config is not None and not os.path.exists(args.config) and not args.config.endswith(".toml"):
        other, _ = library.load(library.resolve(args.config), component_kinds())  # a second checkpoint
        target = other["compat"]
    else:
        graph = target_graph(manifest, args.config, args.set, _cpu(args))
        state_findings = check_state(graph, state, manifest)
        _, identities = target_disks(graph, _parse_disks(args.disk), manifest["compat"].get("disks"),
                                     config_from_user=args.config is not None)
        target = machine_record(graph, disks=identities)
    findings = diff(manifest["compat"], target, args.strict) + state_findings
    for finding in findings:
        if finding.grade != "same" or args.verbose:
            print(finding)
    code = exit_code(findings, args.allow_warnings)
    print({0: "restorable", 1: "restorable with --allow-warnings", 2: "incompatible"}[code])
    return code


def cmd_stats_compare(args) -> int:
    from .sim.stats import compare_stats, format_comparison

    for path in (args.a, args.b):
        if not os.path.exists(path):
            raise GraphsimError(f"{path}: no such run directory or stats.json")
    try:
        rows = compare_stats(args.a, args.b, args.dump, args.match)
    except (OSError, ValueError) as exc:
        raise GraphsimError(str(exc)) from None
    print(f"A = {args.a}\nB = {args.b}")
    sys.stdout.write(format_comparison(rows))
    return 0


def cmd_checkpoints(args) -> int:
    from .checkpoint import library_cli

    return library_cli.dispatch(args)


def cmd_gui(args) -> int:
    try:
        from gui.app import main as gui_main
    except ImportError as exc:
        raise GraphsimError(f"the desktop app needs PySide6 (pip install 'graphsim[gui]'): {exc}") from None
    if args.library and args.library_option and args.library != args.library_option:
        raise GraphsimError(f"two libraries given: {args.library} and --library {args.library_option}")
    return gui_main(args.library or args.library_option)


def cmd_precompile(args) -> int:
    from .checkpoint.restore import cpu_model_name
    from .sim import precompile

    kinds = [f"cpu.{cpu_model_name(m)}" for m in args.cpu] if args.cpu else None
    seconds = precompile.precompile_all(kinds)
    for kind, took in seconds.items():
        print(f"{kind:<16} ready ({'compiled' if took > 5 else 'loaded'} in {took:.1f} s)")
    print(f"cache: {precompile.cache_location()}")
    return 0


def cmd_kinds(args) -> int:
    from .checkpoint.restore import cpu_models
    from .config.schema import component_kinds

    kinds = component_kinds()
    print("CPU models (--cpu MODEL, or type = \"cpu.MODEL\" in a machine file):")
    for model in cpu_models():
        print(f"  {model:<12} {kinds['cpu.' + model].doc.split('.')[0]}")
    print("component kinds (type = \"KIND\"; 'graphsim docs KIND' for parameters and ports):")
    for name, kind in sorted(kinds.items()):
        if not name.startswith("cpu."):
            print(f"  {name:<12} {kind.doc.split('. ')[0].rstrip('.')}")
    return 0



def _count_arg(text: str) -> int:
    from .config.units import UnitError, parse_count

    try:
        return parse_count(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _ticks_arg(text: str) -> int:
    from .config.units import UnitError, parse_ticks

    try:
        return parse_ticks(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or a number of ticks, 1 tick = 1 ps)") from None


def add_run_arguments(p):
    p.add_argument("--max-insts", type=_count_arg, metavar="N",
                   help="stop after N instructions (all harts); units allowed: 5M, 1.5G, 200k")
    p.add_argument("--max-tick", type=_ticks_arg, metavar="T",
                   help="stop at simulated time T: 1ms, 250us, or a number of ticks (1 tick = 1 ps)")
    p.add_argument("--outdir", default="out",
                   help="run directory: config.toml, console.log, stats.txt/json, run.json (default: out)")
    p.add_argument("--checkpoint-at-inst", type=_count_arg, action="append", default=[], metavar="N",
                   help="checkpoint at instruction N (repeatable; units allowed)")
    p.add_argument("--checkpoint-at-tick", type=_ticks_arg, action="append", default=[], metavar="T",
                   help="checkpoint at simulated time T (repeatable; 1ms or ticks)")
    p.add_argument("--checkpoint-on-console", action="append", default=[], metavar="REGEX",
                   help="checkpoint when the console output matches (e.g. the shell prompt)")
    p.add_argument("--checkpoint-on-interrupt", action="store_true",
                   help="on Ctrl-C (or Ctrl-] from --console) take a checkpoint before stopping")
    p.add_argument("--library", help="checkpoint library (default: $GRAPHSIM_LIBRARY or the user data dir)")
    p.add_argument("--name", default="", help="name of the first checkpoint taken")
    p.add_argument("--note", default="", help="note stored with checkpoints taken")
    p.add_argument("--digest", action="store_true", help="print a digest of the architectural state at the end")
    p.add_argument("--quiet", action="store_true", help="do not copy the guest console to stdout")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a status line: instructions, MIPS, and percentage and time left when a limit is "
                        "given (default: on when stdout is a terminal, without --console)")
    p.add_argument("--console", action="store_true", help="attach this terminal to the UART (Ctrl-] leaves)")
    p.add_argument("--input", help="text fed to the UART (backslash escapes allowed)")
    p.add_argument("--send-when", nargs=2, action="append", default=[], metavar=("REGEX", "TEXT"),
                   help="type TEXT when the console output matches REGEX")
    p.add_argument("--pty", action="store_true", help="expose the console on a pseudo-terminal")
    p.add_argument("--socket", metavar="PATH", help="serve the console on a Unix socket")
    p.add_argument("--disk", action="append", default=[], metavar="NAME=IMAGE",
                   help="image for a virtio_blk disk (opened read-only; writes go to an overlay)")
    p.add_argument("--script", metavar="FILE",
                   help="host file the guest reads with gem5's `m5 readfile` (e.g. a job for a restored guest)")
    p.add_argument("--switch-at-inst", type=_count_arg, action="append", default=[], metavar="N",
                   help="switch CPU model at instruction N (as the m5op switch_cpu does); repeatable")
    p.add_argument("--switch-to", metavar="MODEL",
                   help="the CPU model switches alternate with (default: timing, or atomic from timing)")
    p.add_argument("--gdb", metavar="[HOST:]PORT",
                   help="serve the GDB remote protocol (host 127.0.0.1 unless given; port 0: any free port)")
    p.add_argument("--wait-gdb", action="store_true", help="with --gdb: wait for GDB before the first instruction")


CPU_HELP = "CPU model for every hart: atomic, timing or pipelined ('cpu.timing' also accepted; 'graphsim kinds' lists them)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphsim", description="Full-system RISC-V simulator "
                                     "with TOML component graphs and portable checkpoints.")
    parser.add_argument("--version", action="version", version=f"graphsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p, many=False):
        if many:
            p.add_argument("configs", nargs="+", metavar="CONFIG", help="machine file(s)")
        else:
            p.add_argument("config", metavar="CONFIG", help="machine file")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a key, e.g. components.l1d.size=64KiB (repeatable)")
        return p

    p = with_config(sub.add_parser("validate", help="check machine files and summarise them"), many=True)
    p.set_defaults(func=cmd_validate)
    p = with_config(sub.add_parser("show", help="print the resolved machine with every default filled in"))
    p.set_defaults(func=cmd_show)
    p = with_config(sub.add_parser("graph", help="draw the machine (.svg, .png, .pdf or .dot)"))
    p.add_argument("-o", "--output", help="output file; DOT on stdout when omitted")
    p.set_defaults(func=cmd_graph)
    p = with_config(sub.add_parser("run", help="run software on a machine"))
    p.add_argument("--cpu", help=CPU_HELP)
    p.add_argument("--kernel", help="ELF or raw binary to run (bare metal), or the Linux Image with --firmware")
    p.add_argument("--firmware", help="firmware loaded at the start of RAM (e.g. OpenSBI fw_jump.bin)")
    p.add_argument("--initrd", help="initial ramdisk for Linux")
    p.add_argument("--bootargs", help="kernel command line (in the device tree's /chosen)")
    p.add_argument("--load-address", help="load address of a raw binary (default: start of RAM)")
    p.add_argument("--trace", action="store_true", help="print every instruction: pc, disassembly, register write")
    add_run_arguments(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("restore", help="restore a checkpoint, possibly onto another machine, and run on")
    p.add_argument("checkpoint", help="checkpoint id, unique prefix, name or directory")
    p.add_argument("--config", help="machine to restore onto (default: the checkpoint's own)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key of the target machine, e.g. components.l2.size=1MiB (repeatable)")
    p.add_argument("--cpu", help=CPU_HELP)
    p.add_argument("--strict", default="features", choices=["exact", "features", "none"],
                   help="how much of the checkpoint's machine the target must match (default: features)")
    p.add_argument("--allow-warnings", action="store_true", help="restore despite warnings")
    p.add_argument("--absolute", action="store_true",
                   help="instruction and tick counts (--max-insts, --checkpoint-at-*, --switch-at-inst, "
                        "--max-tick) count from boot, not from the checkpoint")
    add_run_arguments(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("compat", help="graded compatibility of a checkpoint with a target machine")
    p.add_argument("checkpoint", help="checkpoint id, unique prefix, name or directory")
    p.add_argument("config", nargs="?", help="target machine file, or another checkpoint (default: its own)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key of the target machine (repeatable)")
    p.add_argument("--cpu", help=CPU_HELP)
    p.add_argument("--disk", action="append", default=[], metavar="NAME=IMAGE",
                   help="the image a virtio_blk disk of the target would use")
    p.add_argument("--strict", default="features", choices=["exact", "features", "none"],
                   help="how much of the checkpoint's machine the target must match (default: features)")
    p.add_argument("--allow-warnings", action="store_true", help="exit 0 when there are only warnings")
    p.add_argument("--library", help="checkpoint library (default: the one holding a checkpoint directory, "
                                     "else $GRAPHSIM_LIBRARY or the user data dir)")
    p.add_argument("-v", "--verbose", action="store_true", help="also list what is the same")
    p.set_defaults(func=cmd_compat)

    from .checkpoint.library_cli import add_parser as add_checkpoints_parser
    add_checkpoints_parser(sub, cmd_checkpoints)

    from .sweep.cli import add_parser as add_sweep_parser
    add_sweep_parser(sub)

    from .simpoint.cli import add_parser as add_simpoint_parser
    add_simpoint_parser(sub)

    p = sub.add_parser("stats", help="statistics of runs")
    stats_sub = p.add_subparsers(dest="stats_command", required=True, metavar="COMMAND")
    q = stats_sub.add_parser("compare", help="two runs' statistics side by side, with ratios")
    q.add_argument("a", metavar="A", help="run directory or stats.json")
    q.add_argument("b", metavar="B", help="run directory or stats.json")
    q.add_argument("--dump", type=int, default=-1, metavar="N",
                   help="which dump of each run (default -1: the last, the end of the run)")
    q.add_argument("--match", metavar="REGEX", help="only statistics whose name matches")
    q.set_defaults(func=cmd_stats_compare)

    p = sub.add_parser("gui", help="the desktop checkpoint manager")
    p.add_argument("library", nargs="?", help="checkpoint library (default: the last one opened)")
    p.add_argument("--library", dest="library_option", metavar="LIBRARY",
                   help="the same, as every other command takes it")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("precompile", help="compile the CPU models' kernels now (make setup does this)")
    p.add_argument("--cpu", action="append", default=[], metavar="MODEL", help="only this model (repeatable)")
    p.set_defaults(func=cmd_precompile)

    p = sub.add_parser("kinds", help="list the CPU models and component kinds")
    p.set_defaults(func=cmd_kinds)

    p = sub.add_parser("docs", help="the component reference, from the declarations")
    p.add_argument("kinds", nargs="*", help="only these component types")
    p.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GraphsimError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\rinterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
