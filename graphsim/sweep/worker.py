"""Running one sweep point, on a Dask worker (or in the client's process).

A worker may share no filesystem with the client. The checkpoint then arrives as
the bytes of its exported single file (`graphsim checkpoints export`): their
SHA-256 is checked, then `Library.import_verified` verifies every chunk before
the checkpoint enters the worker's private library, where later points find it
(cached per worker); the point's restore takes the state that import verified
instead of reading and verifying it again. A worker that does see the client's
library (a LocalCluster on the client's host, or a shared filesystem) is sent
no archive, only the library's path and the SHA-256 of the checkpoint's
manifest: it restores straight from that library if the manifest there is that
one, and otherwise answers that it needs the archive (``needs_archive``), which
the client then ships. Disk images and boot files arrive by content hash and
are kept under their hash. The point then runs through the ordinary restore
path (`plan_restore`, `RestorePlan.build`, the runner's `execute`) exactly as
`graphsim restore` would, and its result — the collected statistics, the
digest and the run directory's files — travels back as data.
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import os
import re
import socket
import tempfile
import time

import numpy as np

from ..checkpoint.format import MANIFEST, MANIFEST_LIMIT, CheckpointError, ComponentState, SavedState
from ..checkpoint.library import Library
from ..checkpoint.restore import plan_restore
from ..config.loader import load_machine
from ..config.schema import component_kinds
from ..errors import GraphsimError
from ..graph.elaborate import elaborate
from ..safe_io import read_regular
from ..sim.console import Console
from ..sim.machine import Machine, RunLimits
from ..sim.runner import RunOptions, execute

RUN_FILES = ("config.toml", "console.log", "stats.txt", "stats.json", "run.json")
WARM_MODEL = "atomic_warm"
_libraries: dict[str, Library] = {}
_imported: dict[str, str] = {}  # archive sha256 -> checkpoint id, in this process


def cache_dir() -> str:
    """This worker's private cache: the Dask worker's local directory, else a per-user one."""
    try:
        from distributed import get_worker

        base = get_worker().local_directory
    except (ImportError, ValueError):
        base = os.environ.get("GRAPHSIM_SWEEP_CACHE") or os.path.join(tempfile.gettempdir(),
                                                                          f"graphsim-sweep-{os.getuid()}")
    path = os.path.join(base, "graphsim-sweep")
    os.makedirs(path, exist_ok=True)
    return path


class WorkerLibrary(Library):
    """The worker's library, keeping the last checkpoint it loaded verified in memory from its
    second load on: the points of a sweep restore the same checkpoint one after another, and
    reading and verifying it (manifest, every chunk decompressed and hashed) was most of a
    point's overhead. It costs a copy of the guest's memory per worker process. Each load
    returns its own copy of the memory contents, which a restored machine adopts as its RAM:
    zero pages stay untouched (as in a load from the chunk store), only the blocks holding data
    are copied."""

    BLOCK = 1 << 16

    def __init__(self, root: str):
        super().__init__(root)
        self._last = None  # (checkpoint id, manifest, state, {memory name: its non-zero blocks})
        self._seen = ""  # the checkpoint loaded last, when it is not kept (loaded once so far)
        self._imported = None  # (checkpoint id, manifest, state) verified by the import just done

    def import_verified(self, archive: str, kinds: dict) -> tuple[str, dict, SavedState]:
        cpt_id, manifest, state = super().import_verified(archive, kinds)
        self._imported = (cpt_id, manifest, state)
        return cpt_id, manifest, state

    def load(self, cpt_id: str, kinds: dict) -> tuple[dict, SavedState]:
        imported, self._imported = self._imported, None
        if imported is not None and imported[0] == cpt_id:
            # the state the import has just verified (one use: a restored machine adopts its memory)
            self._seen = cpt_id
            return imported[1], imported[2]
        if self._last is None or self._last[0] != cpt_id:
            self._last = None  # one checkpoint's state at a time in memory
            if self._seen != cpt_id:  # a checkpoint loaded once (a SimPoint sample) is not worth keeping
                self._seen = cpt_id
                return super().load(cpt_id, kinds)
            manifest, state = super().load(cpt_id, kinds)
            blocks = {}
            for name, saved in state.components.items():
                data = saved.fields.get("data")
                if saved.kind == "memory" and data is not None and data.size % self.BLOCK == 0:
                    blocks[name] = np.flatnonzero(data.reshape(-1, self.BLOCK).any(axis=1))
            self._last = (cpt_id, manifest, state, blocks)
        _, manifest, state, blocks = self._last
        components = {}
        for name, saved in state.components.items():
            fields = dict(saved.fields)  # the machine copies every field but memory into its own arrays
            if name in blocks:
                data = saved.fields["data"]
                copy = np.zeros(data.shape, data.dtype)  # calloc: zero pages untouched (zeros_like writes them)
                for block in blocks[name].tolist():
                    copy[block * self.BLOCK:(block + 1) * self.BLOCK] = data[block * self.BLOCK:(block + 1) * self.BLOCK]
                fields["data"] = copy
            elif saved.kind == "memory" and "data" in fields:
                fields["data"] = fields["data"].copy()
            components[name] = ComponentState(saved.kind, saved.state_version, fields)
        return manifest, SavedState(components, state.disks)


def _library(cache: str) -> Library:
    root = os.path.join(cache, "library")
    if root not in _libraries:
        _libraries[root] = WorkerLibrary(root)
    return _libraries[root]


def checkpoint_from_archive(cache: str, cpt_id: str, archive: bytes, sha256: str) -> tuple[Library, str]:
    """The worker's library holding checkpoint ``cpt_id``, imported (and verified) from ``archive``
    the first time this worker sees it."""
    library = _library(cache)
    if _imported.get(sha256) == cpt_id and os.path.isdir(library.path(cpt_id)):
        return library, cpt_id
    if not os.path.isdir(library.path(cpt_id)):
        if hashlib.sha256(archive).hexdigest() != sha256:
            raise GraphsimError(f"checkpoint {cpt_id}: the archive arrived damaged (SHA-256 mismatch)")
        fd, path = tempfile.mkstemp(dir=cache, suffix=".cpt.tar")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(archive)
            imported, _, _ = library.import_verified(path, component_kinds())
        finally:
            os.unlink(path)
        if imported != cpt_id:
            raise GraphsimError(f"the archive holds checkpoint {imported}, not {cpt_id}")
    _imported[sha256] = cpt_id
    return library, cpt_id


class NeedsArchive(GraphsimError):
    """This worker cannot restore the checkpoint from the library the task names (it does not see
    it, or its copy is not the client's or is damaged): the client is to ship the archive."""

    def __init__(self, reason: str, visible: bool):
        super().__init__(reason)
        self.visible = visible  # the library is there (its copy of this checkpoint is not usable)


def manifest_sha256(library: Library, cpt_id: str) -> str:
    """The SHA-256 of a checkpoint's manifest file as stored: what a worker reading the same
    library compares before trusting that it sees the same checkpoint."""
    return hashlib.sha256(read_regular(os.path.join(library.path(cpt_id), MANIFEST), MANIFEST_LIMIT)).hexdigest()


def shared_library(shared: dict, cpt_id: str) -> Library:
    """The client's library as this worker sees it, if it holds checkpoint ``cpt_id`` with the
    manifest the client hashed (its chunks are verified by the restore as always); else
    NeedsArchive. Reading it while the client writes other checkpoints is safe: a checkpoint's
    directory appears by rename only after its chunks and manifest are durable, and chunks are
    named by their content and never rewritten."""
    root = shared["root"]
    if not os.path.isdir(os.path.join(root, "checkpoints", cpt_id)):
        raise NeedsArchive(f"checkpoint {cpt_id}: not visible here in {root}", visible=False)
    library = Library(root, create=False, index=False) if shared.get("manifest") is None else \
        _KnownManifest(root, cpt_id, shared["manifest"])
    if os.path.islink(library.path(cpt_id)):
        raise NeedsArchive(f"{library.path(cpt_id)}: a symbolic link (not followed)", visible=True)
    try:
        digest = manifest_sha256(library, cpt_id)
    except OSError as exc:
        raise NeedsArchive(f"checkpoint {cpt_id}: its manifest in {root} cannot be read ({exc.strerror or exc})",
                           visible=True) from None
    if digest != shared["manifest_sha256"]:
        raise NeedsArchive(f"checkpoint {cpt_id}: the manifest in {root} is not the client's", visible=True)
    return library


class _KnownManifest(Library):
    """The client's library, with one checkpoint's manifest as the client wrote it: the file here
    is that one (its SHA-256 matched), so the restore takes the client's parsed copy instead of
    parsing and checking the file again; the chunks are read and verified as always."""

    def __init__(self, root: str, cpt_id: str, manifest: dict):
        super().__init__(root, create=False, index=False)
        self.known = (cpt_id, manifest)

    def manifest(self, cpt_id: str) -> dict:
        return self.known[1] if cpt_id == self.known[0] else super().manifest(cpt_id)


def file_by_hash(cache: str, sha256: str, data: bytes, name: str = "file") -> str:
    """The path of a file (disk image, kernel) with content hash ``sha256`` in this worker's cache
    (under its name on the client, so that messages about it read naturally)."""
    directory = os.path.join(cache, "by-hash", sha256)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, os.path.basename(name) or "file")
    if not os.path.exists(path):
        if hashlib.sha256(data).hexdigest() != sha256:
            raise GraphsimError(f"file {sha256[:16]}: arrived damaged (SHA-256 mismatch)")
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return path


