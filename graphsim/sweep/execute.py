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
from dataclasses import dataclass, field

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
    connect_seconds: float = 0.0  # reaching the scheduler, or starting the LocalCluster (and loading kernels)
    # when the client got where, in seconds from the start (checked, exported, submitted, last_result,
    # closed), and that start as Unix time: the rows' started_at (the workers' clocks) fit on it
    timeline: dict = field(default_factory=dict)

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


# The worker processes of our own LocalCluster run one long point at a time in a thread that holds
# the GIL; Dask's periodic sampling in the same process takes the GIL from it many times a second
# (its statistical profiler every 10 ms, the event-loop tick check every 20 ms, the memory monitor
# every 100 ms), each a thread switch that costs the point time. Sample rarely: nobody watches a
# dashboard here. (An existing cluster keeps its own settings; docs/sweeps.md suggests these.)
QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                 "distributed.admin.tick.interval": "1s",
                 "distributed.admin.system-monitor.interval": "5s",
                 "distributed.worker.memory.monitor-interval": "1s"}


def _connect(scheduler: str | None, workers: int | None, models=()):
    """A Dask client: to ``scheduler``, or to a new LocalCluster of worker processes forked from a
    forkserver that has loaded the kernels of ``models`` (graphsim/sweep/forkserver.py)."""
    try:
        import dask
        from distributed import Client, LocalCluster
        from distributed.utils import get_mp_context
    except ImportError as exc:
        raise SweepError(f"sweeps run on Dask: pip install 'dask[distributed]' ({exc})") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with warnings.catch_warnings(), dask.config.set(QUIET_WORKERS), \
            dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        # its HTTP server moves off a port in use (another cluster's) by itself
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        # Dask names what its forkserver preloads the first time it is asked (once per process);
        # ours replaces that list. The forkserver starts with the first worker and serves every
        # cluster of this process after: it reads the models now, and a later cluster's other
        # models are loaded by its workers. (A worker Dask restarts after this block is spawned.)
        get_mp_context().set_forkserver_preload(["distributed", "graphsim.sweep.forkserver"])
        os.environ["GRAPHSIM_PRELOAD_MODELS"] = ",".join(models)
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


# Host seconds per simulated instruction of each CPU model, relative to cpu.atomic's interpreter
# (this machine, before the block compiler: atomic 192 MIPS, timing 62, pipelined 32, atomic_warm
# about 0.21x atomic). Only the order matters here, and compiled atomic code only widens the gaps.
MODEL_COST = {"atomic": 1.0, "timing": 3.1, "atomic_warm": 4.8, "pipelined": 6.0}


def point_cost(task) -> float:
    """A rough estimate of a point's run time, to start the longest points first: with a dozen points
    on a few workers, the sweep ends when the last long point does. The points of a sweep share
    their run (instructions, ticks or a guest's end), so the CPU model decides (a model not in the
    table counts as the slowest)."""
    insts = task.insts or 1
    model = MODEL_COST.get(task.cpu, max(MODEL_COST.values()))
    return model * insts + MODEL_COST["atomic_warm"] * task.warmup_insts


