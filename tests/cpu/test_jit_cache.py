"""The on-disk cache of compiled blocks (graphsim/cpu/jit/cache.py) changes nothing but
speed: guests end with the same digest, console and instruction count with the cache
off, cold (empty) and warm (filled by an earlier run); a damaged file is ignored and its
blocks compiled again; processes writing one directory at the same time leave only whole
files; the directory stays under its size bound.

Each "run" starts a new block compiler (a new MCJIT engine with nothing compiled, as in a
new process) on the cache directory given. The threshold is lowered (a step of 50
executions, compiled at 3,200) so that the short test guests have blocks that reach a step
without being compiled: those are what a run adds to the cache when it ends."""

import os
import subprocess
import sys

import pytest

from graphsim.cpu.jit import cache as block_cache
from graphsim.cpu.jit import engine
from tests.conftest import ROOT
from tests.guests import boot_guest, run_to_end

THRESHOLD = 3_200
GUESTS = ["qsort", "dhrystone_like", "selfmod", "smp"]


@pytest.fixture
def start(monkeypatch):
    """start(cache): a new block compiler with the block cache in directory `cache` (None: off)."""
    monkeypatch.setenv("GRAPHSIM_JIT", "1")
    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", str(THRESHOLD))

    def new(cache):
        monkeypatch.setenv("GRAPHSIM_BLOCK_CACHE", "0" if cache is None else str(cache))
        monkeypatch.setattr(engine, "_COMPILER", None)
        return engine.compiler()

    return new


def outcome(run) -> tuple:
    m = run.machine
    return run.stop.reason, run.stop.exit_code, run.console, m.instret, m.digest()


def cache_files(directory):
    return sorted(directory.glob("blocks-*/*" + block_cache.SUFFIX))


@pytest.mark.parametrize("name", GUESTS)
def test_same_results_with_the_cache_off_cold_and_warm(name, start, tmp_path):
    start(None)
    off = run_to_end(boot_guest(name))
    assert engine.compiler().cache is None

    cold_compiler = start(tmp_path)
    cold = run_to_end(boot_guest(name))
    assert cold_compiler.loaded == 0
    cold_compiled = cold.machine.core.jit_stats()["instructions"]
    filled = engine.fill_cache()
    assert filled > 0 and cache_files(tmp_path)

    warm_compiler = start(tmp_path)
    warm = run_to_end(boot_guest(name))
    assert warm_compiler.loaded > 0
    assert warm_compiler.compiled < cold_compiler.compiled  # (what the cache held was not compiled again)
    assert warm.machine.core.jit_stats()["instructions"] > cold_compiled  # (entered at their first step)

    assert outcome(cold) == outcome(off)
    assert outcome(warm) == outcome(off)
    assert off.stop.reason == "exit"


