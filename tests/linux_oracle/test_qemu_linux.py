"""The Linux guest (assets/linux) on QEMU, the oracle graphsim is compared with.

Each test boots OpenSBI + Linux + the initramfs shell on qemu-system-riscv64
(about 0.3 s to the prompt), types commands and checks their output. Every
wait is bounded. Without QEMU these tests skip, except under CI (CI=true),
where a missing QEMU is a failure: the oracle must not silently vanish.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

from tests.conftest import need_tool

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets" / "linux"


def _load_run_qemu():
    spec = importlib.util.spec_from_file_location("graphsim_linux_run_qemu", ASSETS / "run_qemu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


run_qemu = _load_run_qemu()

BOOT_TIMEOUT = 30  # seconds to the prompt; it takes ~0.3 s on an idle machine
CMD_TIMEOUT = 10


@pytest.fixture(scope="module", autouse=True)
def need_qemu():
    missing = [f for f in ("fw_jump.bin", "Image", "initramfs.cpio", "disk-a.img", "disk-b.img")
               if not (ASSETS / f).is_file()]
    assert not missing, f"assets/linux is missing {missing}: see assets/linux/README.md"
    need_tool(run_qemu.QEMU, "qemu-system-misc")


def boot(**kwargs):
    guest = run_qemu.Guest(run_qemu.qemu_command(**kwargs)).start()
    try:
        guest.boot_output = guest.wait_prompt(BOOT_TIMEOUT)
    except BaseException:
        guest.close()
        raise
    return guest


@pytest.mark.parametrize("disk", ["a", "b"])
def test_disk_contents(disk):
    letter = disk.upper()
    with boot(disk=disk) as guest:
        # init prints a banner and the disk's motd before the first prompt.
        assert "graphsim initramfs: Linux 6.1." in guest.boot_output
        assert f"disk {letter}: graphsim Linux guest data disk" in guest.boot_output

        motd = guest.run("cat /mnt/etc/motd", CMD_TIMEOUT)
        assert motd == f"disk {letter}: graphsim Linux guest data disk (image disk-{disk}.img)\n"
        assert guest.run("cat /mnt/hello.txt", CMD_TIMEOUT) == f"hello from disk {letter}\n"
        assert guest.run("ls /", CMD_TIMEOUT).split() == [
            "bin/", "dev/", "init", "mnt/", "proc/", "root/", "sys/"]
        assert guest.run("ls /mnt", CMD_TIMEOUT).split() == ["etc/", "hello.txt", "lost+found/"]
        assert guest.run("ls /bin", CMD_TIMEOUT).split() == ["m5"]
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_two_harts_boot():
    with boot(smp=2) as guest:
        cpuinfo = guest.run("cat /proc/cpuinfo", CMD_TIMEOUT)
        harts = [line.split(":")[1].strip() for line in cpuinfo.splitlines() if line.startswith("hart")]
        # OpenSBI's boot-hart lottery may pick either hart on multi-threaded
        # QEMU, so Linux's CPU 0 is hart 0 or hart 1.
        assert sorted(harts) == ["0", "1"], cpuinfo
        assert "isa\t\t: rv64imac\n" in cpuinfo
        assert guest.run("cat /sys/devices/system/cpu/online", CMD_TIMEOUT) == "0-1\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_poweroff_exits_qemu_with_status_0():
    with boot() as guest:
        assert guest.poweroff(CMD_TIMEOUT) == 0
        assert "reboot: Power down" in guest.log


def test_m5ops_trap_harmlessly_outside_graphsim():
    with boot() as guest:
        for command in ("m5 checkpoint", "m5 exit", "/bin/m5 dumpstats", "m5 resetstats 0 0"):
            out = guest.run(command, CMD_TIMEOUT)
            assert out == "m5: not running under graphsim\n", (command, out)
        assert guest.run("m5 bogus", CMD_TIMEOUT).startswith("usage: m5 COMMAND")
        # The shell (PID 1) survived all of them.
        assert guest.run("echo still  alive", CMD_TIMEOUT) == "still alive\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_shell_errors_and_remount():
    with boot(disk="b") as guest:
        assert guest.run("cat /nonexistent", CMD_TIMEOUT) == \
            "cat: /nonexistent: no such file or directory (errno 2)\n"
        assert guest.run("nosuchcommand", CMD_TIMEOUT) == \
            "sh: nosuchcommand: no such file or directory (errno 2)\n"
        assert "not a directory" in guest.run("ls /init", CMD_TIMEOUT)
        # umount + mount: how a guest picks up a disk swapped under it.
        assert guest.run("umount /mnt", CMD_TIMEOUT) == ""
        assert guest.run("ls /mnt", CMD_TIMEOUT) == ""
        assert guest.run("mount /dev/vda /mnt ext2 ro", CMD_TIMEOUT) == ""
        assert guest.run("cat /mnt/hello.txt", CMD_TIMEOUT) == "hello from disk B\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_piped_stdin_without_waiting():
    """All commands written at once, before the guest is up (plain piping).
    Bytes typed while the kernel resets the UART may be lost, so the script
    starts with blank lines, as documented in README.md."""
    guest = run_qemu.Guest(run_qemu.qemu_command()).start()
    with guest:
        guest.send("\n" * 64 + "cat /mnt/hello.txt\npoweroff\n")
        assert guest.wait_exit(BOOT_TIMEOUT) == 0
        assert "hello from disk A\n" in guest.log.split("graphsim initramfs")[1].split(run_qemu.PROMPT, 1)[1]


def _two_hart_minimal_dts(dts: str) -> str:
    """minimal-virt.dts extended to two harts the way a DTB generator would:
    one cpu node per hart, two PLIC and two CLINT interrupt pairs per hart."""
    cpu0 = dts[dts.index("\t\tcpu@0 {"):dts.index("\t};\n\n\tsoc {")]
    cpu1 = (cpu0.replace("cpu@0", "cpu@1").replace("reg = <0>", "reg = <1>")
            .replace("cpu0_intc", "cpu1_intc"))
    dts = dts.replace(cpu0, cpu0 + cpu1)
    dts = dts.replace("<&cpu0_intc 11>, <&cpu0_intc 9>;",
                      "<&cpu0_intc 11>, <&cpu0_intc 9>, <&cpu1_intc 11>, <&cpu1_intc 9>;")
    return dts.replace("<&cpu0_intc 3>, <&cpu0_intc 7>;",
                       "<&cpu0_intc 3>, <&cpu0_intc 7>, <&cpu1_intc 3>, <&cpu1_intc 7>;")


@pytest.mark.parametrize("harts", [1, 2])
def test_minimal_device_tree_is_enough(tmp_path, harts):
    """minimal-virt.dts documents what graphsim's DTB must hold: check that
    OpenSBI + Linux boot on it alone, find the disk and can power off."""
    need_tool("dtc", "device-tree-compiler")
    dts = (ASSETS / "minimal-virt.dts").read_text()
    if harts == 2:
        dts = _two_hart_minimal_dts(dts)
    (tmp_path / "m.dts").write_text(dts)
    dtb = run_qemu.compile_dts(tmp_path / "m.dts", tmp_path)
    try:
        guest = boot(dtb=dtb, smp=harts)
    except run_qemu.GuestError as first:
        # QEMU alone: once in a few dozen 2-hart boots Linux stays silent after OpenSBI's banner (seen
        # under the whole suite's load, never when run by itself); a second boot tells that apart from
        # a device tree that cannot boot, which fails both.
        warnings.warn(f"QEMU boot on the minimal device tree retried: {str(first).splitlines()[0]}")
        guest = boot(dtb=dtb, smp=harts)
    with guest:
        assert "disk A: graphsim" in guest.boot_output
        online = "0\n" if harts == 1 else "0-1\n"
        assert guest.run("cat /sys/devices/system/cpu/online", CMD_TIMEOUT) == online
        assert guest.run("cat /mnt/hello.txt", CMD_TIMEOUT) == "hello from disk A\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0


def test_graphsim_generated_device_tree_boots_on_qemu(tmp_path):
    """graphsim's own DTB for configs/linux-tiny.toml, handed to QEMU: OpenSBI and
    Linux must find everything they need in it (the disk in slot 7 on both)."""
    pytest.importorskip("networkx")
    from graphsim.config.loader import load_machine
    from graphsim.graph.dtb import BootInfo, generate_dtb
    from graphsim.graph.elaborate import elaborate

    machine = elaborate(load_machine(ROOT / "configs" / "linux-tiny.toml"))
    dtb = tmp_path / "graphsim.dtb"
    # QEMU adds the initrd range to /chosen itself; bootargs come from -append.
    dtb.write_bytes(generate_dtb(machine, BootInfo(bootargs=run_qemu.BOOTARGS)))
    with boot(dtb=dtb) as guest:
        assert "disk A: graphsim" in guest.boot_output
        assert guest.run("cat /mnt/hello.txt", CMD_TIMEOUT) == "hello from disk A\n"
        assert guest.poweroff(CMD_TIMEOUT) == 0
