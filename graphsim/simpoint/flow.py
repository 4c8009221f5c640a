"""`graphsim simpoint WORKLOAD`: profile → cluster → checkpoint → run → report in one
command. Every step writes its result into the directory and a re-run with the same
options reuses it, so an interrupted flow resumes where it stopped; a step whose options
changed is done again (and the ones after it). A directory holding another workload's
profile is refused.

The passes overlap where they can on a machine of a few cores: the Dask workers start and
load the compiled kernels while this process profiles, one of them imports scikit-learn
meanwhile and fits the clusters, and each sample's detailed run is submitted as soon as the
checkpoint pass has taken its checkpoint.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

from ..checkpoint.library import Library
from ..checkpoint.restore import cpu_model_name
from .checkpoints import CHECKPOINTS_FILE, restore_start, take_sample_checkpoints
from .cluster import CLUSTERS_FILE
from .cluster import cluster as cluster_intervals
from .cluster import cluster_options, fit_clusters, import_clustering, import_meanwhile
from .profile import PROFILE_FILE, SimpointError, Workload, profile, region_end, say
from .run import RESULTS_FILE, Cluster, DetailedRuns, format_report, run_samples


def _load(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def existing_profile(outdir: str, workload: Workload, interval: int, max_insts: int | None = None) -> dict | None:
    """The profile already in ``outdir`` if it is this workload's with this interval; an error if
    the directory holds another workload's."""
    prof = _load(os.path.join(outdir, PROFILE_FILE))
    if prof is None:
        return None
    if prof["workload"]["identity"] != workload.identity:
        raise SimpointError(f"{outdir}: holds the profile of another workload ({prof['workload']['source']}); "
                            "give another --outdir")
    library = Library(prof["library"])
    if prof["interval"] != interval or prof["workload"]["work_region"] != workload.work_region \
            or prof.get("max_insts") != max_insts \
            or not os.path.isdir(library.path(prof["start_checkpoint"])):
        return None
    return prof


def simpoint_flow(workload: Workload, library: Library, outdir: str, interval: int, max_k: int, k: int | None,
                  seed: int, dims: int, samples: int, warmup: int, cpu: str, config: str | None, overrides,
                  scheduler: str | None, workers: int | None, verify: bool, max_insts: int | None = None) -> dict:
    previous = _load(os.path.join(outdir, RESULTS_FILE))
    wanted = {"cpu": cpu, "config": config, "set": list(overrides)}
    reusable = bool(previous) and {k_: previous.get(k_) for k_ in wanted} == wanted and \
        bool(previous.get("verify") or not verify)
    prof = existing_profile(outdir, workload, interval, max_insts)  # (a bad --outdir is refused before Dask starts)
    options = cluster_options(max_k, k, dims, seed)
    clusters = _load(os.path.join(outdir, CLUSTERS_FILE)) if prof is not None else None
    to_cluster = clusters is None or clusters.get("options") != options
    # The workers start, and load the compiled kernels, while this process profiles: they are forked
    # from one forkserver that loads the kernels once (0.8 s of CPU on the other core), and the flow
    # ended 0.7-0.8 s sooner on phases_long than with the workers started after the profile (two A/B
    # pairs at load 0.7-1.5). Two spawned workers, loading them each, had taken the profile's cores.
    # One of them imports scikit-learn meanwhile and then fits the clusters: imported in a thread of
    # this process instead, it took the GIL from the profile (which holds it in the kernel).
    cluster = None if reusable else Cluster(scheduler, workers, ["atomic_warm", cpu_model_name(cpu)],
                                            warm=import_clustering if to_cluster else None)
    try:
        return _steps(workload, library, outdir, interval, max_k, k, seed, dims, samples, warmup, cpu, config,
                      overrides, scheduler, workers, verify, previous if reusable else None, prof, cluster, options,
                      max_insts)
    finally:
        if cluster is not None:
            cluster.close()


def _steps(workload, library, outdir, interval, max_k, k, seed, dims, samples, warmup, cpu, config, overrides,
           scheduler, workers, verify, previous, prof, cluster, options, max_insts) -> dict:
    fit = None
    if cluster is not None and cluster.warms:
        fit = lambda *args: cluster.on_warm_worker(fit_clusters, *args)  # noqa: E731
    if prof is None:
        if fit is None:
            import_meanwhile()  # clustering follows
        say(f"profiling {workload.describe()} on cpu.atomic, intervals of {interval:,} instructions")
        prof = profile(workload, library, outdir, interval, progress=None, max_insts=max_insts)
        for name in (CLUSTERS_FILE, CHECKPOINTS_FILE, RESULTS_FILE):
            if os.path.exists(os.path.join(outdir, name)):
                os.unlink(os.path.join(outdir, name))
        previous = None
    else:
        say(f"profile: reusing {os.path.join(outdir, PROFILE_FILE)}")
    say(f"profile: {len(prof['interval_insts'])} intervals, {prof['region_insts']:,} instructions "
        f"({prof['profile_seconds']:.1f} s); start checkpoint {prof['start_checkpoint']}")
    if prof["end"] == "max_insts":
        say(f"profile: the region was {region_end(prof)}")
    clusters = _load(os.path.join(outdir, CLUSTERS_FILE))
    runs = machine = None
    try:  # (until the checkpoint pass takes the restored machine over)
        with ThreadPoolExecutor(1) as background:
            fitting = None
            if clusters is None or clusters.get("options") != options:
                fitting = background.submit(cluster_intervals, outdir, max_k=max_k, k=k, dims=dims, seed=seed, fit=fit)
            # While a worker fits the clusters, this process checks the target machine and restores the
            # start checkpoint for the checkpoint pass (0.1-0.2 s on phases_long).
            if cluster is not None:
                runs = DetailedRuns(outdir, cpu, config, overrides)
            if fitting is not None and fit is not None and not os.path.exists(os.path.join(outdir, CHECKPOINTS_FILE)):
                machine = restore_start(outdir)
            if fitting is not None:
                clusters = fitting.result()
        say(f"clusters: k = {clusters['k']}; simpoints (interval: weight) "
            + ", ".join(f"{s['interval']}: {s['weight']:.3f}" for s in clusters["simpoints"]))
        if runs is not None:  # each sample runs in detail as soon as its checkpoint is taken
            runs.start(cluster, verify)
    except BaseException:
        if machine is not None:
            machine.close()
        raise
    taken = take_sample_checkpoints(outdir, samples=samples, warmup=warmup, progress=say,
                                    taken=runs.submit if runs is not None else None, machine=machine)
    say(f"checkpoints: {len(taken['samples'])} samples, children of {prof['start_checkpoint']}")
    if previous is not None and [s["checkpoint"] for s in previous["samples"]] == \
            [s["checkpoint"] for s in taken["samples"]]:
        say(f"results: reusing {os.path.join(outdir, RESULTS_FILE)}")
        return previous
    if runs is None:
        return run_samples(outdir, cpu=cpu, config=config, overrides=overrides, scheduler=scheduler, workers=workers,
                           verify=verify, progress=say)
    if not any(sample is not None for _, sample in runs.jobs):  # the checkpoints were taken by an earlier run
        runs.check(taken["samples"])
        for sample in taken["samples"]:
            runs.submit(sample)
    return runs.finish(progress=say)


__all__ = ["simpoint_flow", "format_report"]
