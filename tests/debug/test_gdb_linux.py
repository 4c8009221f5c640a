"""Debian's gdb-multiarch against graphsim running the Linux system (configs/linux.toml): a
breakpoint on a kernel function, by symbol, hit after the boot. The symbols come from the
committed System.map, through assets/linux/system/symbols_elf.py (a symbol-only ELF: the
vmlinux itself is some 20 MiB). Without gdb-multiarch this skips, except under CI=true."""

from __future__ import annotations

import importlib.util
import re

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.take import take_checkpoint
from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits, Trigger
from tests.conftest import CONFIGS, ROOT
from tests.debug.session import Graphsim, gdb, need_gdb

SYSTEM = ROOT / "assets" / "linux" / "system"
PROMPT = "graphsim:/# "

pytestmark = pytest.mark.slow


def symbols_elf_module():
    spec = importlib.util.spec_from_file_location("graphsim_symbols_elf", SYSTEM / "symbols_elf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prompt_checkpoint(library_dir) -> str:
    """configs/linux.toml booted to the busybox prompt (without a debugger: while breakpoints are
    armed every slice is one instruction) and checkpointed there."""
    machine = Machine(elaborate(load_machine(CONFIGS / "linux.toml")), console=Console())
    machine.boot()
    stop = machine.run(RunLimits(max_insts=1_500_000_000), [Trigger("console", re.compile(re.escape(PROMPT)))])
    assert stop.reason == "checkpoint", machine.console.tail_text()
    cpt, _, _ = take_checkpoint(machine, Library(str(library_dir)), {"kind": "console", "detail": PROMPT})
    return cpt


def test_breakpoint_on_a_kernel_function_after_the_boot(tmp_path):
    """Restored at the prompt, `poweroff` typed: init calls reboot(2), and the kernel's
    kernel_power_off() stops GDB at exactly its System.map address, in S-mode, called from the
    reboot system call; GDB continues and the guest powers off."""
    need_gdb()
    module = symbols_elf_module()
    symbols = module.read_map(SYSTEM / "System.map.xz")
    address = {name: value for value, _, name in symbols}["kernel_power_off"]
    elf = tmp_path / "vmlinux-symbols.elf"
    elf.write_bytes(module.symbol_elf(symbols))
    library = tmp_path / "lib"
    cpt = prompt_checkpoint(library)
    sim = Graphsim(cpt, "--library", str(library), "--quiet", "--input", "poweroff\\n", command="restore")
    try:
        out = gdb(sim, "break *kernel_power_off", "continue", "p/x $pc", "info symbol $pc", "p $priv", "bt 3",
                  "continue", elf=elf)
        assert f"Breakpoint 1 at 0x{address:x}" in out, out
        assert re.search(rf"Breakpoint 1, 0x0*{address:x} in kernel_power_off \(\)", out), out
        assert f"$1 = 0x{address:x}\n" in out and "kernel_power_off in section .kernel" in out, out
        assert "$2 = 1\n" in out, out  # S-mode
        assert re.search(r"#1 +0x[0-9a-f]+ in __do_sys_reboot \(\)", out), out
        done = sim.finish()
        assert done.returncode == 0, done.stderr
    finally:
        sim.kill()