def test_a_damaged_cache_file_is_ignored_and_compiled_again(start, tmp_path):
    start(tmp_path)
    first = run_to_end(boot_guest("dhrystone_like"))
    engine.fill_cache()
    files = cache_files(tmp_path)
    assert len(files) >= 1
    # every file damaged in its own way: truncated, one byte of the object flipped, a foreign file
    for i, f in enumerate(files):
        data = bytearray(f.read_bytes())
        if i % 3 == 0:
            f.write_bytes(bytes(data[: len(data) // 2]))
        elif i % 3 == 1:
            data[-100] ^= 0x40
            f.write_bytes(bytes(data))
        else:
            f.write_bytes(b"\x7fELF" + bytes(data[4:]))
    again = start(tmp_path)
    second = run_to_end(boot_guest("dhrystone_like"))
    assert again.loaded == 0
    assert outcome(second) == outcome(first)
    assert not any(f.exists() for f in files)  # (removed: they are written anew)
    assert engine.fill_cache() > 0
    assert cache_files(tmp_path)


def test_files_are_checked_before_use():
    blocks = [["0" * 32, "bx_0", 5, [1, 2, 3, 4, 5, 6, 7], 18]]
    data = block_cache.encode(blocks, b"object bytes")
    assert block_cache.decode(data) == ([tuple(blocks[0])], b"object bytes")
    for damaged in (data[:-1], data[:40], data[:-33] + b"X" + data[-32:], b"", b"graphsim" + data):
        assert block_cache.decode(damaged) is None


WRITER = """
import sys
from graphsim.cpu.jit import engine
from tests.guests import boot_guest, run_to_end
run = run_to_end(boot_guest("qsort"))
print(run.machine.instret, run.machine.digest(), engine.fill_cache() if sys.argv[1] == "now" else "at-exit",
      engine.compiler().compiled)
"""


def test_concurrent_writers_leave_only_whole_files(start, tmp_path):
    """Three processes run the same guest on one empty cache directory at once; two fill it when their run
    ends, the third when it exits."""
    env = dict(os.environ, GRAPHSIM_BLOCK_CACHE=str(tmp_path), GRAPHSIM_JIT="1",
               GRAPHSIM_JIT_THRESHOLD=str(THRESHOLD), PYTHONPATH=str(ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, when], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                text=True) for when in ("now", "now", "at-exit")]  # (the last one fills at its exit)
    results = [w.communicate()[0].split() for w in writers]
    assert all(w.returncode == 0 for w in writers)
    assert len({(r[0], r[1]) for r in results}) == 1
    files = cache_files(tmp_path)
    assert files and not list(tmp_path.glob("blocks-*/.*"))  # (no temporary file left)
    for f in files:
        assert block_cache.decode(f.read_bytes()) is not None
    warm = start(tmp_path)
    run = run_to_end(boot_guest("qsort"))
    assert warm.loaded > 0
    assert [str(run.machine.instret), run.machine.digest()] == results[0][:2]


def test_the_cache_stays_under_its_size_bound(start, tmp_path, monkeypatch):
    start(tmp_path)
    run_to_end(boot_guest("dhrystone_like"))
    engine.fill_cache()
    first = set(cache_files(tmp_path))
    sizes = [f.stat().st_size for f in first]
    bound = 3 * max(sizes)
    monkeypatch.setattr(block_cache, "MAX_BYTES", bound)
    newest = set()
    for name in ("qsort", "sieve", "crc32", "matmul", "memcpy"):
        before = set(cache_files(tmp_path))
        start(tmp_path)
        run_to_end(boot_guest(name))
        engine.fill_cache()
        newest = set(cache_files(tmp_path)) - before
        assert sum(f.stat().st_size for f in cache_files(tmp_path)) <= bound
    assert newest and newest <= set(cache_files(tmp_path))  # (the least recently used go first)
    assert not first & set(cache_files(tmp_path))


@pytest.mark.slow
def test_linux_boots_alike_with_the_cache_off_cold_and_warm(start, tmp_path, monkeypatch):
    """OpenSBI and Linux (configs/linux-tiny.toml) to the prompt and one command, with the default threshold:
    blocks under the MMU (data translation on), traps and device exits in between."""
    import re

    from graphsim.config.loader import load_machine
    from graphsim.graph.elaborate import elaborate
    from graphsim.sim.console import Console
    from graphsim.sim.machine import Machine, RunLimits, Trigger
    from tests.conftest import CONFIGS

    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", str(engine.THRESHOLD))

    def boot_and_type():
        machine = Machine(elaborate(load_machine(CONFIGS / "linux-tiny.toml")), console=Console())
        machine.boot()
        stop = machine.run(RunLimits(max_insts=150_000_000), [Trigger("console", re.compile("graphsim:/# "))])
        at_prompt = (stop.reason, machine.instret, machine.digest())
        machine.console.feed(b"cat /mnt/hello.txt\n")
        machine.run(RunLimits(max_insts=machine.instret + 20_000_000))
        return at_prompt, machine.instret, machine.digest(), machine.console.tail_text(1 << 20), machine

    start(None)
    off = boot_and_type()
    start(tmp_path)
    cold = boot_and_type()
    assert engine.fill_cache() > 0
    warm_compiler = start(tmp_path)
    warm = boot_and_type()
    assert warm_compiler.loaded > 0
    assert warm[4].core.jit_stats()["instructions"] > cold[4].core.jit_stats()["instructions"]
    assert off[0][0] == "checkpoint" and "hello from disk A" in off[3]
    assert cold[:4] == off[:4]
    assert warm[:4] == off[:4]


def test_a_process_fills_the_cache_when_it_exits(tmp_path):
    env = dict(os.environ, GRAPHSIM_BLOCK_CACHE=str(tmp_path), GRAPHSIM_JIT="1",
               GRAPHSIM_JIT_THRESHOLD=str(THRESHOLD), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", WRITER, "at-exit"], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True)
    _instret, _digest, when, compiled_in_the_run = out.stdout.split()
    assert when == "at-exit" and "not filled" not in out.stderr
    cached = [block_cache.decode(f.read_bytes()) for f in cache_files(tmp_path)]
    assert all(c is not None for c in cached)
    assert sum(len(c[0]) for c in cached) > int(compiled_in_the_run)  # (the blocks that only reached a step)


def test_an_unusable_cache_directory_is_no_error(start, tmp_path):
    """GRAPHSIM_BLOCK_CACHE names a file (no directory can be made there): the run compiles as without a
    cache, and the exit has nothing to fill."""
    start(None)
    off = run_to_end(boot_guest("qsort"))
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    start(blocker)
    run = run_to_end(boot_guest("qsort"))
    assert outcome(run) == outcome(off)
    assert engine.fill_cache() == 0
    assert blocker.read_text() == ""


def test_ctrl_c_during_the_exit_fill_keeps_what_was_written(tmp_path):
    """The exit's fill can take seconds (a Linux boot's first exit: ~7 s): Ctrl-C stops it with one
    line, no traceback, and leaves only whole files. (A low threshold gives linux-tiny's boot
    thousands of noted blocks, so the fill is still running when the signal comes.)"""
    import signal
    import time

    env = dict(os.environ, GRAPHSIM_BLOCK_CACHE=str(tmp_path), GRAPHSIM_JIT="1", GRAPHSIM_JIT_THRESHOLD="20000")
    proc = subprocess.Popen([sys.executable, "-m", "graphsim.cli", "run", "configs/linux-tiny.toml", "--max-insts",
                             "34M", "--quiet"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stderr:  # (the run's own lines, then the fill's)
        lines.append(line)
        if "hot blocks into the cache" in line:
            time.sleep(1.0)  # (a batch of 64 blocks takes ~0.3 s)
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert any("hot blocks into the cache" in line for line in lines), "".join(lines)
    assert "filled in part (interrupted)" in rest and "Traceback" not in rest, rest
    written = cache_files(tmp_path)
    assert written and all(block_cache.decode(f.read_bytes()) is not None for f in written)
