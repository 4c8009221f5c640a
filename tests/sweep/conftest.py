"""A library holding a checkpoint of a benchmark guest (matmul, 300k instructions in, on the
atomic CPU) and a writer of sweep files over it."""

import os
import socket
import subprocess
import sys
import time

import pytest

from graphsim.checkpoint.library import Library
from graphsim.isa._jitcache import cache_dir as jit_cache_dir
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import RunLimits
from tests.conftest import ROOT
from tests.guests import boot_guest

CHECKPOINT_AT = 300_000
GRID = """
[axes]
"components.l1d.size" = ["8KiB", "16KiB", "32KiB"]
components.l2.size = ["128KiB", "256KiB"]
cpu = ["timing", "pipelined"]
"""
COLLECT = '["simInsts", "simTicks", "system.cpu.ipc", "system.l1d.overall*", "system.l2.overall*"]'


@pytest.fixture(scope="session")
def benchmark_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep-library")
    library = Library(str(root))
    machine = boot_guest("matmul")
    stop = machine.run(RunLimits(max_insts=CHECKPOINT_AT))
    assert stop.reason == "max_insts"
    take_checkpoint(machine, library, {"kind": "inst", "detail": str(CHECKPOINT_AT)}, name="matmul-300k")
    machine.close()
    library.close()
    return root


def write_sweep(directory, library, body: str = GRID, run: str = "insts = 1_000_000\ndigest = true",
                name: str = "sweep.toml", extra: str = "") -> str:
    path = directory / name
    path.write_text(f"""version = 1
[sweep]
name = "matmul-grid"
library = "{library}"
{extra}
[start]
checkpoint = "matmul-300k"
[run]
{run}
[stats]
collect = {COLLECT}
{body}
""")
    return str(path)


@pytest.fixture
def sweep_file(tmp_path, benchmark_library):
    """Write a sweep file over the benchmark checkpoint (``body``: the axes or points)."""

    def make(body: str = GRID, **kw) -> str:
        return write_sweep(tmp_path, benchmark_library, body, **kw)

    return make


def graphsim(*args, cwd=ROOT, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """A real `dask scheduler` and `dask worker` processes on 127.0.0.1, each worker with its own
    working directory, library setting and scratch space (nothing shared with the client)."""

    def __init__(self, tmp_path, workers: int = 2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.tmp = tmp_path
        dask = [sys.executable, "-m", "dask"]
        self.scheduler = subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                                  "--no-dashboard"],
                                          stdout=subprocess.DEVNULL, stderr=open(tmp_path / "scheduler.log", "w"))
        self.workers = []
        for n in range(workers):
            home = tmp_path / f"worker{n}"
            home.mkdir()
            # The compiled kernels' cache is shared only so that the test need not compile them twice
            # more (a worker elsewhere compiles once, on its first point).
            env = {**os.environ, "HOME": str(home), "GRAPHSIM_LIBRARY": str(home / "no-such-library"),
                   "TMPDIR": str(home), "GRAPHSIM_CACHE_DIR": str(jit_cache_dir().parent)}
            self.workers.append(subprocess.Popen(
                dask + ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                        "--name", f"w{n}", "--local-directory", str(home / "scratch")],
                cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=open(home / "worker.log", "w")))
        self.wait_for(workers)

    def wait_for(self, n: int, timeout: float = 60):
        from distributed import Client

        deadline = time.time() + timeout
        with Client(self.address, timeout="30s") as client:
            while len(client.scheduler_info()["workers"]) < n:
                assert time.time() < deadline, f"only {len(client.scheduler_info()['workers'])} of {n} workers came up"
                time.sleep(0.2)

    def close(self):
        for p in self.workers + [self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in self.workers + [self.scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def loopback_cluster(tmp_path):
    cluster = LoopbackCluster(tmp_path)
    yield cluster
    cluster.close()


def booted_sweep(directory, guest: str, body: str, name: str = "boot.toml") -> str:
    """A sweep file whose start is a boot of ``guest`` on configs/virt-rv64.toml (``body``: the
    [run], [axes] and [stats] tables)."""
    path = directory / name
    path.write_text(f"""version = 1
[start]
machine = "{ROOT / 'configs' / 'virt-rv64.toml'}"
kernel = "{ROOT / 'assets' / 'guest' / 'build' / f'{guest}.elf'}"
{body}""")
    return str(path)


def in_process(path: str):
    """A sweep's checked plan and a function that runs one of its tasks in this process, with
    the shipped files a worker would receive (the workers' code, no Dask)."""
    from graphsim.sweep.execute import _archive
    from graphsim.sweep.plan import check_points, sha256_bytes
    from graphsim.sweep.spec import load_sweep
    from graphsim.sweep.worker import run_point

    plan = check_points(load_sweep(path))
    archive = _archive(plan)
    sha = sha256_bytes(archive) if archive else ""
    files = {digest: open(file, "rb").read() for digest, file in plan.files.items()}
    return plan, lambda task: run_point(task.as_dict(), archive, sha, files)


def sweep_in_process(path: str, outdir) -> str:
    """Run a sweep's points one after another in this process: results for tests of what reads them."""
    from graphsim.sweep.execute import _row
    from graphsim.sweep.results import Results

    plan, run = in_process(path)
    results = Results.open(str(outdir), plan.spec, plan.start_record())
    for task in plan.tasks:
        result = run(task)
        files = result.pop("files", None)
        results.record(_row(task, result), files)
    return str(outdir)


@pytest.fixture(scope="session")
def grid_results(tmp_path_factory, benchmark_library):
    """The 12-point grid's results, run in this process with 200k instructions a point."""
    tmp = tmp_path_factory.mktemp("grid-results")
    return sweep_in_process(write_sweep(tmp, benchmark_library, run="insts = 200_000"), tmp / "out")
