"""The Machine: an elaborated graph made runnable.

It owns the numpy state of every component (declared by the kinds), the
compiled core that runs the harts, the Python-served devices, the console and
the stats. `run` drives the core in long slices and handles the rare exits:
MMIO to a Python device, m5ops, UART output, idleness, budgets and host-side
checkpoint triggers. Everything guest-visible is deterministic: time is the
simulated tick, never the wall clock.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..checkpoint.format import ComponentState, SavedState
from ..config.schema import component_kinds
from ..devices.base import DmaError, PythonDevice
from ..devices.simctl import M5OPS
from ..devices.sifive_test import SifiveTest
from ..errors import GraphsimError
from ..graph.dtb import BootInfo, generate_dtb
from ..graph.elaborate import MachineGraph
from ..isa import state as S
from . import boot
from .console import Console, Detached
from .guestmem import GuestMemory
from .stats import Stat, StatsDump, StatsLog

# A run whose guest kernel panics ends with this status, apart from graphsim's own 1-6 (the
# guest's own exit codes come from the finisher or m5 exit/fail).
GUEST_PANIC_EXIT = 7
PANIC_START = b"Kernel panic - not syncing"
PANIC_END = b"---[ end Kernel panic"
# After the panic line, the kernel prints its stack and "---[ end Kernel panic"; with panic=N it
# reboots first. The run stops at the end line, a reset, or this many instructions later.
PANIC_GRACE_INSTS = 50_000_000
# What the core's exit counters (system.core.exits.NAME) count, for the statistics dump.
EXIT_DOCS = {
    "mmio": "Kernel exits for accesses to devices served in Python (virtio, simctl, the test finisher); "
            "the UART, CLINT and PLIC are served inside the compiled core and never exit",
    "budget": "Kernel exits at the end of a slice of instructions",
    "m5op": "Kernel exits for m5ops (custom-3 instructions)",
    "uart_tx_full": "Kernel exits to drain a full UART transmit buffer",
    "idle": "Kernel exits with every hart in WFI and no timer due to wake one",
    "tick_limit": "Kernel exits at a simulated time limit or a due event",
    "trace_full": "Kernel exits to print a full instruction-trace buffer",
    "debug": "Kernel exits for the debugger (breakpoints, watchpoints, single steps)",
}

OOPS_MARKERS = (b"Oops", b"Unable to handle kernel", b"BUG: ", b"WARNING: CPU: ")
FIRMWARE_KERNEL_OFFSET = 0x20_0000  # OpenSBI fw_jump's FW_JUMP_ADDR on the generic platform (RAM + 2 MiB)
DTB_ALIGN = 0x20_0000
# Guest-requested checkpoints closer together than this (1 ms simulated) are ignored: a guest cannot
# make the host write checkpoints faster than in proportion to the instructions it runs.
M5_CHECKPOINT_MIN_GAP = 10**9
M5_TICK_LIMIT = 1 << 62
UART_FEED = 4096  # host input offered to the UART per slice (its receive queue holds less)  # a delay that would end beyond this means never


class MachineError(GraphsimError):
    pass


@dataclass
class Stop:
    """Why a run returned."""

    reason: str  # exit, panic, max_insts, max_tick, idle, checkpoint, interrupted, switch_cpu, work_end
    exit_code: int = 0
    detail: str = ""


@dataclass
class RunLimits:
    max_insts: int | None = None  # total instructions retired by all harts, counted from machine start
    max_tick: int | None = None


@dataclass
class Trigger:
    """A host-side checkpoint trigger."""

    kind: str  # inst, tick, console
    value: int | str
    fired: bool = False


class Machine:
    def __init__(self, graph: MachineGraph, disks: dict[str, str] | None = None, console: Console | None = None,
                 memory: dict[str, np.ndarray] | None = None):
        """``memory`` hands over verified memory contents (memory component name → byte array) from a
        checkpoint, adopted as the machine's RAM instead of copied (load_state then skips them)."""
        self.graph = graph
        self.console = console or Console()
        self.kinds = component_kinds()
        self.components = graph.components
        for component in self.components.values():
            component.allocate_state()
            adopted = (memory or {}).get(component.name)
            if component.role == "memory" and adopted is not None \
                    and adopted.shape == component.state_arrays["data"].shape and adopted.dtype == np.uint8:
                component.state_arrays["data"] = adopted
        self.cpus = [self.components[n] for n in graph.cpus]
        models = {c.kind for c in self.cpus}
        if len(models) != 1:
            raise MachineError(f"all harts must use one CPU model (found {', '.join(sorted(models))})")
        memories = graph.of_role("memory")
        if len(memories) != 1:
            raise MachineError(f"the compiled core needs exactly one memory component (found {len(memories)})")
        self.ram_component = memories[0]
        self.ram_base, _ = self.ram_component.address_range()
        self.ram = self.ram_component.state_arrays["data"]
        self.python_devices: list[tuple[int, int, PythonDevice]] = []
        for component in self.components.values():
            if isinstance(component, PythonDevice):
                component.attach(self)
                base, size = component.address_range()
                self.python_devices.append((base, base + size, component))
        self.finisher = next(iter(graph.of_kind(SifiveTest.kind)), None)
        for name, path in (disks or {}).items():
            if name not in self.components or self.components[name].kind != "virtio_blk":
                raise MachineError(f"--disk {name}: the machine has no virtio_blk named {name!r}")
        for component in graph.of_kind("virtio_blk"):
            given = (disks or {}).get(component.name)
            table = graph.declared_as.get(component.name, component.name)
            component.open_disk(given, f"--disk {component.name}" if given else graph.setting("components", table,
                                                                                              "image"))
        self.compile_seconds = 0.0  # compiling or loading the CPU model's kernels (not simulation time)
        self.uart = next(iter(graph.of_kind("uart16550")), None)
        self.uart_bytes = [0, 0]  # transmitted, received: the UART is served in the kernel, so no exit counts them
        self.core = self._build_core()
        self.stats_log = StatsLog()
        self.reset_stats()
        self.host_seconds = 0.0
        self.m5_checkpoint_due: int | None = None  # tick of a delayed or periodic m5op checkpoint
        self.m5_checkpoint_period = 0
        self._last_m5_checkpoint: int | None = None  # tick of the last guest-requested checkpoint
        self._exit_request: tuple[str, int] | None = None  # set by an m5op, acted on after it retires
        self.stop_at_work_end = False  # a sweep measuring the guest's work region ends the run there
        self.stop_at_work_begin = False  # SimPoint profiling starts its region there
        self._console_checked = 0
        self.first_run_wall: float | None = None
        self.interrupt_requested = ""  # set (to what asked) by a signal handler: stop at the next slice
        self.trace_out = None  # a text stream when --trace is on
        self.debugger = None  # a GDB stub (graphsim/debug/stub.py) while --gdb is on
        self.script: str | None = None  # the host file gem5's readfile m5op hands the guest (--script)
        self.outdir = "."  # where the writefile m5op puts guest files (the run directory)
        self.panic_at: int | None = None  # instret when the console showed a kernel panic
        self.oopses: list[str] = []  # kernel oops/BUG/WARNING lines seen on the console
        self._panic_checked = 0

    def _build_core(self):
        """The compiled core over every hart, with the hot devices inside it. The CPU and
        device components' state arrays become views of the core's packed arrays, so saving
        and loading them is the same as for any other component."""
        from ..cpu.core import CoreConfig
        from .precompile import prepare

        self.compile_seconds += prepare(self.cpus[0].kind)
        graph = self.graph
        in_kernel = {}
        for kind in ("clint", "plic", "uart16550"):
            found = graph.of_kind(kind)
            if len(found) > 1:
                raise MachineError(f"the compiled core serves one {kind}; this machine has {len(found)}")
            in_kernel[kind] = found[0] if found else None
        clint, plic, uart = in_kernel["clint"], in_kernel["plic"], in_kernel["uart16550"]
        config = CoreConfig(
            nharts=len(self.cpus),
            isa=[c.params.isa for c in self.cpus],
            frequency=[c.params.frequency for c in self.cpus],
            reset_vector=[c.params.reset_vector for c in self.cpus],
            hartids=[c.hartid for c in self.cpus],
            ram_base=self.ram_base, ram_size=len(self.ram),
            timebase_frequency=clint.params.timebase_frequency if clint else 10_000_000,
            clint=clint.address_range() if clint else None,
            plic=(*plic.address_range(), plic.params.num_sources) if plic else None,
            uart=(*uart.address_range(), uart.params.irq) if uart else None,
            mmio_ranges=[(start, end - start) for start, end, _ in self.python_devices],
        )
        core = type(self.cpus[0]).core_class()(config, self.ram, graph=graph)
        for hart, cpu in enumerate(self.cpus):
            cpu.state_arrays = core.hart_views(hart)
        for kind, component in in_kernel.items():
            if component is not None:
                component.state_arrays = core.device_views(kind)
        return core

    # --- services offered to Python devices (graphsim.devices.base.Bus) -------

    def dma_read(self, paddr: int, length: int) -> bytes:
        offset = paddr - self.ram_base
        if length < 0 or offset < 0 or offset + length > len(self.ram):
            raise DmaError(f"DMA read 0x{paddr:x}+{length} outside RAM")
        return self.ram[offset:offset + length].tobytes()

    def dma_write(self, paddr: int, data: bytes):
        offset = paddr - self.ram_base
        if offset < 0 or offset + len(data) > len(self.ram):
            raise DmaError(f"DMA write 0x{paddr:x}+{len(data)} outside RAM")
        self.ram[offset:offset + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def set_irq(self, irq: int, level: bool):
        self.core.plic_set_line(irq, level)

    # --- boot ---------------------------------------------------------------

    def boot(self, kernel: str | None = None, firmware: str | None = None, initrd: str | None = None,
             bootargs: str | None = None, load_address: int | None = None):
        """Load the workload (arguments override the machine file's [workload]) and reset the harts."""
        workload = self.graph.workload
        given = {"kernel": kernel, "firmware": firmware, "initrd": initrd}

        def named_by(key: str):  # errors about a file name the option or the machine file's key that gave it
            return boot.named_by(f"--{key}" if given[key] else self.graph.setting("workload", key))

        kernel = kernel or workload.get("kernel")
        firmware = firmware or workload.get("firmware")
        initrd = initrd or workload.get("initrd")
        bootargs = bootargs if bootargs is not None else workload.get("bootargs", "")
        if load_address is None:
            load_address = workload.get("load_address", self.ram_base)
            if isinstance(load_address, str):
                load_address = int(load_address.replace("_", ""), 0)
        if not kernel and not firmware:
            raise MachineError("nothing to run: give --kernel (or [workload] kernel in the machine file)")
        images = []
        if firmware:
            with named_by("firmware"):
                fw = boot.read_program(firmware, self.ram_base)
            images += fw.images
            entry = fw.entry
            if kernel:
                with named_by("kernel"):
                    images.append(boot.read_blob(kernel, self.ram_base + FIRMWARE_KERNEL_OFFSET))
        else:
            with named_by("kernel"):
                program = boot.read_program(kernel, load_address)
            xlen = 32 if self.cpus[0].params.isa.startswith("rv32") else 64
            if program.xlen is not None and program.xlen != xlen:
                raise MachineError(f"{kernel}: a {program.xlen}-bit ELF cannot run on this RV{xlen} machine")
            images += program.images
            entry = program.entry
        ram_end = self.ram_base + len(self.ram)
        # As QEMU's virt machine does: the DTB at the top of RAM (2 MiB aligned, below 3 GiB), the
        # initrd half-way into RAM after the kernel (at most 128 MiB in), so that they lie where
        # Linux and OpenSBI expect them and the boot log matches QEMU's.
        initrd_range = None
        if initrd:
            with named_by("initrd"):
                blob = boot.read_blob(initrd, 0)
            kernel_start = self.ram_base + FIRMWARE_KERNEL_OFFSET if firmware else entry
            blob.address = kernel_start + min(len(self.ram) // 2, 128 << 20)
            images.append(blob)
            initrd_range = (blob.address, blob.address + len(blob.data))
        dtb = generate_dtb(self.graph, BootInfo(bootargs, initrd_range))
        dtb_address = (min(ram_end, 3 << 30) - len(dtb) - 64) & ~(DTB_ALIGN - 1)
        images.append(boot.Image("<device tree>", dtb_address, dtb))
        boot.check_overlaps(images)
        for image in images:
            boot.place(self.ram, self.ram_base, image)
        self.core.reset()
        for hart in range(len(self.cpus)):
            # As QEMU's reset vector does: a0 = hartid (set by reset), a1 = the device tree.
            self.core.harts[hart, S.PC] = entry
            self.core.harts[hart, S.X + 11] = dtb_address
        self.entry, self.dtb_address = entry, dtb_address

    # --- running ------------------------------------------------------------

    @property
    def instret(self) -> int:
        return self.core.total_instret()

    @property
    def tick(self) -> int:
        return self.core.tick

    def run(self, limits: RunLimits, triggers: list[Trigger] = (), slice_insts: int = 1_000_000,
            progress=None) -> Stop:
        """Run until the guest exits, a limit is reached, or a trigger asks for a checkpoint.

        A checkpoint trigger returns Stop('checkpoint') at an instruction boundary with every
        hart drained; the caller saves and calls run again to continue.
        """
        started = time.perf_counter()
        try:
            return self._run(limits, list(triggers), slice_insts, progress)
        except Detached:  # raised while polling the console, between slices: the state is consistent
            return Stop("interrupted", detail="Ctrl-]")
        finally:
            self.host_seconds += time.perf_counter() - started

    def _run(self, limits: RunLimits, triggers: list[Trigger], slice_insts: int, progress) -> Stop:
        while True:
            if self.interrupt_requested:
                detail, self.interrupt_requested = self.interrupt_requested, ""
                return Stop("interrupted", detail=detail)
            now, tick = self.instret, self.tick
            for trigger in triggers:
                if not trigger.fired and trigger.kind in ("inst", "tick", "switch") and \
                        (tick if trigger.kind == "tick" else now) >= trigger.value:
                    trigger.fired = True
                    if trigger.kind == "switch":
                        return Stop("switch_cpu", detail=f"inst:{trigger.value}")
                    return Stop("checkpoint", detail=f"{trigger.kind}:{trigger.value}")
            if self.m5_checkpoint_due is not None and tick >= self.m5_checkpoint_due:
                self.m5_checkpoint_due = tick + self.m5_checkpoint_period if self.m5_checkpoint_period else None
                return Stop("checkpoint", detail="m5op:periodic")
            if limits.max_insts is not None and now >= limits.max_insts:
                return Stop("max_insts")
            if limits.max_tick is not None and tick >= limits.max_tick:
                return Stop("max_tick")
            budget = slice_insts
            ticks = [limits.max_tick, self.m5_checkpoint_due]
            for trigger in triggers:
                if not trigger.fired and trigger.kind in ("inst", "switch"):
                    budget = min(budget, trigger.value - now)
                elif not trigger.fired and trigger.kind == "tick":
                    ticks.append(trigger.value)
            if limits.max_insts is not None:
                budget = min(budget, limits.max_insts - now)
            until_tick = min((t for t in ticks if t is not None), default=-1)
            self._feed_uart()
            if self.first_run_wall is None:
                self.first_run_wall = time.time()  # for the cold-start benchmark
            if self.trace_out is None:
                event = self.core.run(budget, until_tick)
            else:
                event, rows = self.core.run_trace(budget, until_tick)
                self._write_trace(rows)
            self._drain_uart()
            if progress is not None:
                progress(self)
            stop = self._handle(event)
            panic = self._guest_panic(stop)
            if panic is not None:
                return panic
            if stop is not None:
                return stop
            fired = self._console_trigger(triggers)
            if fired is not None:
                return Stop("checkpoint", detail=f"console:{fired.value.pattern}")
            if self.debugger is not None and not self.core.mmio_reply_pending():
                stop = self.debugger.poll()  # a client attaching, or Ctrl-C
                if stop is not None:
                    return stop

    def enable_trace(self, stream):
        """Print every instruction (hart, privilege, pc, word, disassembly, register written) to
        ``stream``, in a layout that lines up with QEMU's -d in_asm,cpu output."""
        self.trace_out = stream

    def _write_trace(self, rows):
        from ..isa.disasm import format_trace

        xlen = 32 if self.cpus[0].params.isa.startswith("rv32") else 64
        for line in format_trace(rows, xlen):
            self.trace_out.write(line + "\n")

    def _guest_panic(self, stop: Stop | None) -> Stop | None:
        """Stop("panic") once a kernel panic has been printed completely (or the guest resets or ends
        after it); oops lines are collected on the way."""
        new = self.console.written - self._panic_checked
        if new:
            self._panic_checked = self.console.written
            window = bytes(self.console.tail[-min(len(self.console.tail), new + 256):])
            if self.panic_at is None and PANIC_START in window:
                self.panic_at = self.instret
            for line in window[-new:].split(b"\n"):
                if any(marker in line for marker in OOPS_MARKERS) and len(self.oopses) < 100:
                    self.oopses.append(line.decode("utf-8", "replace").strip())
        if self.panic_at is None:
            return None
        tail = bytes(self.console.tail)
        ended = PANIC_END in tail
        if ended or stop is not None or self.instret - self.panic_at >= PANIC_GRACE_INSTS:
            return Stop("panic", exit_code=GUEST_PANIC_EXIT, detail=self.panic_text())
        return None

    def panic_text(self) -> str:
        """The last kernel panic on the console: from its 'Kernel panic' line to the end of the output."""
        tail = bytes(self.console.tail)
        end = tail.rfind(PANIC_END)
        start = tail.rfind(PANIC_START, 0, end if end >= 0 else len(tail))
        if start < 0:
            return ""
        start = tail.rfind(b"\n", 0, start) + 1
        return tail[start:].decode("utf-8", "replace").replace("\r\n", "\n").strip()

    def _console_trigger(self, triggers: list[Trigger]) -> Trigger | None:
        """The first console trigger whose pattern the output since the last look matches
        (with some earlier output, so a match may straddle two slices)."""
        new = self.console.written - self._console_checked
        if not new:
            return None
        self._console_checked = self.console.written
        window = bytes(self.console.tail[-min(len(self.console.tail), new + 256):]).decode("utf-8", "replace")
        for trigger in triggers:
            if trigger.kind == "console" and not trigger.fired and trigger.value.search(window):
                trigger.fired = True
                return trigger
        return None

    def _feed_uart(self):
        self.console.poll(0)
        if self.console.pending_input:
            # No more than the receive queue can take: a megabyte of pasted input costs per exit what fits.
            accepted = self.core.uart_push_rx(bytes(self.console.pending_input[:UART_FEED]))
            del self.console.pending_input[:accepted]
            self.uart_bytes[1] += accepted

    def _drain_uart(self):
        data = self.core.uart_drain()
        if data:
            self.uart_bytes[0] += len(data)
            self.console.write(data)

    def _handle(self, event) -> Stop | None:
        reason = event.reason
        if reason in ("budget", "uart_tx_full", "tick_limit"):
            return None  # limits and triggers are checked at the top of the loop
        if reason == "mmio":
            return self._handle_mmio(event)
        if reason == "m5op":
            args = [int(v) for v in self.core.harts[event.hart, S.X + 10:S.X + 16]]
            result = self.m5op(event.func, args, event.hart)
            self.core.complete_m5op(result)
            return self._after_m5op()
        if reason == "debug" and self.debugger is not None:
            return self.debugger.on_core_stop(event)
        if reason == "idle":
            if self.console.has_live_input or self.console.pending_input:
                self.console.poll(0.05)
                return None
            return Stop("idle", detail="every hart waits for an interrupt that nothing will raise")
        raise MachineError(f"unknown exit from the core: {reason}")

    def _handle_mmio(self, event) -> Stop | None:
        for start, end, device in self.python_devices:
            if start <= event.paddr < end:
                offset = event.paddr - start
                if not event.is_write:
                    self.core.complete_mmio(device.mmio_read(offset, event.size))
                    return None
                self.core.complete_mmio(0)
                if device is self.finisher:
                    action, code = SifiveTest.decode(event.value)
                    if action == "exit":
                        return Stop("exit", exit_code=code, detail="finisher")
                    if action == "reset":
                        return Stop("exit", exit_code=0, detail="the guest asked for a reset (not modelled)")
                    return None
                device.mmio_write(offset, event.size, event.value)
                return self._after_m5op()
        raise MachineError(f"MMIO exit at 0x{event.paddr:x}, which no Python device serves")

    # --- m5ops ----------------------------------------------------------------

    def m5op(self, func: int, args: list[int], hart: int = 0) -> int:
        """Perform an m5op, from the custom-3 instruction or simctl's MMIO twin; returns a0's value.
        Ending the run or checkpointing waits until the m5op has retired (`_after_m5op`). Pointers
        (readfile, writefile) are virtual addresses of ``hart``'s current address space."""
        name = M5OPS.get(func)
        args = [a & 0xFFFF_FFFF_FFFF_FFFF for a in args]  # registers, read as unsigned
        if name == "read_file":
            return self._read_file(hart, *args[:3])
        if name == "write_file":
            return self._write_file(hart, *args[:4])
        if name in ("exit", "fail"):
            self._exit_request = ("exit", 0 if name == "exit" else (args[1] if len(args) > 1 else 1) or 1)
        elif name == "reset_stats":
            self.reset_stats()
        elif name == "dump_stats":
            self.dump_stats("m5op dump_stats")
        elif name == "dump_reset_stats":
            self.dump_stats("m5op dump_reset_stats")
            self.reset_stats()
        elif name == "checkpoint":
            delay, period = args[0] * 1000, args[1] * 1000
            last = self._last_m5_checkpoint
            if last is not None and self.tick - last < M5_CHECKPOINT_MIN_GAP:
                return 0
            self._last_m5_checkpoint = self.tick
            if delay == 0:
                self._exit_request = ("checkpoint", 0)
            else:
                self.m5_checkpoint_due = self.tick + delay if self.tick + delay < M5_TICK_LIMIT else None
            self.m5_checkpoint_period = max(period, M5_CHECKPOINT_MIN_GAP) if period else 0
        elif name == "work_begin":  # a region's stats run from its begin to its end
            self.reset_stats()
            if self.stop_at_work_begin:
                self._exit_request = ("work_begin", 0)
        elif name == "work_end":
            self.dump_stats(f"work region {args[0]}")
            if self.stop_at_work_end:
                self._exit_request = ("work_end", 0)
        elif name == "switch_cpu":
            self._exit_request = ("switch_cpu", 0)
        return 0

    def _read_file(self, hart: int, buffer: int, length: int, offset: int) -> int:
        """gem5's readfile: up to ``length`` bytes of the --script file from ``offset`` into the guest
        buffer; returns the count (0 at the end, or without a script)."""
        if not self.script:
            if offset == 0:
                print("[graphsim] m5 readfile: no --script file was given; the guest reads nothing",
                      file=sys.stderr)
            return 0
        try:
            with open(self.script, "rb") as f:
                f.seek(offset)
                data = f.read(min(length, 1 << 24))
        except OSError as exc:
            raise MachineError(f"--script {self.script}: {exc.strerror or exc}") from None
        return GuestMemory(self, hart).write(buffer, data)

    def _write_file(self, hart: int, buffer: int, length: int, offset: int, name_address: int) -> int:
        """gem5's writefile: ``length`` bytes of the guest buffer into the host file named by the guest
        string at ``name_address``, inside the run directory, at ``offset`` (0 starts the file anew)."""
        memory = GuestMemory(self, hart)
        name = memory.read_string(name_address)
        relative = os.path.normpath(name.decode("utf-8", "replace")) if name else ""
        if not relative or os.path.isabs(relative) or relative.split(os.sep)[0] in ("..", "."):
            print(f"[graphsim] m5 writefile: refused host file name {name!r} (must stay inside the run "
                  "directory)", file=sys.stderr)
            return 0
        data = memory.read(buffer, length)
        path = os.path.join(self.outdir, relative)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "r+b" if offset and os.path.exists(path) else "wb") as f:
            f.seek(offset)
            f.write(data)
        return len(data)

    def _after_m5op(self) -> Stop | None:
        request = self._exit_request
        if request is None:
            return None
        self._exit_request = None
        kind, code = request
        if kind == "exit":
            return Stop("exit", exit_code=code, detail="m5op exit")
        if kind == "checkpoint":
            return Stop("checkpoint", detail="m5op")
        if kind in ("work_begin", "work_end"):
            return Stop(kind, detail=f"m5op {kind}")
        return Stop("switch_cpu", detail="m5op switch_cpu")

    # --- stats --------------------------------------------------------------

    def stats(self, reason: str) -> StatsDump:
        insts0, tick0 = self.stats_reset_at
        dump = StatsDump(reason)
        ticks = self.tick - tick0
        add = lambda name, value, desc, unit="": dump.values.__setitem__(name, Stat(value, desc, unit))  # noqa: E731
        add("simSeconds", ticks / 1e12, "Number of seconds simulated", "s")
        add("simTicks", ticks, "Number of ticks simulated", "tick")
        add("simInsts", self.instret - insts0, "Number of instructions simulated", "count")
        add("hostSeconds", round(self.host_seconds, 6), "Real time elapsed on the host", "s")
        add("hostInstRate", int(self.instret / self.host_seconds) if self.host_seconds else 0,
            "Simulator instruction rate", "inst/s")
        for hart, cpu in enumerate(self.cpus):
            insts = int(self.core.harts[hart, S.ICOUNT]) - self.stats_hart_insts[hart]
            cycles = ticks * cpu.params.frequency // 10**12
            prefix = f"system.{cpu.name}"
            add(f"{prefix}.committedInsts", insts, "Number of instructions committed", "count")
            add(f"{prefix}.numCycles", cycles, "Number of cpu cycles simulated", "cycle")
            add(f"{prefix}.ipc", round(insts / cycles, 6) if cycles else 0.0, "IPC: instructions per cycle",
                "inst/cycle")
        for name, value, desc, unit in self.core.stats():
            add(name, value, EXIT_DOCS.get(name.removeprefix("system.core.exits."), desc), unit)
        if self.uart is not None:
            tx, rx = (now - then for now, then in zip(self.uart_bytes, self.stats_uart_bytes))
            add(f"system.{self.uart.name}.txBytes", tx, "Bytes the guest transmitted (the UART is served inside "
                "the compiled core: its accesses are not exits)", "byte")
            add(f"system.{self.uart.name}.rxBytes", rx, "Bytes delivered to the guest", "byte")
        return dump

    def dump_stats(self, reason: str):
        self.stats_log.add(self.stats(reason))

    def reset_stats(self):
        self.core.reset_stats()
        self.stats_reset_at = (self.instret, self.tick)
        self.stats_uart_bytes = list(self.uart_bytes)
        self.stats_hart_insts = [int(v) for v in self.core.harts[:, S.ICOUNT]]

    # --- state ----------------------------------------------------------------

    def switch_cpu(self, model: str):
        """Continue on CPU model ``model`` (atomic, timing, pipelined). The current core drains
        (dirty lines written back, pending time applied); a core of the other model is built over
        the same hart, device and memory state. The caches keep their (clean) warm state where the
        new model has them with the same geometry, as a checkpoint's warm state would be restored;
        so do the branch predictors (cpu.atomic_warm's and cpu.pipelined's, of the same geometry)."""
        from ..checkpoint.restore import cpu_models, set_cpu_model
        from ..config.schema import Params

        kind = self.kinds.get(f"cpu.{model}")
        if kind is None or not model:
            raise MachineError(f"switch to {model!r}: expected one of {', '.join(cpu_models())}")
        if kind.kind == self.cpus[0].kind:
            return
        self.drain()
        old = self.core
        harts, dev = old.harts.copy(), old.dev.copy()
        queue = old._offs["rxq"]
        from ..cpu import layout as CL
        rx = (old.work[queue:queue + old.work[CL.C_RXQCAP]].copy(), int(old.work[CL.C_RXQHEAD]),
              int(old.work[CL.C_RXQCOUNT]))
        predictors = {cpu.name: {f.name: cpu.state_arrays[f.name].copy() for f in cpu.state if not f.architectural}
                      for cpu in self.cpus}  # warm predictor state: carried where the new model has it
        cpus = []
        for cpu in self.cpus:
            params = Params({name: cpu.params[name] if name in cpu.params else decl.default_value()
                             for name, decl in kind.params_decl.items()})
            new = kind(cpu.name, params)
            new.hartid = cpu.hartid
            new.allocate_state()
            self.components[cpu.name] = new
            self.graph.graph.nodes[cpu.name]["kind"] = kind.kind
            cpus.append(new)
        self.cpus = cpus
        warm = {}  # the caches' (and memory controller's) warm state, drained: carried where it fits
        for component in self.components.values():
            if getattr(component, "warm_state", False):
                warm[component.name] = {f.name: component.state_arrays[f.name].copy()
                                        for f in component.state if not f.architectural}
                for field_decl in component.state:
                    if not field_decl.architectural:
                        component.state_arrays[field_decl.name] = np.zeros_like(
                            component.state_arrays[field_decl.name])
                component.warm_state = False
        set_cpu_model(self.graph.source, model)
        self.core = self._build_core()
        for name, fields in warm.items():
            component = self.components[name]
            if getattr(component, "warm_state", False) and _warm_state_matches(component, fields):
                for field_name, value in fields.items():
                    if value.shape == component.state_arrays[field_name].shape:
                        component.state_arrays[field_name][...] = value
        for cpu in self.cpus:
            fields = predictors[cpu.name]
            if fields and _warm_state_matches(cpu, fields):
                for field_name, value in fields.items():
                    if field_name in cpu.state_arrays and value.shape == cpu.state_arrays[field_name].shape:
                        cpu.state_arrays[field_name][...] = value
        self.core.harts[:] = harts
        self.core.dev[:] = dev
        queue = self.core._offs["rxq"]
        self.core.work[queue:queue + len(rx[0])] = rx[0]
        self.core.work[CL.C_RXQHEAD], self.core.work[CL.C_RXQCOUNT] = rx[1], rx[2]
        self.core.after_restore()
        self.core.reset_stats()  # the new model's statistics start at the switch

    def drain(self):
        """Bring the machine to a consistent point for a checkpoint: every hart is already at an
        instruction boundary between slices, virtio requests complete synchronously, the UART's
        output buffer goes to the console so the console tail is complete, and a timing model
        writes back its caches' dirty lines (counted in its stats)."""
        if self.core.mmio_reply_pending():
            # An instruction that exited for MMIO has been served but not retired: retire it now,
            # or a restore would perform the device access a second time.
            self.core.run(1, -1)
        self._drain_uart()
        self.core.drain()

    def used_mask(self, hart: int) -> int:
        return int(self.core.harts[hart, S.USED])

    def hart_instret(self, hart: int) -> int:
        return int(self.core.harts[hart, S.ICOUNT])

    def save_state(self) -> SavedState:
        """Everything needed to continue: every component's declared state and the disk overlays."""
        components = {}
        for name, component in self.components.items():
            if component.state:
                components[name] = ComponentState(component.kind, component.state_version,
                                                  dict(component.state_arrays))
        disks = {}
        for component in self.graph.of_kind("virtio_blk"):
            disks[component.name] = {"base": component.disk.identity(), "overlay": dict(component.disk.overlay)}
        return SavedState(components, disks)

    def load_state(self, state: SavedState):
        """Copy a verified checkpoint's state into this (freshly built) machine."""
        for name, saved in state.components.items():
            component = self.components[name]
            if saved.kind != component.kind and component.role != "cpu":
                raise MachineError(f"checkpoint component {name} is a {saved.kind}, machine's is a {component.kind}")
            warm = _warm_state_matches(component, saved.fields)
            for field_decl in component.state:
                target = component.state_arrays[field_decl.name]
                value = saved.fields.get(field_decl.name)
                if value is None or value is target:
                    continue  # added since the checkpoint's state version (starts zeroed), or adopted
                if not field_decl.architectural and (not warm or value.shape != target.shape):
                    continue  # warm timing state of another geometry (or none): this component starts cold
                if value.shape != target.shape:
                    raise MachineError(f"checkpoint {name}.{field_decl.name} has shape {value.shape}, "
                                       f"the machine's is {target.shape}")
                target[...] = value
        for name, disk in state.disks.items():
            attached = self.components[name].disk
            # The overlay holds sectors of the image it was written against; a swapped image starts clean.
            if {k: disk["base"].get(k) for k in ("size", "sha256")} == {k: attached.identity()[k] for k in ("size", "sha256")}:
                attached.overlay = dict(disk["overlay"])
        self.core.after_restore()
        self.reset_stats()

    def digest(self) -> str:
        """SHA-256 of the architectural state: hart registers and CSRs, memory, device registers, disk overlays."""
        digest = hashlib.sha256()
        for name in sorted(self.components):
            component = self.components[name]
            for field_decl in component.state:
                if field_decl.architectural and field_decl.name not in getattr(component, "digest_exclude", ()):
                    digest.update(f"{name}.{field_decl.name}".encode())
                    digest.update(np.ascontiguousarray(component.state_arrays[field_decl.name]).tobytes())
        for component in sorted(self.graph.of_kind("virtio_blk"), key=lambda c: c.name):
            for sector in sorted(component.disk.overlay):
                digest.update(sector.to_bytes(8, "little") + component.disk.overlay[sector])
        return digest.hexdigest()

    def close(self):
        for component in self.graph.of_kind("virtio_blk"):
            if component.disk is not None:
                component.disk.close()


def _warm_state_matches(component, fields: dict) -> bool:
    """Whether a checkpoint's warm (non-architectural) state fits this component: the geometry it
    was recorded with equals the component's (``warm_geometry``; all zero means none was recorded)."""
    expected = getattr(component, "warm_geometry", None)
    if expected is None:
        return True
    saved = fields.get("warm_geometry")
    want = expected()
    return saved is not None and saved.shape == want.shape and bool(saved.any()) and bool((saved == want).all())
