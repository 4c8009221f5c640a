"""graphsim's Linux system (assets/linux/system: defconfig kernel, busybox and
glibc on an ext4 root) on QEMU, the oracle: the root filesystems, the glibc
programs, gem5's m5 utility outside a simulator, four harts, a kernel panic,
and graphsim's own device tree. Without QEMU these tests skip, except under CI
(CI=true), where a missing QEMU is a failure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import need_tool

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = ROOT / "assets" / "linux" / "system"


def _load_run_qemu():
    spec = importlib.util.spec_from_file_location("graphsim_linux_system_run_qemu", SYSTEM / "run_qemu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run_qemu = _load_run_qemu()
BOOT_TIMEOUT = 300  # seconds to the prompt (2 s on an idle machine; the build machine is shared)
CMD_TIMEOUT = 180


@pytest.fixture(scope="module", autouse=True)
def need_qemu():
    need_tool(run_qemu.QEMU)


def boot(**kwargs):
    guest = run_qemu.Guest(run_qemu.qemu_command(**kwargs)).start()
    try:
        guest.boot_output = guest.expect(run_qemu.PROMPT, BOOT_TIMEOUT)
    except BaseException:
        guest.close()
        raise
    return guest


def run(guest, command: str) -> str:
    guest.send(command + "\n")
    guest.expect(command + "\n", CMD_TIMEOUT)
    return guest.expect(run_qemu.PROMPT, CMD_TIMEOUT)


@pytest.mark.parametrize("rootfs", ["a", "b"])
def test_root_filesystems(rootfs):
    letter = rootfs.upper()
    with boot(rootfs=rootfs) as guest:
        assert "Linux version 6.1." in guest.boot_output
        assert f"EXT4-fs (vda): mounted filesystem" in guest.boot_output
        assert f"(root filesystem {letter})" in guest.boot_output  # rcS prints /etc/motd
        assert run(guest, "cat /hello.txt") == f"hello from rootfs {letter}\n"
        assert run(guest, "cat /proc/cmdline") == run_qemu.BOOTARGS + "\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_glibc_programs_and_m5_outside_a_simulator():
    with boot() as guest:
        assert run(guest, "/hi") == ("hi from graphsim's Linux system: 1/3 = 0.33333333333333331, "
                                     "pi ~ 3.141593\n")
        fp = run(guest, "fpbench 1000")
        assert "n-body energy before: -0.169075164" in fp
        assert "mandelbrot 64x64 points inside:" in fp and "libm sum:" in fp
        # the dynamic loader and libc are in the image: m5 is a dynamically linked glibc program
        assert "ld-linux-riscv64-lp64d.so.1" in run(guest, "ls /lib")
        out = run(guest, "m5 checkpoint; echo status $?")
        assert "m5: checkpoint: the m5op instruction is illegal here" in out and "status 2" in out
        assert "Usage: m5 <command>" in run(guest, "m5 2>&1; true")
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_four_harts():
    with boot(smp=4) as guest:
        assert "smp: Brought up 1 node, 4 CPUs" in guest.boot_output
        assert run(guest, "cat /sys/devices/system/cpu/online") == "0-3\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_bad_root_panics():
    cmd = run_qemu.qemu_command(append="console=ttyS0 root=/dev/nonexistent ro")
    with run_qemu.Guest(cmd).start() as guest:
        guest.expect("Kernel panic - not syncing: VFS: Unable to mount root fs", BOOT_TIMEOUT)
        guest.expect("---[ end Kernel panic", CMD_TIMEOUT)


def test_graphsim_device_tree_with_caches_boots_on_qemu(tmp_path):
    """graphsim's DTB for configs/linux.toml handed to QEMU: Linux finds the disk, and its
    cacheinfo shows the caches the machine file configures (32 KiB L1s, a 512 KiB L2)."""
    from graphsim.config.loader import load_machine
    from graphsim.graph.dtb import BootInfo, generate_dtb
    from graphsim.graph.elaborate import elaborate

    dtb = tmp_path / "graphsim.dtb"
    dtb.write_bytes(generate_dtb(elaborate(load_machine(ROOT / "configs" / "linux.toml")),
                                 BootInfo(bootargs=run_qemu.BOOTARGS)))
    with boot(dtb=dtb) as guest:
        # short command lines (the tty wraps at 80 columns) and no cd (the prompt names the directory)
        run(guest, "c=/sys/devices/system/cpu/cpu0/cache")
        assert run(guest, "cat $c/index0/size $c/index1/size $c/index2/size").split() == ["32K", "32K", "512K"]
        assert run(guest, "cat $c/index2/level $c/index2/number_of_sets").split() == ["2", "512"]
        assert run(guest, "cat /hello.txt") == "hello from rootfs A\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0
