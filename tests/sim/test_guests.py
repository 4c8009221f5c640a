"""Every bare-metal guest runs in graphsim and in QEMU and must print the same
console output and exit with the same code."""

import subprocess
import sys

import pytest

from tests.conftest import CONFIGS, ROOT
from tests.guests import GUESTS, TEST_GUESTS, boot_guest, qemu_result, run_to_end


CPU_MODELS = ["atomic", "timing", "pipelined"]
_oracle = {}


def cpu_model(cpu: str) -> list[str]:
    """The --set override that runs a guest's machine on CPU model ``cpu``."""
    return [f"components.cpu.type=cpu.{cpu}"]


@pytest.mark.parametrize("cpu", CPU_MODELS)
@pytest.mark.parametrize("name", TEST_GUESTS)
def test_guest_matches_qemu(name, cpu):
    if name not in _oracle:
        _oracle[name] = qemu_result(name)
    oracle = _oracle[name]
    result = run_to_end(boot_guest(name, cpu_model(cpu)))
    assert result.stop.reason == "exit", result.stop
    assert result.console == oracle.console
    assert result.stop.exit_code == oracle.exit_code == GUESTS[name]["exit_code"]


@pytest.mark.parametrize("cpu", CPU_MODELS)
def test_runs_are_deterministic(cpu):
    digests = set()
    for _ in range(2):
        machine = boot_guest("privtest", cpu_model(cpu))
        run_to_end(machine)
        digests.add(machine.digest())
    assert len(digests) == 1


def graphsim(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_run_command_writes_the_run_directory(tmp_path):
    result = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", "assets/guest/build/hello.elf",
                      "--outdir", str(tmp_path / "out"), "--digest")
    assert result.returncode == 0, result.stderr
    assert "Hello from graphsim guest" in result.stdout and "digest " in result.stdout
    out = tmp_path / "out"
    assert (out / "console.log").read_text().startswith("Hello from graphsim guest")
    assert "system.cpu.committedInsts" in (out / "stats.txt").read_text()
    assert (out / "config.toml").read_text().startswith("version = 1")
    assert '"stop": "exit"' in (out / "run.json").read_text()


def test_guest_exit_code_is_the_process_exit_code(tmp_path):
    result = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", "assets/guest/build/illegal_jump.elf",
                      "--outdir", str(tmp_path), "--quiet")
    assert result.returncode == 3


@pytest.mark.parametrize("args,message", [
    (["--kernel", "/nonexistent.elf"], "/nonexistent.elf: file not found"),
    (["--kernel", sys.executable], "not a RISC-V ELF"),
    (["--kernel", "assets/guest/build/rv32_hello.elf"], "a 32-bit ELF cannot run on this RV64 machine"),
    (["--kernel", "assets/guest/disk/test.img", "--load-address", "0x1000"], "does not fit the memory map"),
    ([], "nothing to run: give --kernel"),
    (["--kernel", "assets/guest/build/hello.elf", "--disk", "disk9=x.img"], "no virtio_blk named 'disk9'"),
])
def test_bad_run_input(tmp_path, args, message):
    result = graphsim("run", str(CONFIGS / "virt-rv64.toml"), *args, "--outdir", str(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_disk_image(tmp_path):
    result = graphsim("run", str(CONFIGS / "virt-rv64-disk.toml"), "--kernel",
                      "assets/guest/build/virtio_blk_read.elf", "--disk", "disk0=/nonexistent.img",
                      "--outdir", str(tmp_path))
    assert result.returncode == 5
    assert result.stderr.strip() == "error: --disk disk0: disk image /nonexistent.img: No such file or directory"


def test_trace_lines_up_with_the_program(tmp_path):
    result = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", "assets/guest/build/hello.elf", "--trace",
                      "--max-insts", "3", "--outdir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "0 M 0000000080000000 (00002197) auipc gp,0x2  gp=0x80002000",
        "0 M 0000000080000004 (2e818193) addi gp,gp,744  gp=0x800022e8",
        "0 M 0000000080000008 (30401073) csrrw zero,mie,zero",
    ]


def test_m5ops_drive_stats_and_checkpoints(tmp_path):
    import json

    result = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", "assets/guest/build/m5ops.elf",
                      "--library", str(tmp_path / "lib"), "--outdir", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 0, result.stderr
    dumps = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert [d["reason"] for d in dumps] == ["work region 1", "m5op dump_stats", "m5op dump_reset_stats",
                                            "end of simulation"]
    region, after_reset = dumps[0]["stats"]["simInsts"], dumps[3]["stats"]["simInsts"]
    assert region > 1_000_000 and after_reset < 10_000  # dump_reset_stats reset the counters
    assert "checkpoint cpt-" in result.stderr and "(m5op checkpoint)" in result.stderr
    assert (tmp_path / "out" / "stats.txt").read_text().count("Begin Simulation Statistics") == 4
