"""Machine files that used to validate and then crash, or hang validation (issue 17): every parameter has
bounds that validation enforces, by key; deep documents and special files are refused cleanly."""

import os
import subprocess
import sys
import threading

import pytest

from graphsim.config.loader import load_machine, load_machine_text
from graphsim.errors import ConfigError
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS, ROOT

MACHINE = CONFIGS / "virt-rv64.toml"


def problems(overrides=(), path=MACHINE) -> list[str]:
    try:
        elaborate(load_machine(path, list(overrides)))
    except ConfigError as err:
        return [str(p) for p in err.problems]
    return []


@pytest.mark.parametrize("override, message", [
    ("components.cpu.frequency=0", "components.cpu.frequency: 0 is below the minimum 1Hz"),
    ("components.virtio2.base=18446744073709551616", "components.virtio2.base: 18446744073709551616 is above the maximum"),
    ("components.clint.num_harts=-5", "components.clint.num_harts: -5 is below the minimum 1"),
    ("components.virtio2.size=-1", "components.virtio2.size: -1 is below the minimum 1B"),
    ("components.ram.size=1TiB", "components.ram.size: 1TiB is more than this host's memory"),
    ("workload.bootargs=5", "workload.bootargs: 5 is not a string"),
    ("components.l1d.size=1TiB", "components.l1d: its state would take"),
    ("components.ram.base=0xFFFFFFFFFFFFFF", "components.ram.base: 0xffffffffffffff + 128MiB ends beyond the 56-bit"),
    ("components.ram.latency=100000000s", "components.ram.latency: '100000000s' is above the maximum"),
])
def test_out_of_bounds_parameters_are_refused_by_key(override, message):
    found = problems([override])
    assert any(message in p for p in found), found


def test_what_validates_builds():
    from graphsim.sim.machine import Machine

    graph = elaborate(load_machine(MACHINE, ["components.cpu.frequency=1Hz", "components.ram.size=4KiB",
                                             "components.virtio2.base=0xFFFF_FFFF_F000"]))
    Machine(graph).close()


def test_deep_nesting_and_many_dotted_parts(tmp_path):
    deep = "version = 1\nx = " + "[" * 1000 + "]" * 1000 + "\n"
    with pytest.raises(ConfigError, match="nested deeper than 32 levels"):
        load_machine_text(deep, name="deep.toml")
    dotted = "version = 1\n[" + ".".join(["a"] * 500) + "]\n"
    with pytest.raises(ConfigError) as err:
        load_machine_text(dotted, name="dotted.toml")
    assert str(err.value).startswith("dotted.toml: a.a.a") and "nested deeper than 32 levels" in str(err.value)
    assert problems(["components.cpu.isa=" + "[" * 1000 + "]" * 1000])  # taken as a (bad) string, no RecursionError


def test_empty_key_is_named():
    text = MACHINE.read_text().replace("[components.cpu]", '[components.cpu]\n"" = 1', 1)
    with pytest.raises(ConfigError) as err:
        elaborate(load_machine_text(text, name="m.toml", base_dir=CONFIGS))
    assert 'm.toml: components.cpu."": unknown parameter of cpu.atomic' in str(err.value)


def test_deep_include_chain(tmp_path):
    for i in range(100):
        (tmp_path / f"m{i}.toml").write_text(f"version = 1\ninclude = ['m{i + 1}.toml']\n")
    (tmp_path / "m100.toml").write_text("version = 1\n")
    with pytest.raises(ConfigError, match="includes nested deeper than 32 files"):
        load_machine(tmp_path / "m0.toml")


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "directory"])
def test_special_files_are_refused_without_hanging(tmp_path, special):
    if special == "fifo":
        os.mkfifo(tmp_path / "fifo")
    if special == "directory":
        (tmp_path / "directory").mkdir()
    top = tmp_path / "top.toml"
    top.write_text(f"version = 1\ninclude = ['{special}']\n")
    result: list = []
    thread = threading.Thread(target=lambda: result.append(problems(path=top)), daemon=True)
    thread.start()
    thread.join(10)
    assert result and ("not a regular file" in result[0][0] or "Is a directory" in result[0][0]), result
    assert f"included from {top}" in result[0][0]


def test_fifo_kernel_and_disk_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    for args in (["--kernel", str(tmp_path / "fifo")],
                 ["--kernel", "assets/guest/build/hello.elf", "--disk", f"disk0={tmp_path / 'fifo'}"]):
        result = subprocess.run([sys.executable, "-m", "graphsim.cli", "run", str(CONFIGS / "virt-rv64-disk.toml"),
                                 "--quiet", "--outdir", str(tmp_path / "run"), *args],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode != 0 and "not a regular file" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_a_missing_kernel_or_image_is_named_by_its_key_and_path(tmp_path):
    """The one-line error says which option or machine-file key named the file, and the file."""
    machine = tmp_path / "m.toml"
    machine.write_text(f'version = 1\ninclude = ["{CONFIGS / "virt-rv64-disk.toml"}"]\n'
                       '[workload]\nkernel = "no-kernel.elf"\n[components.disk0]\nimage = "no-disk.img"\n')
    hello = str(ROOT / "assets" / "guest" / "build" / "hello.elf")
    image = str(ROOT / "assets" / "guest" / "disk" / "test.img")
    cases = [
        ([], f"{machine}: components.disk0.image: disk image {tmp_path / 'no-disk.img'}: No such file"),
        (["--disk", f"disk0={image}"], f"{machine}: workload.kernel: {tmp_path / 'no-kernel.elf'}: file not found"),
        (["--disk", f"disk0={image}", "--kernel", "/none.elf"], "--kernel: /none.elf: file not found"),
        (["--kernel", hello, "--disk", "disk0=/none.img"], "--disk disk0: disk image /none.img: No such file"),
        (["--kernel", hello, "--set", "components.disk0.image=/none.img"],
         "--set: components.disk0.image: disk image /none.img: No such file"),
    ]
    for args, message in cases:
        result = subprocess.run([sys.executable, "-m", "graphsim.cli", "run", str(machine), "--quiet",
                                 "--outdir", str(tmp_path / "run"), *args],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and len(lines) == 1 and lines[0].startswith(f"error: {message}"), \
            (args, result.stderr)
