"""The first minutes of a new user, on the command line: compile time kept apart from
simulation speed, one spelling of CPU models, counts with units, restores counted
from the checkpoint and found by directory, interrupted runs that still say what
happened, and messages that stay readable in the console's raw mode."""

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import CONFIGS, ROOT

HELLO = str(ROOT / "assets" / "guest" / "build" / "hello.elf")
M5OPS = str(ROOT / "assets" / "guest" / "build" / "m5ops.elf")
LONG = str(ROOT / "assets" / "guest" / "build" / "sieve_long.elf")
FPARITH = str(ROOT / "assets" / "guest" / "build" / "fparith.elf")
MACHINE = str(CONFIGS / "virt-rv64.toml")


def graphsim(*args, cwd=None, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, **kw)


def run_json(outdir) -> dict:
    return json.loads((outdir / "run.json").read_text())


def test_after_precompile_a_whole_workflow_compiles_nothing(tmp_path):
    """`graphsim precompile` (make setup) leaves nothing for a run, checkpoint, CPU switch or
    restore to compile, and every kernel function is compiled once (no literal specialisations)."""
    from numba.core import event
    from numba.core.dispatcher import Dispatcher

    from graphsim.cli import main
    from graphsim.sim import precompile

    precompile.precompile_all()
    compiled = []

    class Listener(event.Listener):
        def on_start(self, ev):
            compiled.append(ev.data["dispatcher"].py_func.__qualname__)

        def on_end(self, ev):
            pass

    listener = Listener()
    event.register("numba:compile", listener)
    try:
        lib, out = tmp_path / "lib", tmp_path / "out"
        for cpu in ("atomic", "timing", "pipelined"):
            assert main(["run", MACHINE, "--kernel", M5OPS, "--cpu", cpu, "--library", str(lib), "--quiet",
                         "--outdir", str(out), "--checkpoint-at-inst", "500", "--switch-at-inst", "1000"]) == 0
            # and a machine with F/D (as Linux's), whose kernel is compiled with the FP paths
            assert main(["run", MACHINE, "--kernel", FPARITH, "--set", "components.cpu.isa=rv64gc", "--cpu", cpu,
                         "--quiet", "--outdir", str(out), "--max-insts", "200k"]) == 0
        first = sorted(os.listdir(lib / "checkpoints"))[0]
        for cpu in ("pipelined", "timing", "atomic"):
            assert main(["restore", first, "--library", str(lib), "--cpu", cpu, "--quiet", "--outdir", str(out),
                         "--max-insts", "20k"]) == 0
    finally:
        event.unregister("numba:compile", listener)
    assert compiled == []
    from graphsim.cpu import kernel

    # kernel.run: lean without and with F/D, the recording loop with F/D only (not twice), and that loop
    # calling compiled blocks for a basic-block profile (precompiled though this workflow does not profile)
    assert sorted(str(sig[-2:]) for sig in kernel.run.signatures) == ["(int64, float64)", "(int64, int64)",
                                                                       "(int64, none)", "(none, none)"]
    import gc

    from numba.core import types

    def specialisations(dispatcher) -> set:
        """The dispatcher's signatures with the intended switches folded: an argument that is
        None in one compilation and an integer in another (kernel.run's `fp` on a machine without
        F/D, its `rec` while nothing is recorded). Anything else compiled twice is a literal or
        type specialisation."""
        sigs = dispatcher.signatures
        switch = {i for sig in sigs for i, t in enumerate(sig) if isinstance(t, types.NoneType)}
        return {tuple("switch" if i in switch else str(t) for i, t in enumerate(sig)) for sig in sigs}

    # issubclass(type(...)): isinstance would dereference the dead weak proxies gc also lists
    twice = {d.py_func.__qualname__: d.signatures for d in gc.get_objects()
             if issubclass(type(d), Dispatcher) and d.py_func.__module__.startswith("graphsim.")
             and len(specialisations(d)) > 1}
    assert twice == {}


