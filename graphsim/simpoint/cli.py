"""``graphsim simpoint``: the whole flow on a workload, or one step on a profile directory.

    graphsim simpoint CONFIG|CHECKPOINT [options]      profile → cluster → checkpoint → run → report
    graphsim simpoint profile CONFIG|CHECKPOINT        basic-block vectors of the region (atomic CPU)
    graphsim simpoint cluster DIR                      simpoints and weights
    graphsim simpoint checkpoint DIR                   one checkpoint per sample, in one pass
    graphsim simpoint run DIR                          detailed runs on Dask, combined (--verify: and the truth)
"""

from __future__ import annotations

import os
import sys

from ..checkpoint.library import Library
from ..errors import GraphsimError

STEPS = ("profile", "cluster", "checkpoint", "run")
DEFAULT_WARMUP = 1_000_000  # enough to warm a 512 KiB L2 on a streaming phase


def add_parser(sub):
    p = sub.add_parser("simpoint", help="sampled simulation (SimPoint): profile, cluster, checkpoint and run "
                                        "representative intervals in detail, in one command",
                       description=__doc__.split("\n\n", 1)[1], formatter_class=_raw())
    p.add_argument("target", metavar="WORKLOAD|STEP", help="machine file or checkpoint; or a step: "
                                                           + ", ".join(STEPS))
    p.add_argument("operand", nargs="?", metavar="WORKLOAD|DIR", help="(step) the workload or the profile directory")
    p.add_argument("--outdir", help="profile directory (default: simpoint/NAME); a re-run resumes there")
    p.add_argument("--library", help="checkpoint library (default: $GRAPHSIM_LIBRARY or the user's)")
    w = p.add_argument_group("profile")
    w.add_argument("--kernel", help="program to boot (default: the machine file's [workload])")
    w.add_argument("--interval", type=int, default=1_000_000, metavar="N",
                   help="instructions per interval (default 1,000,000)")
    w.add_argument("--max-insts", type=_count_arg, metavar="N",
                   help="end the region after N instructions if it has not ended (a guest that never exits "
                        "or never reaches m5 work_end); units allowed: 5M, 1.5G")
    w.add_argument("--work-region", action="store_true",
                   help="profile between the guest's m5 work_begin and work_end (always for a checkpoint)")
    c = p.add_argument_group("cluster")
    c.add_argument("--max-k", type=int, default=10, help="largest number of clusters tried (default 10)")
    c.add_argument("--k", type=int, help="exactly this many clusters (no BIC search)")
    c.add_argument("--seed", type=int, default=1, help="random projection and k-means seed (default 1)")
    c.add_argument("--dims", type=int, default=15, help="dimensions of the random projection (default 15)")
    k = p.add_argument_group("checkpoint")
    k.add_argument("--warmup", type=int, default=None, metavar="N",
                   help="instructions of functional cache and predictor warm-up before each sample "
                        "(default: one interval, at least 1,000,000)")
    k.add_argument("--samples", type=int, default=2, choices=[1, 2],
                   help="intervals run per cluster: 2 gives an error estimate (default 2)")
    r = p.add_argument_group("run")
    r.add_argument("--cpu", default="pipelined", help="CPU model of the detailed runs (default pipelined)")
    r.add_argument("--config", help="machine of the detailed runs (default: the workload's own)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key of the machine (the profile's with a machine file; the runs' otherwise)")
    r.add_argument("--workers", type=int, help="LocalCluster worker processes (default: one per core)")
    r.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler")
    r.add_argument("--verify", action="store_true", help="also run the whole region in detail and print "
                                                         "the true values and the relative errors")
    p.set_defaults(func=cmd_simpoint)


def _count_arg(text: str) -> int:
    import argparse

    from ..config.units import UnitError, parse_count

    try:
        return parse_count(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _raw():
    import argparse

    return argparse.RawDescriptionHelpFormatter


def _say(text: str):
    print(f"[simpoint] {text}", file=sys.stderr, flush=True)


def cmd_simpoint(args) -> int:
    from .checkpoints import take_sample_checkpoints
    from .cluster import cluster
    from .flow import simpoint_flow
    from .profile import Workload, profile, region_end
    from .run import format_report, run_samples

    warmup = max(args.interval, DEFAULT_WARMUP) if args.warmup is None else args.warmup
    if args.target in STEPS:
        if args.operand is None:
            raise GraphsimError(f"simpoint {args.target}: give the "
                                + ("workload (machine file or checkpoint)" if args.target == "profile"
                                   else "profile directory"))
        if args.target == "profile":
            library = Library(args.library)
            workload = Workload.of(args.operand, library, args.kernel, args.set, args.work_region)
            outdir = args.outdir or _default_outdir(workload)
            prof = profile(workload, library, outdir, args.interval, max_insts=args.max_insts)
            print(f"{outdir}: {len(prof['interval_insts'])} intervals, {prof['region_insts']:,} instructions "
                  f"in {prof['profile_seconds']:.2f} s, region end: {region_end(prof)}; "
                  f"start checkpoint {prof['start_checkpoint']}")
        elif args.target == "cluster":
            result = cluster(args.operand, max_k=args.max_k, k=args.k, dims=args.dims, seed=args.seed)
            print(f"{args.operand}: k = {result['k']}")
            for s in result["simpoints"]:
                print(f"  cluster {s['cluster']}: simpoint interval {s['interval']}, weight {s['weight']:.4f}, "
                      f"{s['members']} intervals")
        elif args.target == "checkpoint":
            done = take_sample_checkpoints(args.operand, samples=args.samples, warmup=warmup, progress=_say)
            print(f"{args.operand}: {len(done['samples'])} sample checkpoints")
        else:
            print(format_report(run_samples(args.operand, cpu=args.cpu, config=args.config, overrides=args.set,
                                            scheduler=args.scheduler, workers=args.workers, verify=args.verify,
                                            progress=_say)))
        return 0
    if args.operand is not None:
        raise GraphsimError(f"simpoint {args.target}: unexpected argument {args.operand!r}")
    library = Library(args.library)
    workload = Workload.of(args.target, library, args.kernel, args.set if not args.config else [],
                           args.work_region)
    outdir = args.outdir or _default_outdir(workload)
    report = simpoint_flow(workload, library, outdir, args.interval, args.max_k, args.k, args.seed, args.dims,
                           args.samples, warmup, args.cpu, args.config, args.set if args.config else [],
                           args.scheduler, args.workers, args.verify, max_insts=args.max_insts)
    print(format_report(report))
    return 0


def _default_outdir(workload) -> str:
    if workload.is_checkpoint:
        name = workload.source
    else:
        name = os.path.splitext(os.path.basename(workload.kernel or workload.source))[0]
    return os.path.join("simpoint", name)
