"""`graphsim simpoint run`: every sample restored on the chosen CPU model and caches, in
parallel on Dask (as sweep points, graphsim/sweep/worker.py's `run_point`: a worker that sees
this library restores each sample straight from it, any other is shipped the checkpoint as
its exported file), then combined.

Each sample warms up functionally on cpu.atomic_warm (caches' tags, replacement and
prefetchers, the branch predictor) for its warm-up, switches to the measured model and runs its interval. The
combination, per cluster c of weight w_c (its share of the region's instructions) and
samples i:

  CPI        = Σ_c w_c · mean_i(cycles_ci / insts_ci)                  (SimPoint's estimate)
  IPC        = 1 / CPI
  miss rate  = Σ_c w_c · mean_i(misses_ci / insts_ci) / Σ_c w_c · mean_i(accesses_ci / insts_ci)
  error      = 1.96 · sqrt(Σ_c w_c² s_c² / n_c) / CPI                    (95 %, relative)

where s_c² is the variance of the cluster's samples' CPI (stratified sampling). A cluster
of one interval is exact; a cluster of several with one sample has no variance to show,
and the error estimate is then absent. `--verify` runs the whole region from the start
checkpoint on the same machine and reports the true values and the relative errors.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time

import tomli_w

from ..checkpoint.compat import diff, exit_code, machine_record
from ..checkpoint.library import Library
from ..checkpoint.restore import cpu_model_name, target_disks, target_graph
from ..devices.disk import image_identity
from ..errors import GraphsimError
from ..graph.dump import resolved_document
from ..mem.hierarchy import check_hierarchy
from ..sweep.execute import Cluster
from ..sweep.worker import manifest_sha256, run_point
from .checkpoints import CHECKPOINTS_FILE, check_start
from .profile import SimpointError, read_profile, write_json

RESULTS_FILE = "results.json"
COLLECT = ["simInsts", "system.*.numCycles", "system.*.committedInsts", "system.*.overallAccesses",
           "system.*.overallMisses"]


def _target(library: Library, cpt_id: str, config, overrides, cpu) -> tuple[str, dict]:
    """The resolved machine to run on, and its disks (name -> path), checked against the
    checkpoint's compatibility record before anything runs."""
    manifest = library.manifest(cpt_id)
    graph = target_graph(manifest, config, list(overrides), cpu)
    check_hierarchy(graph)
    paths, identities = target_disks(graph, {}, manifest["compat"].get("disks"))
    findings = diff(manifest["compat"], machine_record(graph, disks=identities), "features")
    if exit_code(findings, False):
        bad = [f for f in findings if f.grade in ("incompatible", "warning")]
        raise SimpointError(f"checkpoint {cpt_id} cannot restore onto the target: "
                            + "; ".join(f"{f.subject}: {f.message}" for f in bad))
    return tomli_w.dumps(resolved_document(graph)), paths


def _task(key: str, index: int, cpu: str, machine_toml: str, cpt_id: str, disks: dict, insts: int,
          warmup: int) -> dict:
    return {"point": key, "index": index, "dirname": key, "values": {}, "cpu": cpu, "machine_toml": machine_toml,
            "checkpoint": cpt_id, "disks": disks, "boot": {}, "insts": insts, "tick": None, "until": "exit",
            "warmup_insts": warmup, "digest": False, "collect": COLLECT, "strict": "features",
            "allow_warnings": False}


def measures(stats: dict) -> dict:
    """Cycles, instructions and per-cache accesses and misses of one run's statistics."""
    cycles = sum(v for k, v in stats.items() if k.endswith(".numCycles"))
    insts = sum(v for k, v in stats.items() if k.endswith(".committedInsts")) or stats.get("simInsts", 0)
    caches = {}
    for name, value in stats.items():
        for what in ("overallAccesses", "overallMisses"):
            if name.endswith("." + what):
                caches.setdefault(name[len("system."):-len(what) - 1], {})[what] = value
    return {"cycles": cycles, "insts": insts, "cpi": cycles / insts if insts else float("nan"), "caches": caches}