def test_compile_time_is_reported_apart_from_speed(tmp_path):
    result = graphsim("run", MACHINE, "--kernel", HELLO, "--outdir", tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    summary = run_json(tmp_path)
    assert summary["compile_seconds"] > 0 and summary["host_seconds"] < summary["compile_seconds"] + 5
    line = [ln for ln in result.stderr.splitlines() if "guest exited" in ln][0]
    assert re.search(r"\([\d.]+ MIPS\); kernels compiled or loaded in [\d.]+ s", line), line


def test_precompile_command_names_every_model():
    result = graphsim("precompile")
    assert result.returncode == 0, result.stderr
    for model in ("cpu.atomic", "cpu.timing", "cpu.pipelined"):
        assert re.search(rf"^{re.escape(model)}\s+ready", result.stdout, re.M), result.stdout


def test_progress_line_with_an_estimate_while_compiling(tmp_path, monkeypatch):
    """A cold compile is never silent: the progress line names the model and an estimate."""
    import io

    from graphsim.sim import precompile

    monkeypatch.setattr(precompile, "is_compiled", lambda kind: False)
    monkeypatch.setattr(precompile, "_prepared", set())
    monkeypatch.setattr(precompile, "_write_record", lambda kind, seconds: None)
    monkeypatch.setattr(precompile, "_ready_path", lambda kind: tmp_path / f"ready-{kind}")
    stream = io.StringIO()
    precompile.prepare("cpu.atomic", stream)
    text = stream.getvalue()
    assert "compiling cpu.atomic kernels" in text and re.search(r"about \d+ s", text) and "done in" in text


def test_run_takes_cpu_and_both_spellings(tmp_path):
    for spelling in ("timing", "cpu.timing"):
        result = graphsim("run", MACHINE, "--kernel", HELLO, "--cpu", spelling, "--outdir", tmp_path, "--quiet")
        assert result.returncode == 0, result.stderr
        assert 'type = "cpu.timing"' in (tmp_path / "config.toml").read_text()
    bad = graphsim("run", MACHINE, "--kernel", HELLO, "--cpu", "ooo", "--outdir", tmp_path)
    assert bad.returncode == 1 and "--cpu ooo: expected one of atomic, atomic_warm, pipelined, timing" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_kinds_lists_cpu_models_and_components():
    result = graphsim("kinds")
    assert result.returncode == 0
    assert re.search(r"^  pipelined\s+In-order", result.stdout, re.M)
    for kind in ("cache", "bus", "uart16550", "virtio_blk"):
        assert re.search(rf"^  {kind}\s+\S", result.stdout, re.M), kind


def test_counts_and_times_take_units(tmp_path):
    result = graphsim("run", MACHINE, "--kernel", LONG, "--max-insts", "5k", "--outdir", tmp_path, "--quiet")
    assert result.returncode == 0 and run_json(tmp_path)["instret"] == 5000
    result = graphsim("run", MACHINE, "--kernel", LONG, "--max-tick", "2us", "--outdir", tmp_path, "--quiet")
    summary = run_json(tmp_path)
    assert result.returncode == 0 and summary["stop"] == "max_tick" and summary["tick"] >= 2_000_000
    bad = graphsim("run", MACHINE, "--kernel", LONG, "--max-insts", "5Q", "--outdir", tmp_path)
    assert bad.returncode == 2 and "'5Q' is not a count" in bad.stderr


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory):
    lib = tmp_path_factory.mktemp("first-contact") / "lib"
    out = lib.parent / "boot"
    result = graphsim("run", MACHINE, "--kernel", LONG, "--checkpoint-at-inst", "1k", "--max-insts", "1001",
                      "--library", lib, "--quiet", "--outdir", out)
    assert result.returncode == 0, result.stderr
    (cpt,) = os.listdir(lib / "checkpoints")
    return lib, cpt


