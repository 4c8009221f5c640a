"""The ``graphsim`` command line."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import GraphsimError


def load(config: str, overrides: list[str]):
    """Load and elaborate a machine file; raises ConfigError listing every problem."""
    from .config.loader import load_machine
    from .graph.elaborate import elaborate

    return elaborate(load_machine(config, overrides))


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
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