def combine(samples: list[dict]) -> dict:
    """The weighted estimate from measured samples (each with cluster, weight, members, measures)."""
    clusters: dict[int, list[dict]] = {}
    for s in samples:
        clusters.setdefault(s["cluster"], []).append(s)
    total_weight = sum(group[0]["weight"] for group in clusters.values())
    cpi = 0.0
    variance = 0.0
    error_known = True
    rates: dict[str, list[float]] = {}
    for group in clusters.values():
        w = group[0]["weight"] / total_weight
        cpis = [g["measures"]["cpi"] for g in group]
        mean = sum(cpis) / len(cpis)
        cpi += w * mean
        if len(cpis) >= 2:
            s2 = sum((c - mean) ** 2 for c in cpis) / (len(cpis) - 1)
            variance += w * w * s2 / len(cpis)
        elif group[0]["members"] > 1:
            error_known = False
        for cache in group[0]["measures"]["caches"]:
            acc = sum(g["measures"]["caches"].get(cache, {}).get("overallAccesses", 0) / g["measures"]["insts"]
                      for g in group) / len(group)
            miss = sum(g["measures"]["caches"].get(cache, {}).get("overallMisses", 0) / g["measures"]["insts"]
                       for g in group) / len(group)
            pair = rates.setdefault(cache, [0.0, 0.0])
            pair[0] += w * acc
            pair[1] += w * miss
    return {"cpi": cpi, "ipc": 1 / cpi if cpi else float("nan"),
            "cpi_error_95": 1.96 * math.sqrt(variance) / cpi if error_known and cpi else None,
            "miss_rate": {c: (m / a if a else 0.0) for c, (a, m) in sorted(rates.items())},
            "clusters": len(clusters)}


def truth(m: dict) -> dict:
    return {"cpi": m["cpi"], "ipc": 1 / m["cpi"] if m["cpi"] else float("nan"),
            "miss_rate": {c: (v.get("overallMisses", 0) / v["overallAccesses"] if v.get("overallAccesses") else 0.0)
                          for c, v in sorted(m["caches"].items())}}