def test_restore_counts_from_the_checkpoint(checkpointed, tmp_path):
    lib, cpt = checkpointed
    assert graphsim("restore", cpt, "--library", lib, "--max-insts", "2k", "--outdir", tmp_path,
                    "--quiet").returncode == 0
    assert run_json(tmp_path)["instret"] == 3000
    assert graphsim("restore", cpt, "--library", lib, "--absolute", "--max-insts", "2500", "--outdir", tmp_path,
                    "--quiet").returncode == 0
    assert run_json(tmp_path)["instret"] == 2500
    before = graphsim("restore", cpt, "--library", lib, "--absolute", "--max-insts", "900", "--outdir",
                      tmp_path / "never")
    assert before.returncode == 1 and "the checkpoint is already at 1,000 instructions" in before.stderr
    assert not (tmp_path / "never").exists()


def test_restore_by_directory_finds_its_library(checkpointed, tmp_path):
    lib, cpt = checkpointed
    env = {**os.environ, "GRAPHSIM_LIBRARY": str(tmp_path / "some-other-library")}
    result = graphsim("restore", lib / "checkpoints" / cpt, "--max-insts", "10", "--outdir", tmp_path / "out",
                      "--quiet", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert run_json(tmp_path / "out")["instret"] == 1010


def test_unknown_checkpoint_has_its_own_status(checkpointed, tmp_path):
    lib, _ = checkpointed
    for command in (("restore", "nope", "--library", lib), ("compat", "nope", "--library", lib),
                    ("checkpoints", "show", "nope", "--library", lib)):
        result = graphsim(*command)
        assert result.returncode == 6 and result.stderr.strip() == f"error: no checkpoint 'nope' in {lib}"


def test_checkpoints_list_takes_the_library_after_the_action(checkpointed):
    lib, cpt = checkpointed
    result = graphsim("checkpoints", "list", "--library", lib)
    assert result.returncode == 0, result.stderr
    row = [ln for ln in result.stdout.splitlines() if cpt in ln][0]
    assert re.search(r"\d+\.\d+ KiB\s+instruction 1,000$", row), row


def test_checkpoint_disk_path_is_absolute_and_a_missing_image_is_named(tmp_path):
    import shutil

    image = tmp_path / "disk.img"
    shutil.copy(ROOT / "assets" / "guest" / "disk" / "test.img", image)
    lib = tmp_path / "lib"
    result = graphsim("run", CONFIGS / "virt-rv64-disk.toml", "--kernel",
                      ROOT / "assets" / "guest" / "build" / "virtio_blk_read.elf", "--disk", "disk0=disk.img",
                      "--checkpoint-at-inst", "1k", "--max-insts", "1001", "--library", lib, "--quiet",
                      "--outdir", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (cpt,) = os.listdir(lib / "checkpoints")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ok = graphsim("restore", cpt, "--library", lib, "--max-insts", "10", "--quiet", "--outdir", "o", cwd=elsewhere)
    assert ok.returncode == 0, ok.stderr
    size = image.stat().st_size
    image.unlink()
    missing = graphsim("restore", cpt, "--library", lib, "--max-insts", "10", "--outdir", "o", cwd=elsewhere)
    assert missing.returncode == 5
    assert f"disk image {image} is not there" in missing.stderr and f"({size:,} bytes)" in missing.stderr
    assert "sha256" in missing.stderr and "give --disk disk0=PATH" in missing.stderr


def _long_run(tmp_path, *extra, **kw):
    # (on the interpreter: with the block compiler sieve_long ends in < 1 s, before it can be interrupted)
    return subprocess.Popen([sys.executable, "-m", "graphsim.cli", "run", MACHINE, "--kernel", LONG, "--quiet",
                             "--outdir", str(tmp_path / "out"), *map(str, extra)], cwd=ROOT,
                            env={**os.environ, "GRAPHSIM_JIT": "0"}, **kw)


def _wait_running(outdir, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if run_json(outdir)["stop"] == "running":
                time.sleep(1.0)
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError("the run never started")


def test_interrupted_run_still_reports_and_never_shows_old_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text('{"stop": "exit", "instret": 1}\n')  # an earlier run's
    (out / "stats.txt").write_text("an earlier run's statistics\n")
    process = _long_run(tmp_path, "--library", tmp_path / "lib", "--checkpoint-on-interrupt",
                        stderr=subprocess.PIPE, text=True)
    _wait_running(out)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    summary = run_json(out)
    assert summary["stop"] == "interrupted" and summary["instret"] > 0 and summary["outdir"] == str(out)
    assert "an earlier run" not in (out / "stats.txt").read_text()
    assert "interrupted (Ctrl-C) after" in stderr
    (checkpoint,) = summary["checkpoints"]
    assert checkpoint["instret"] == summary["instret"] and "interrupt (Ctrl-C)" in stderr
    listed = graphsim("checkpoints", "list", "--library", tmp_path / "lib").stdout
    assert "interrupt (Ctrl-C)" in listed


def test_console_raw_mode_lines_start_at_column_0_and_ctrl_bracket_summarises(tmp_path):
    master, slave = pty.openpty()
    process = _long_run(tmp_path, "--console", "--checkpoint-at-inst", "1k", "--library", tmp_path / "lib",
                        stdin=slave, stdout=slave, stderr=slave)  # a checkpoint message while raw
    os.close(slave)
    output = b""
    _wait_running(tmp_path / "out")
    os.write(master, b"\x1d")
    deadline = time.time() + 60
    while process.poll() is None and time.time() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                output += os.read(master, 4096)
            except OSError:
                break
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    process.wait(timeout=30)
    text = output.decode(errors="replace")
    assert process.returncode == 130, text
    assert run_json(tmp_path / "out")["stop"] == "interrupted"
    assert "interrupted (Ctrl-]) after" in text and "(instruction 1,000)" in text
    for match in re.finditer(r"\[graphsim\]", text):  # every message begins a line, at column 0
        before = text[max(0, match.start() - 2):match.start()]
        assert match.start() == 0 or before.endswith("\r") or before == "\r\n", repr(text[:match.start()][-40:])


def test_progress_shows_percentage_and_eta(tmp_path):
    # (on the interpreter: with the block compiler the 150 M instructions take less than one progress period)
    result = graphsim("run", MACHINE, "--kernel", LONG, "--progress", "--max-insts", "150M", "--outdir", tmp_path,
                      "--quiet", env={**os.environ, "GRAPHSIM_JIT": "0"})
    assert result.returncode == 0
    assert re.search(r"MIPS\s+\d+%\s+ETA \d+:\d\d", result.stderr), result.stderr[-500:]


def test_every_option_has_help():
    import argparse

    from graphsim.cli import build_parser

    missing = []

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "graphsim")
    assert missing == []


def test_progress_through_a_pipe_has_no_terminal_escapes(capsys):
    """The desktop app reads `--progress` through a pipe: lines, never terminal control sequences,
    also when guest output interrupts the progress line."""
    from graphsim.sim.console import Console
    from graphsim.sim.runner import Progress, _ClearProgress

    progress = Progress()
    progress.open = True
    console = Console()
    console.add_sink(_ClearProgress(progress))
    console.write(b"guest output\n")
    err = capsys.readouterr().err
    assert "\x1b" not in err and err == "\n" and not progress.open


def test_console_traffic_is_in_the_statistics_and_exits_say_what_they_count(tmp_path):
    """exits.mmio stays 0 on console I/O because the UART never exits: its bytes are counted
    apart, and the dump says what the exit counter counts."""
    privtest = ROOT / "assets" / "guest" / "build" / "privtest.elf"
    result = graphsim("run", MACHINE, "--kernel", privtest, "--input", "Z", "--quiet", "--outdir", tmp_path)
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())[-1]["stats"]
    console = (tmp_path / "console.log").read_bytes()
    assert stats["system.uart0.txBytes"] == len(console) > 1000
    assert stats["system.uart0.rxBytes"] == 1  # the "Z" the PLIC check reads
    text = (tmp_path / "stats.txt").read_text()
    assert re.search(r"system\.core\.exits\.mmio +\d+ +# Kernel exits for accesses to devices served in Python", text)
    assert re.search(r"system\.uart0\.txBytes +%d +# Bytes the guest transmitted" % len(console), text)
