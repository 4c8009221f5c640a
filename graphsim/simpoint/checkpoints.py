"""One checkpoint per sample, at (interval start − warm-up), in a single atomic pass of the
region from its start checkpoint. Each is a child of the start checkpoint in the library;
its manifest's `simpoint` table holds the cluster, weight, interval and warm-up, and the
profile directory (whose results.json is the set's report), so the library (and the
desktop app) can show the set as a sample of the region.

A cluster is sampled by its simpoint (the interval nearest its centroid) and, with
samples = 2, by the nearest in the other half of its span too (cluster.py's `sample_order`):
two samples give each cluster a variance, hence an error estimate for the weighted result
(see run.py).
"""

from __future__ import annotations

import json
import os

from ..checkpoint.library import Library
from ..checkpoint.restore import plan_restore
from ..checkpoint.take import take_checkpoint
from ..sim.console import Console
from ..sim.machine import RunLimits
from .cluster import read_clusters
from .profile import PROFILE_MODEL, SimpointError, read_profile, write_json

CHECKPOINTS_FILE = "checkpoints.json"


def plan_samples(prof: dict, clusters: dict, samples: int, warmup: int) -> list[dict]:
    """The samples to checkpoint, in region order (checked, nothing run yet)."""
    if samples not in (1, 2):
        raise SimpointError(f"--samples {samples}: 1 (the simpoint) or 2 (and one from the other half of the cluster)")
    if warmup < 0:
        raise SimpointError(f"--warmup {warmup}: must not be negative")
    if warmup >= prof["region_insts"]:
        raise SimpointError(f"--warmup {warmup:,}: the warm-up would start before the region's start "
                            f"(the region has {prof['region_insts']:,} instructions)")
    interval = prof["interval"]
    starts = [0]
    for length in prof["interval_insts"]:
        starts.append(starts[-1] + length)
    out = []
    for s in clusters["simpoints"]:
        for n, index in enumerate(s["ranked"][:samples]):
            if prof["interval_insts"][index] != interval:
                continue  # the short last interval is never a sample
            start = starts[index]
            warm = min(warmup, start)  # an interval near the region start has less history to warm on
            out.append({"cluster": s["cluster"], "sample": n, "interval_index": index,
                        "weight": s["weight"], "members": s["members"],
                        "start": prof["region_start_instret"] + start, "warmup": warm,
                        "position": prof["region_start_instret"] + start - warm, "insts": interval})
    return sorted(out, key=lambda x: (x["position"], x["cluster"], x["sample"]))


def restore_start(outdir: str):
    """The machine the checkpoint pass runs: the profile's start checkpoint, checked and restored
    on the atomic CPU (the one command restores it while the clusters are being fitted)."""
    prof = read_profile(outdir)
    library = Library(prof["library"])
    check_start(library, prof["start_checkpoint"], prof)
    return plan_restore(library, prof["start_checkpoint"], cpu=PROFILE_MODEL).build(Console())


def take_sample_checkpoints(outdir: str, samples: int = 2, warmup: int = 0, progress=None, taken=None,
                            machine=None) -> dict:
    """Take (or, on a re-run with the same options, reuse) one checkpoint per sample; ``taken``
    is called with each sample and its checkpoint's manifest as soon as the checkpoint exists
    (the detailed runs start then).
    ``machine``: the pass's machine if already restored (`restore_start`); closed in any case."""
    try:
        prof = read_profile(outdir)
        clusters = read_clusters(outdir)
        plan = plan_samples(prof, clusters, samples, warmup)
        library = Library(prof["library"])
        start_id = prof["start_checkpoint"]
        options = {"samples": samples, "warmup": warmup, "clusters": clusters["labels"], "start": start_id}
        path = os.path.join(outdir, CHECKPOINTS_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                done = json.load(f)
            if done.get("options") == options and all(os.path.isdir(library.path(s["checkpoint"]))
                                                       for s in done["samples"]):
                if machine is not None:
                    machine.close()
                return done
        if machine is None:
            machine = restore_start(outdir)
    except BaseException:
        if machine is not None:
            machine.close()
        raise
    try:
        for i, sample in enumerate(plan):
            stop = machine.run(RunLimits(max_insts=sample["position"]))
            if stop.reason != "max_insts":
                raise SimpointError(f"the region ended ({stop.reason}) before sample {i}'s checkpoint at "
                                    f"{sample['position']:,} instructions")
            record = {"role": "sample", "workload": prof["workload"]["identity"], "start_checkpoint": start_id,
                      **{k: sample[k] for k in ("cluster", "sample", "interval_index", "weight", "members",
                                                "start", "warmup", "insts")},
                      "interval": prof["interval"], "region_insts": prof["region_insts"],
                      "outdir": os.path.abspath(outdir)}
            cpt_id, manifest, _ = take_checkpoint(
                machine, library, {"kind": "simpoint", "detail": f"cluster {sample['cluster']}"}, parent=start_id,
                note=f"SimPoint sample: cluster {sample['cluster']} (weight {sample['weight']:.3f}), "
                     f"interval {sample['interval_index']}", records={"simpoint": record})
            sample["checkpoint"] = cpt_id
            if taken is not None:
                taken(sample, manifest)
            if progress is not None:
                progress(f"checkpoint {i + 1}/{len(plan)}: {cpt_id} at {sample['position']:,} instructions")
    finally:
        machine.close()
    result = {"options": options, "samples": plan}
    write_json(path, result)
    return result


def check_start(library: Library, start_id: str, prof: dict):
    """The start checkpoint must be the one this profile's region began at, of the same workload."""
    try:
        manifest = library.manifest(library.resolve(start_id))
    except Exception as exc:  # noqa: BLE001 — any way of not finding it is the same error
        raise SimpointError(f"start checkpoint {start_id}: not in {library.root} ({exc})") from None
    record = manifest.get("simpoint", {})
    if record.get("workload") != prof["workload"]["identity"]:
        raise SimpointError(f"checkpoint {start_id}: a checkpoint of another workload "
                            f"({record.get('workload')} is not {prof['workload']['identity']})")
    if manifest["position"]["instret"] != prof["region_start_instret"]:
        raise SimpointError(f"checkpoint {start_id}: at {manifest['position']['instret']:,} instructions, "
                            f"not the region's start ({prof['region_start_instret']:,})")