def _client_names(message: str) -> str:
    """A worker's message about a shipped file names it as the client knows it (its base name)."""
    return re.sub(r"/\S*/by-hash/[0-9a-f]{64}/", "", message)


def collect(dumps, patterns: list[str], until: str, stop_reason: str) -> dict:
    """The statistics named by ``patterns`` (shell wildcards) from the dump that measures the run:
    the work region's when the run stopped at work_end, else the end of the run."""
    if not dumps:
        return {}
    dump = dumps[-1]
    if until == "workend" and stop_reason == "work_end":
        dump = next((d for d in reversed(dumps) if d.reason.startswith("work region")), dump)
    out = {}
    for name, stat in dump.values.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            out[name] = stat.value
    return out


def prepare_models(models: list[str], freeze: bool = False) -> int:
    """Load (or compile) the kernels of these CPU models in this worker process, before its first
    point needs them (``Client.run`` calls it on every worker); returns the process id.

    With ``freeze`` (a worker started for this run alone), what the process holds by then stays
    for its life, so it is moved out of the garbage collector's reach (``gc.freeze``): the
    compiled kernels are some 180,000 objects, and walking them all in the collections of the
    interpreter's exit made a worker take about a second to stop at the end of a sweep."""
    from ..sim.precompile import prepare

    with open(os.devnull, "w") as quiet:
        for model in models:
            prepare(f"cpu.{model}", stream=quiet)
    if freeze:
        gc.collect()
        gc.freeze()
    return os.getpid()


