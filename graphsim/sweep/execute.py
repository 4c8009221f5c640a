"""Running a sweep on Dask: a LocalCluster of worker processes by default, or an
existing cluster given by its scheduler address.

The client checks every point first (graphsim/sweep/plan.py), skips the points
an earlier run finished, ships the checkpoint once as its exported single file
(plus disk images and boot files, by content hash) with ``Client.scatter``,
submits one task per point under a key derived from the sweep and the point,
and records each result as it arrives. Dask reschedules the tasks of a worker
that dies; a task key is computed at most once per client, and rows are kept
by point id, so no point is lost or counted twice.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

from ..errors import GraphsimError
from .plan import SweepPlan, check_points, sha256_bytes
from .results import Results
from .spec import SweepSpec
from .worker import run_point


class SweepError(GraphsimError):
    def lines(self) -> list[str]:
        return str(self).splitlines()


@dataclass
class SweepSummary:
    done: int
    failed: int
    skipped: int
    resumed: int
    seconds: float
    results: Results
    connect_seconds: float = 0.0  # reaching the scheduler, or starting the LocalCluster

    @property
    def exit_code(self) -> int:
        return 0 if not self.failed and not self.skipped else 1


class ProgressLine:
    """Points done/failed and an ETA on stderr (one updating line on a terminal)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.failed = total, 0, 0
        self.started = time.perf_counter()
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def update(self, row: dict):
        if row["status"] == "ok":
            self.done += 1
        else:
            self.failed += 1
            self.message(f"point {row['index']} ({_label(row)}) failed: {row.get('error', '')}")
        finished = self.done + self.failed
        elapsed = time.perf_counter() - self.started
        eta = elapsed / finished * (self.total - finished) if finished else 0.0
        line = (f"[sweep] {finished}/{self.total} points: {self.done} done, {self.failed} failed; "
                f"{elapsed:.1f} s, ETA {eta:.1f} s")
        self.stream.write(("\r" + line + " ") if self.tty else line + "\n")
        if self.tty and finished == self.total:
            self.stream.write("\n")
        self.stream.flush()

    def message(self, text: str):
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(f"[sweep] {text}\n")
        self.stream.flush()


def _label(row: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.get("values", {}).items())


def _connect(scheduler: str | None, workers: int | None):
    """A Dask client: to ``scheduler``, or to a new LocalCluster of worker processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SweepError(f"sweeps run on Dask: pip install 'dask[distributed]' ({exc})") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with warnings.catch_warnings():  # its HTTP server moves off a port in use (another cluster's) by itself
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def _archive(plan: SweepPlan) -> bytes | None:
    if plan.checkpoint is None:
        return None
    with tempfile.TemporaryDirectory(prefix="graphsim-sweep-") as tmp:
        path = os.path.join(tmp, "checkpoint.tar")
        plan.library.export(plan.checkpoint, path)
        with open(path, "rb") as f:
            return f.read()


def _row(task, result: dict) -> dict:
    return {"point": task.point, "index": task.index, "dir": os.path.join("points", task.dirname),
            "values": task.values, "status": result.get("status", "failed"), "error": result.get("error", ""),
            "wall_seconds": result.get("wall_seconds", 0.0), "cpu_seconds": result.get("cpu_seconds", 0.0),
            "insts": result.get("insts", 0),
            "stop": result.get("stop", ""), "digest": result.get("digest", ""),
            "worker": result.get("worker", ""), "stats": result.get("stats", {})}


def run_sweep(spec: SweepSpec, outdir: str, scheduler: str | None = None, workers: int | None = None,
              stream=None) -> SweepSummary:
    started = time.perf_counter()
    plan = check_points(spec)  # raises before anything runs
    if not plan.tasks:
        raise SweepError("no point of the sweep can restore the checkpoint:\n" + "\n".join(
            f"point {point.index} ({point.label()}): incompatible: {why}" for point, why in plan.skipped))
    results = Results.open(outdir, spec, plan.start_record())
    progress = ProgressLine(0, stream)
    for point, why in plan.skipped:
        progress.message(f"point {point.index} ({point.label()}) skipped: incompatible: {why}")
        results.record({"point": point.id, "index": point.index, "dir": os.path.join("points", point.dirname),
                        "values": point.values, "status": "incompatible", "error": why, "stats": {}})
    todo = [t for t in plan.tasks if not results.finished(t.point)]
    resumed = len(plan.tasks) - len(todo)
    if resumed:
        progress.message(f"{resumed} point(s) already finished in {outdir}; running the other {len(todo)}")
    progress.total = len(todo)
    connect = 0.0
    if todo:
        connect = _run_tasks(plan, todo, results, progress, scheduler or spec.scheduler, workers or spec.workers)
    rows = [results.rows[t.point] for t in plan.tasks if t.point in results.rows]
    return SweepSummary(sum(r["status"] == "ok" for r in rows), sum(r["status"] != "ok" for r in rows),
                        len(plan.skipped), resumed, time.perf_counter() - started, results, connect)


def _run_tasks(plan: SweepPlan, todo, results: Results, progress: ProgressLine, scheduler, workers) -> float:
    """Run the points on Dask; returns the seconds spent reaching (or starting) the cluster."""
    from distributed import as_completed

    archive = _archive(plan)
    connecting = time.perf_counter()
    client, cluster = _connect(scheduler, workers)
    connected = time.perf_counter() - connecting
    try:
        archive_future = client.scatter(archive) if archive is not None else None
        needed = {sha for t in todo for sha in list(t.disks.values()) + [v for k, v in t.boot.items()
                                                                          if k != "bootargs"]}
        files = {}
        for sha in needed:
            with open(plan.files[sha], "rb") as f:
                files[sha] = client.scatter(f.read())
        archive_sha = sha256_bytes(archive) if archive is not None else ""
        futures = {}
        for task in todo:
            mine = {sha: files[sha] for sha in list(task.disks.values()) +
                    [v for k, v in task.boot.items() if k != "bootargs"]}
            key = f"graphsim-sweep-{plan.spec.identity()}-{task.point}"
            future = client.submit(run_point, task.as_dict(), archive_future, archive_sha, mine, key=key,
                                   pure=False)
            futures[future.key] = (future, task)
        for future in as_completed([f for f, _ in futures.values()]):
            _, task = futures[future.key]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 — e.g. KilledWorker after repeated worker deaths
                result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            files_back = result.pop("files", None)
            row = _row(task, result)
            results.record(row, files_back)
            progress.update(row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return connected
