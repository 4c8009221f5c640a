"""``graphsim sweep FILE`` and ``graphsim sweep plot RESULTS``."""

from __future__ import annotations

import os
import sys

from ..errors import GraphsimError


def add_parser(sub):
    p = sub.add_parser("sweep", help="run one checkpoint (or boot) on many machines, on this computer or a "
                                     "Dask cluster; 'sweep plot RESULTS' draws the results",
                       description="graphsim sweep FILE [options]  |  graphsim sweep plot RESULTS [options]")
    p.add_argument("file", metavar="FILE", help="sweep file (TOML), or 'plot'")
    p.add_argument("results", nargs="?", metavar="RESULTS", help="(plot) results.json or the sweep's directory")
    run = p.add_argument_group("running a sweep")
    run.add_argument("--outdir", help="results directory (default: sweeps/NAME); a re-run resumes there")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler "
                                                                    "(default: a LocalCluster on this computer)")
    run.add_argument("--workers", type=int, metavar="N", help="LocalCluster worker processes (default: one per core)")
    run.add_argument("--check", action="store_true", help="check every point, run none")
    plot = p.add_argument_group("plot")
    plot.add_argument("-o", "--output", help="(plot) picture file: .png, .svg or .pdf (default: RESULTS dir/STAT.png)")
    plot.add_argument("--stat", help="(plot) statistic (default: the first collected)")
    plot.add_argument("--x", help="(plot) axis along x (default: the first that varies)")
    plot.add_argument("--by", help="(plot) one line per value of this axis (default: the next that varies)")
    plot.add_argument("--heatmap", action="store_true", help="(plot) a heat map over --x and --by")
    plot.add_argument("--where", action="append", default=[], metavar="AXIS=VALUE",
                      help="(plot) only points with this axis value (repeatable)")
    p.set_defaults(func=cmd_sweep)


PLOT_OPTIONS = {"output": "-o", "stat": "--stat", "x": "--x", "by": "--by", "heatmap": "--heatmap", "where": "--where"}
RUN_OPTIONS = {"outdir": "--outdir", "scheduler": "--scheduler", "workers": "--workers", "check": "--check"}


def _refuse(args, options: dict, what: str):
    for name, flag in options.items():
        if getattr(args, name) not in (None, False, []):
            raise GraphsimError(f"sweep: {flag} is for {what}")


def cmd_sweep(args) -> int:
    if args.file == "plot":
        _refuse(args, RUN_OPTIONS, "running a sweep, not 'sweep plot'")
        return cmd_plot(args)
    _refuse(args, PLOT_OPTIONS, "'sweep plot RESULTS'")
    if args.results is not None:
        raise GraphsimError(f"sweep {args.file}: unexpected argument {args.results!r}")
    from .execute import run_sweep
    from .plan import check_points
    from .spec import load_sweep

    spec = load_sweep(args.file)
    if args.check:
        plan = check_points(spec)
        for point, why in plan.skipped:
            print(f"{spec.path}: point {point.index} ({point.label()}): incompatible: {why}")
        print(f"{spec.path}: {len(plan.tasks)} point(s) runnable, {len(plan.skipped)} incompatible")
        return 1 if plan.skipped else 0
    outdir = args.outdir or os.path.join("sweeps", spec.name)
    summary = run_sweep(spec, outdir, scheduler=args.scheduler, workers=args.workers)
    print(f"[sweep] {spec.name}: {summary.done} done, {summary.failed} failed, {summary.skipped} incompatible"
          + (f", {summary.resumed} from an earlier run" if summary.resumed else "")
          + f" in {summary.seconds:.1f} s; results in {os.path.join(outdir, 'results.csv')}", file=sys.stderr)
    return summary.exit_code


def cmd_plot(args) -> int:
    from .plot import plot_results

    if args.results is None:
        raise GraphsimError("sweep plot: give the results (results.json or the sweep's directory)")
    output = args.output
    if output is None:
        base = args.results if os.path.isdir(args.results) else os.path.dirname(args.results) or "."
        output = os.path.join(base, f"{(args.stat or 'plot').replace('*', '_')}.png")
    what = plot_results(args.results, output, args.stat, args.x, args.by, args.heatmap, args.where)
    print(f"wrote {output}: {what}")
    return 0