class DetailedRuns:
    """The detailed runs of one profile on Dask: each sample is submitted as soon as it is known
    (``submit``; the checkpoint pass submits each as it takes it), ``finish`` collects and combines.

    A task first goes without the checkpoint, naming this library (``shared_root``, the path the
    workers are to look in) and its manifest's SHA-256: a worker on this host, or sharing the
    filesystem, restores from the library, which spares the export here (the export verifies
    the whole checkpoint again) and the import there, and 3.5 MB per task on phases_long. A worker
    that does not see it, or sees another or a damaged copy, answers so and the task is sent again
    with the exported checkpoint; once a worker has not seen the library at all, every later task
    is shipped at once. ``shared_root`` None ships every task."""

    def __init__(self, outdir: str, cpu: str = "pipelined", config: str | None = None, overrides=(),
                 share_library: bool = True):
        self.started = time.perf_counter()
        self.outdir, self.cpu, self.config, self.overrides = outdir, cpu, config, list(overrides)
        self.prof = read_profile(outdir)
        self.library = Library(self.prof["library"])
        self.start_id = self.prof["start_checkpoint"]
        check_start(self.library, self.start_id, self.prof)
        # the target machine, checked against the start checkpoint's compatibility record before anything runs
        self.machine_toml, self.disk_paths = _target(self.library, self.start_id, config, self.overrides, cpu)
        self.disk_hashes = {name: image_identity(p)["sha256"] for name, p in self.disk_paths.items()}
        self.shared_root = self.library.root if share_library else None
        self.cluster: Cluster | None = None
        self.jobs: list[tuple[str, dict | None]] = []
        self.futures = {}
        self.tasks: dict[str, dict] = {}
        self.shipped = 0  # tasks sent with the exported checkpoint
        self._files = None

    def start(self, cluster: Cluster, verify: bool = False):
        """Run on ``cluster`` from now on; with ``verify``, the whole region first (the longest run)."""
        self.cluster = cluster
        if verify:
            self._submit("full", _task("full", -1, self.cpu, self.machine_toml, self.start_id, self.disk_hashes,
                                       self.prof["region_insts"], 0), None)

    def check(self, samples: list[dict]):
        """Every sample checkpoint (of a checkpoints.json written earlier) must belong to this
        profile's region: checked for all before any runs."""
        for s in samples:
            try:
                record = self.library.manifest(self.library.resolve(s["checkpoint"])).get("simpoint", {})
            except GraphsimError as exc:
                raise SimpointError(f"sample checkpoint {s['checkpoint']}: {exc}") from None
            if record.get("workload") != self.prof["workload"]["identity"] or \
                    record.get("start_checkpoint") != self.start_id:
                raise SimpointError(f"checkpoint {s['checkpoint']}: a checkpoint of another workload or region "
                                    f"(its simpoint record names start {record.get('start_checkpoint')!r})")

    def submit(self, sample: dict, manifest: dict | None = None):
        """Run ``sample``; ``manifest``: its checkpoint's, as this process has just written it."""
        key = f"sample-{sum(1 for _, s in self.jobs if s is not None)}"
        self._submit(key, _task(key, len(self.jobs), self.cpu, self.machine_toml, sample["checkpoint"],
                                self.disk_hashes, sample["insts"], sample["warmup"]), sample, manifest)

    def _submit(self, key: str, task: dict, sample: dict | None, manifest: dict | None = None):
        self.futures[self._send(key, task, manifest=manifest)] = key
        self.tasks[key] = task
        self.jobs.append((key, sample))

    def _send(self, key: str, task: dict, ship: bool = False, manifest: dict | None = None):
        client = self.cluster.client()
        if self._files is None:
            self._files = {}
            for name, sha in self.disk_hashes.items():
                with open(self.disk_paths[name], "rb") as f:
                    self._files[sha] = client.scatter(f.read())
        data, sha = None, ""
        if ship or self.shared_root is None:
            with tempfile.TemporaryDirectory(prefix="graphsim-simpoint-") as tmp:
                archive = os.path.join(tmp, "checkpoint.tar")
                self.library.export(task["checkpoint"], archive)
                with open(archive, "rb") as f:
                    data = f.read()
            sha = hashlib.sha256(data).hexdigest()
            task = {k: v for k, v in task.items() if k != "library"}
            self.shipped += 1
        else:
            # With the manifest this process wrote (that file's, by the SHA-256 the worker checks), the
            # worker need not parse and check it again: 8-10 ms of each sample's 125 ms there.
            task = {**task, "library": {"root": self.shared_root,
                                        "manifest_sha256": manifest_sha256(self.library, task["checkpoint"]),
                                        "manifest": manifest}}
        # A shipped archive travels with the task, not scattered first: a scatter is a blocking round
        # trip to a worker whose event loop waits for the GIL its running sample holds (on phases_long
        # 17 of them cost the checkpoint pass 0.6 s of the client's CPU).
        return client.submit(run_point, task, data, sha, self._files, pure=False,
                             key=f"graphsim-simpoint-{self.start_id}-{key}-{time.time_ns()}")

    def finish(self, progress=None) -> dict:
        """Wait for every run; write results.json and return the report."""
        from distributed import as_completed

        results = {}
        pending = as_completed(list(self.futures))
        for future in pending:
            key = self.futures[future]
            result = future.result()
            result.pop("files", None)
            if result.get("needs_archive"):  # the worker did not see this library, or not this checkpoint in it
                if not result["needs_archive"]["visible"]:
                    self.shared_root = None  # nor will the others: ship the rest at once
                again = self._send(key, self.tasks[key], ship=True)
                self.futures[again] = key
                pending.add(again)
                continue
            if result["status"] != "ok":
                raise SimpointError(f"{key}: the detailed run failed: {result['error']}")
            results[key] = result
            if progress is not None:
                progress(f"detailed runs: {len(results)}/{len(self.jobs)} ({key} in {result['wall_seconds']:.1f} s)")
        measured = [{**sample, "measures": measures(results[key]["stats"]), "wall_seconds": results[key]["wall_seconds"]}
                    for key, sample in self.jobs if sample is not None]
        estimate = combine(measured)
        detailed = sum(s["insts"] for s in measured)
        region = self.prof["region_insts"]
        report = {"cpu": self.cpu, "config": self.config, "set": self.overrides, "estimate": estimate,
                  "samples": measured, "detailed_insts": detailed, "region_insts": region,
                  "detailed_fraction": detailed / region, "seconds": round(time.perf_counter() - self.started, 3),
                  "connect_seconds": self.cluster.connect_seconds,
                  "sample_seconds": round(sum(s["wall_seconds"] for s in measured), 3),
                  "sample_cpu_seconds": round(sum(results[key]["cpu_seconds"] for key, s in self.jobs if s is not None), 3)}
        if "full" in results:
            full = measures(results["full"]["stats"])
            true = truth(full)
            report["verify"] = {"true": true, "full_insts": full["insts"], "seconds": results["full"]["wall_seconds"],
                                "cpi_error": (estimate["cpi"] - true["cpi"]) / true["cpi"],
                                "ipc_error": (estimate["ipc"] - true["ipc"]) / true["ipc"],
                                "miss_rate_error": {c: estimate["miss_rate"].get(c, 0.0) - v
                                                    for c, v in true["miss_rate"].items()}}
        write_json(os.path.join(self.outdir, RESULTS_FILE), report)
        return report


