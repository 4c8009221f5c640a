"""Shared by the tests that run the bare-metal guests: the guest table, the machine
each needs, and an in-process runner returning console, exit and digest."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass

import pytest

from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.console import Console
from graphsim.sim.machine import Machine, RunLimits
from tests.conftest import CONFIGS, ROOT, need_tool

GUEST_DIR = ROOT / "assets" / "guest"
GUESTS = {g["name"]: g for g in tomllib.loads((GUEST_DIR / "guests.toml").read_text())["guest"]}
TEST_GUESTS = [name for name, g in GUESTS.items() if g["category"] in ("test", "micro")]


def machine_for(guest: dict) -> str:
    if guest["xlen"] == 32:
        return "virt-rv32.toml"
    if guest["harts"] > 1:
        return "virt-rv64-4hart.toml"
    return "virt-rv64-disk.toml" if guest["disk"] else "virt-rv64.toml"


@dataclass
class GuestRun:
    machine: Machine
    stop: object
    console: str


def boot_guest(name: str, overrides=(), disk: str | None = None) -> Machine:
    guest = GUESTS[name]
    overrides = [f"components.cpu.isa={guest['isa']}", *overrides]
    graph = elaborate(load_machine(CONFIGS / machine_for(guest), overrides))
    disks = {"disk0": disk or str(GUEST_DIR / guest["disk"])} if guest["disk"] else {}
    console = Console()
    if guest["stdin"]:
        console.feed(guest["stdin"].encode())
    machine = Machine(graph, disks, console)
    machine.boot(kernel=str(GUEST_DIR / guest["elf"]))
    return machine


def run_to_end(machine: Machine, max_insts: int = 100_000_000, triggers=(), on_checkpoint=None) -> GuestRun:
    """Run until the guest exits or a limit; checkpoint requests go to ``on_checkpoint(machine, stop)``."""
    triggers = list(triggers)
    while True:
        stop = machine.run(RunLimits(max_insts=max_insts), triggers)
        if stop.reason != "checkpoint":
            break
        if on_checkpoint is not None:
            on_checkpoint(machine, stop)
    return GuestRun(machine, stop, machine.console.tail_text(1 << 20).replace("\r\n", "\n"))


def qemu_result(name: str):
    """The oracle's console and exit code, live (a missing QEMU fails under CI, skips elsewhere)."""
    sys.path.insert(0, str(GUEST_DIR))
    try:
        import qemu_oracle
    finally:
        sys.path.remove(str(GUEST_DIR))
    guest = qemu_oracle.load_guests()[name]
    need_tool(qemu_oracle.qemu_binary(guest.xlen))
    return qemu_oracle.run_guest(guest)