def run_point(task: dict, archive: bytes | None = None, archive_sha256: str = "",
              files: dict[str, bytes] | None = None) -> dict:
    """Run one point; never raises for the point's own failure (the result says ``failed``)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = {"point": task["point"], "index": task["index"], "status": "failed", "error": "",
              "worker": f"{socket.gethostname()}:{os.getpid()}", "started_at": round(time.time(), 3)}
    try:
        cache = cache_dir()
        with tempfile.TemporaryDirectory(dir=cache, prefix="point-") as rundir:
            result.update(_run(task, archive, archive_sha256, files or {}, cache, rundir))
            outdir = os.path.join(rundir, "out")
            result["files"] = {}
            for name in RUN_FILES:
                path = os.path.join(outdir, name)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        result["files"][name] = f.read()
    except NeedsArchive as exc:
        result["error"] = str(exc)
        result["needs_archive"] = {"reason": str(exc), "visible": exc.visible}
    except GraphsimError as exc:
        result["error"] = _client_names(" / ".join(exc.lines()))
    except Exception as exc:  # noqa: BLE001 — a point's crash is its result, not the sweep's end
        result["error"] = _client_names(f"{type(exc).__name__}: {exc}")
    result["wall_seconds"] = round(time.perf_counter() - started, 4)
    result["cpu_seconds"] = round(time.process_time() - cpu_started, 4)  # what it cost on a shared machine
    return result


def _run(task: dict, archive, archive_sha256, files, cache, rundir) -> dict:
    machine_file = os.path.join(rundir, "machine.toml")
    with open(machine_file, "w", encoding="utf-8") as f:
        f.write(task["machine_toml"])
    names = task.get("names", {})
    disks = {name: file_by_hash(cache, sha, files.get(sha, b""), names.get(sha, name))
             for name, sha in task["disks"].items()}
    console = Console()
    if task["checkpoint"] is not None and archive is None and task.get("library"):
        cpt_id = task["checkpoint"]
        library = shared_library(task["library"], cpt_id)
        try:
            plan = plan_restore(library, library.path(cpt_id), config=machine_file, disks=disks,
                                strict=task["strict"], allow_warnings=task["allow_warnings"])
        except CheckpointError as exc:  # this copy is damaged: the client's export verifies its own
            raise NeedsArchive(f"checkpoint {cpt_id} in {task['library']['root']}: {exc}", visible=True) from None
        machine = plan.build(console)
        parent = cpt_id
    elif task["checkpoint"] is not None:
        library, cpt_id = checkpoint_from_archive(cache, task["checkpoint"], archive, archive_sha256)
        plan = plan_restore(library, cpt_id, config=machine_file, disks=disks, strict=task["strict"],
                            allow_warnings=task["allow_warnings"])
        machine = plan.build(console)
        parent = cpt_id
    else:
        machine = Machine(elaborate(load_machine(machine_file)), disks, console)
        boot = task["boot"]
        machine.boot(**{k: file_by_hash(cache, boot[k], files.get(boot[k], b""), names.get(boot[k], k))
                        for k in ("kernel", "firmware", "initrd") if k in boot},
                     bootargs=boot.get("bootargs"))
        parent = ""
    start_insts, start_tick = machine.instret, machine.tick
    try:
        if task["warmup_insts"]:
            # Fast-forward with the caches and the predictor warming (cpu.atomic_warm: atomic timing),
            # then measure on the point's model from warm state.
            machine.switch_cpu(WARM_MODEL)
            stop = machine.run(RunLimits(max_insts=start_insts + task["warmup_insts"]))
            if stop.reason != "max_insts":
                raise GraphsimError(f"the warm-up ended early ({stop.reason} {stop.detail})".strip())
            machine.switch_cpu(task["cpu"])
            machine.reset_stats()
        machine.stop_at_work_end = task["until"] == "workend"
        measured_from = machine.instret
        # Checkpoints the guest asks for (m5 checkpoint) are taken as `graphsim restore` would take
        # them, into a scratch library that goes with the run directory.
        options = RunOptions(outdir=os.path.join(rundir, "out"), quiet=True, digest=task["digest"],
                             library=os.path.join(rundir, "library"),
                             max_insts=measured_from + task["insts"] if task["insts"] else None,
                             max_tick=machine.tick + task["tick"] if task["tick"] else None)
        stop, summary = execute(machine, options, parent=parent)
    finally:
        machine.close()
    ok = stop.reason in ("max_insts", "max_tick", "work_end") or (stop.reason == "exit" and stop.exit_code == 0)
    error = "" if ok else {"exit": f"guest exited with code {stop.exit_code}",
                           "idle": f"guest idle: {stop.detail}"}.get(stop.reason, f"stopped: {stop.reason}")
    return {"status": "ok" if ok else "failed", "error": error, "stop": stop.reason,
            "instret": summary["instret"], "insts": summary["instret"] - measured_from,
            "start_instret": start_insts, "start_tick": start_tick, "digest": summary.get("digest", ""),
            "stats": collect(machine.stats_log.dumps, task["collect"], task["until"], stop.reason)}