def run_samples(outdir: str, cpu: str = "pipelined", config: str | None = None, overrides=(),
                scheduler: str | None = None, workers: int | None = None, verify: bool = False,
                progress=None) -> dict:
    """Run every sample of ``outdir``'s checkpoints (and with ``verify`` the whole region) on Dask;
    write and return results.json."""
    path = os.path.join(outdir, CHECKPOINTS_FILE)
    if not os.path.exists(path):
        raise SimpointError(f"{outdir}: no sample checkpoints yet (run 'graphsim simpoint checkpoint' first)")
    with open(path, encoding="utf-8") as f:
        samples = json.load(f)["samples"]
    read_profile(outdir)
    runs = DetailedRuns(outdir, cpu, config, overrides)
    runs.check(samples)
    cluster = Cluster(scheduler, workers, ["atomic_warm", cpu_model_name(cpu)])  # loaded once, by the forkserver
    try:
        runs.start(cluster, verify)
        for sample in samples:
            runs.submit(sample)
        return runs.finish(progress)
    finally:
        cluster.close()


def format_report(report: dict) -> str:
    e = report["estimate"]
    err = f" ± {100 * e['cpi_error_95']:.2f} % (95 %)" if e["cpi_error_95"] is not None else \
        " (no error estimate: some cluster has one sample; use --samples 2)"
    lines = [f"SimPoint on cpu.{report['cpu']}: {e['clusters']} clusters, {len(report['samples'])} samples, "
             f"{report['detailed_insts']:,} detailed instructions = {100 * report['detailed_fraction']:.2f} % "
             f"of the region ({report['region_insts']:,})",
             f"  estimated CPI {e['cpi']:.4f}{err}   IPC {e['ipc']:.4f}"]
    for cache, rate in e["miss_rate"].items():
        lines.append(f"  estimated {cache} miss rate {100 * rate:.3f} %")
    v = report.get("verify")
    if v:
        lines.append(f"  full detailed run ({v['full_insts']:,} instructions, {v['seconds']:.1f} s): "
                     f"CPI {v['true']['cpi']:.4f}   IPC {v['true']['ipc']:.4f}")
        lines.append(f"  relative error: CPI {100 * v['cpi_error']:+.2f} %   IPC {100 * v['ipc_error']:+.2f} %")
        for cache, rate in v["true"]["miss_rate"].items():
            lines.append(f"  {cache} miss rate: true {100 * rate:.3f} %, estimate "
                         f"{100 * e['miss_rate'].get(cache, 0.0):.3f} % ({100 * v['miss_rate_error'][cache]:+.3f} points)")
    return "\n".join(lines)