class Cluster:
    """A Dask client (to ``scheduler``, or a new LocalCluster) reached in a background thread, so
    that starting the workers, and their loading the compiled kernels of ``models``, overlaps
    the client's own work meanwhile (a sweep's checks and export, SimPoint's profile and checkpoint
    passes)."""

    def __init__(self, scheduler: str | None, workers: int | None, models=(), warm=None):
        """``warm``: a function run (as a task) on one worker as soon as the cluster is up, to make
        that worker ready for what `on_warm_worker` will ask of it (SimPoint: import scikit-learn)."""
        import threading

        self.started = time.perf_counter()
        self._result = None
        self.warms = warm is not None
        self.warm_worker = None
        self._warm = None
        self._thread = threading.Thread(target=self._connect, args=(scheduler, workers, tuple(models), warm),
                                        daemon=True)
        self._thread.start()

    def _connect(self, scheduler, workers, models, warm):
        from .worker import prepare_models

        try:
            client, cluster = _connect(scheduler, workers, models)
            if models:  # (freezing what a worker holds is for workers of our own, which end with the run)
                client.run(prepare_models, list(models), cluster is not None)
            if warm is not None:
                self.warm_worker = sorted(client.scheduler_info()["workers"])[0]
                self._warm = client.submit(warm, pure=False, workers=[self.warm_worker], allow_other_workers=True)
            self._result = (client, cluster, time.perf_counter() - self.started)
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread by client()
            self._result = exc

    def client(self):
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result[0]

    def on_warm_worker(self, function, *args):
        """``function(*args)`` run on the worker ``warm`` prepared (after it), or any if it is gone; its result."""
        client = self.client()
        return client.submit(function, *args, pure=False, workers=[self.warm_worker] if self.warm_worker else None,
                             allow_other_workers=True).result()

    @property
    def connect_seconds(self) -> float:
        self._thread.join()
        return 0.0 if isinstance(self._result, BaseException) else round(self._result[2], 3)

    def close(self):
        self._thread.join()
        if not isinstance(self._result, BaseException):
            client, cluster, _ = self._result
            client.close()
            if cluster is not None:
                cluster.close()


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
            "started_at": result.get("started_at", 0.0),
            "wall_seconds": result.get("wall_seconds", 0.0), "cpu_seconds": result.get("cpu_seconds", 0.0),
            "insts": result.get("insts", 0),
            "stop": result.get("stop", ""), "digest": result.get("digest", ""),
            "worker": result.get("worker", ""), "stats": result.get("stats", {})}


def run_sweep(spec: SweepSpec, outdir: str, scheduler: str | None = None, workers: int | None = None,
              stream=None) -> SweepSummary:
    started, started_at = time.perf_counter(), time.time()
    timeline = {"started_at": round(started_at, 3)}

    def mark(moment: str):
        timeline[moment] = round(time.perf_counter() - started, 3)

    plan = check_points(spec)  # raises before anything runs
    mark("checked")
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
        # The cluster starts (and its workers load the kernels) in the background while the client
        # exports the checkpoint.
        cluster = Cluster(scheduler or spec.scheduler, workers or spec.workers, _models(todo))
        try:
            _run_tasks(plan, todo, results, progress, cluster, mark)
            connect = cluster.connect_seconds
        finally:
            cluster.close()
            mark("closed")
    rows = [results.rows[t.point] for t in plan.tasks if t.point in results.rows]
    return SweepSummary(sum(r["status"] == "ok" for r in rows), sum(r["status"] != "ok" for r in rows),
                        len(plan.skipped), resumed, time.perf_counter() - started, results, connect, timeline)


def _models(todo) -> list[str]:
    """The CPU models the points run (with cpu.atomic_warm for a warm-up), whose kernels every
    worker loads before its first point."""
    return sorted({t.cpu for t in todo} | ({"atomic_warm"} if any(t.warmup_insts for t in todo) else set()))


def _run_tasks(plan: SweepPlan, todo, results: Results, progress: ProgressLine, cluster: Cluster, mark):
    """Run the points on Dask, the longest first."""
    from distributed import as_completed

    archive = _archive(plan)
    mark("exported")
    client = cluster.client()
    # Every worker gets the checkpoint (and the files) at once: the points then go wherever a
    # worker is free, not after the one worker holding their input.
    archive_future = client.scatter(archive, broadcast=True) if archive is not None else None
    needed = {sha for t in todo for sha in list(t.disks.values()) + [v for k, v in t.boot.items()
                                                                      if k != "bootargs"]}
    files = {}
    for sha in needed:
        with open(plan.files[sha], "rb") as f:
            files[sha] = client.scatter(f.read(), broadcast=True)
    archive_sha = sha256_bytes(archive) if archive is not None else ""
    futures = {}
    # Submitted in that order too, so that the first points to reach idle workers are long ones.
    for rank, task in enumerate(sorted(todo, key=point_cost, reverse=True)):
        mine = {sha: files[sha] for sha in list(task.disks.values()) +
                [v for k, v in task.boot.items() if k != "bootargs"]}
        key = f"graphsim-sweep-{plan.spec.identity()}-{task.point}"
        future = client.submit(run_point, task.as_dict(), archive_future, archive_sha, mine, key=key,
                               pure=False, priority=-rank)
        futures[future.key] = (future, task)
    mark("submitted")
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
    mark("last_result")
