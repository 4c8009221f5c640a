"""Device tree generated from the machine graph, laid out as QEMU's virt machine
lays out its own (so Linux and OpenSBI find what they expect), and encoded as a
flattened device tree blob (FDT v17) without external tools."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from ..isa.encoding import parse_isa
from .elaborate import MachineGraph

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_END = 1, 2, 3, 9

IRQ_M_SOFT, IRQ_S_TIMER, IRQ_M_TIMER, IRQ_S_EXT, IRQ_M_EXT = 3, 5, 7, 9, 11


def u32(*values: int) -> bytes:
    return b"".join(struct.pack(">I", v & 0xFFFF_FFFF) for v in values)


def u64_cells(*values: int) -> bytes:
    """Each value as two cells (#address-cells = #size-cells = 2)."""
    return b"".join(struct.pack(">II", v >> 32, v & 0xFFFF_FFFF) for v in values)


def string(*values: str) -> bytes:
    return b"".join(v.encode() + b"\0" for v in values)


EMPTY = b""


@dataclass
class Node:
    name: str
    props: dict[str, bytes] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)

    def child(self, name: str, props: dict[str, bytes] | None = None) -> "Node":
        node = Node(name, dict(props or {}))
        self.children.append(node)
        return node

    def set(self, name: str, value: bytes) -> "Node":
        self.props[name] = value
        return self

    def find(self, path: str) -> "Node | None":
        node = self
        for part in filter(None, path.split("/")):
            node = next((c for c in node.children if c.name == part), None)
            if node is None:
                return None
        return node


def encode(root: Node, boot_cpu: int = 0) -> bytes:
    """The FDT blob of a tree."""
    strings = bytearray()
    offsets: dict[str, int] = {}
    structure = bytearray()

    def name_offset(name: str) -> int:
        if name not in offsets:
            offsets[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return offsets[name]

    def pad():
        structure.extend(b"\0" * (-len(structure) % 4))

    def emit(node: Node):
        structure.extend(u32(FDT_BEGIN_NODE))
        structure.extend(node.name.encode() + b"\0")
        pad()
        for prop, value in node.props.items():
            structure.extend(u32(FDT_PROP, len(value), name_offset(prop)))
            structure.extend(value)
            pad()
        for child in node.children:
            emit(child)
        structure.extend(u32(FDT_END_NODE))

    emit(root)
    structure.extend(u32(FDT_END))
    header_size = 40
    reserve = bytes(16)  # an empty memory-reservation map: one terminating (0, 0) entry
    off_rsv = header_size
    off_struct = off_rsv + len(reserve)
    off_strings = off_struct + len(structure)
    total = off_strings + len(strings)
    header = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsv, 17, 16, boot_cpu,
                         len(strings), len(structure))
    return header + reserve + bytes(structure) + bytes(strings)


@dataclass
class BootInfo:
    bootargs: str = ""
    initrd: tuple[int, int] | None = None  # (start, end)


def build_tree(machine: MachineGraph, boot: BootInfo) -> Node:
    root = Node("", {"#address-cells": u32(2), "#size-cells": u32(2),
                     "compatible": string("riscv-virtio"), "model": string(f"graphsim,{machine.name}")})
    phandles = iter(range(1, 1 << 30))
    chosen = root.child("chosen")
    if boot.bootargs:
        chosen.set("bootargs", string(boot.bootargs))
    if boot.initrd:
        chosen.set("linux,initrd-start", u64_cells(boot.initrd[0])).set("linux,initrd-end", u64_cells(boot.initrd[1]))

    clint = next(iter(machine.of_kind("clint")), None)
    timebase = clint.params.timebase_frequency if clint else 10_000_000
    cpus = root.child("cpus", {"#address-cells": u32(1), "#size-cells": u32(0),
                               "timebase-frequency": u32(timebase)})
    intc_of: dict[str, int] = {}
    cache_nodes: dict[str, Node] = {}  # shared (level >= 2) caches' nodes, after the cpu nodes
    cpu_map = Node("cpu-map")
    cluster = cpu_map.child("cluster0")
    for hartid, name in enumerate(machine.cpus):
        cpu = machine.components[name]
        xlen = 32 if cpu.params.isa.startswith("rv32") else 64
        cpu_phandle, intc_phandle = next(phandles), next(phandles)
        node = cpus.child(f"cpu@{hartid}", {
            "phandle": u32(cpu_phandle), "device_type": string("cpu"), "reg": u32(hartid),
            "status": string("okay"), "compatible": string("riscv"),
            "riscv,isa": string(parse_isa(cpu.params.isa).canonical()),  # G expanded, in canonical order
            "mmu-type": string("riscv,sv32" if xlen == 32 else "riscv,sv39")})
        node.child("interrupt-controller", {"#interrupt-cells": u32(1), "interrupt-controller": EMPTY,
                                            "compatible": string("riscv,cpu-intc"), "phandle": u32(intc_phandle)})
        intc_of[name] = intc_phandle
        _add_caches(machine, name, node, cpus, cache_nodes, phandles)
        cluster.child(f"core{hartid}", {"cpu": u32(cpu_phandle)})
    cpus.children.extend(cache_nodes.values())
    cpus.children.append(cpu_map)

    for memory in machine.of_role("memory"):
        base, size = memory.address_range()
        root.child(f"memory@{base:x}", {"device_type": string("memory"), "reg": u64_cells(base, size)})

    soc = root.child("soc", {"#address-cells": u32(2), "#size-cells": u32(2),
                             "compatible": string("simple-bus"), "ranges": EMPTY})
    plic_phandle = {}
    for plic in machine.of_kind("plic"):
        plic_phandle[plic.name] = next(phandles)
    for component in sorted(machine.components.values(), key=lambda c: (c.address_range() or (0, 0))[0]):
        rng = component.address_range()
        if rng is None or component.role == "memory":
            continue
        base, size = rng
        reg = u64_cells(base, size)
        kind = component.kind
        if kind == "clint":
            cells = u32(*[v for cpu in machine.cpus for v in (intc_of[cpu], IRQ_M_SOFT, intc_of[cpu], IRQ_M_TIMER)])
            soc.child(f"clint@{base:x}", {"interrupts-extended": cells, "reg": reg,
                                          "compatible": string("sifive,clint0", "riscv,clint0")})
        elif kind == "plic":
            cells = u32(*[v for cpu in machine.cpus for v in (intc_of[cpu], IRQ_M_EXT, intc_of[cpu], IRQ_S_EXT)])
            soc.child(f"plic@{base:x}", {
                "phandle": u32(plic_phandle[component.name]), "riscv,ndev": u32(component.params.num_sources - 1),
                "reg": reg, "interrupts-extended": cells, "interrupt-controller": EMPTY,
                "compatible": string("sifive,plic-1.0.0", "riscv,plic0"),
                "#interrupt-cells": u32(1), "#address-cells": u32(0)})
        elif kind == "uart16550":
            node = soc.child(f"serial@{base:x}", {"reg": reg, "compatible": string("ns16550a"),
                                                  "clock-frequency": u32(component.params.clock_frequency)})
            _add_irq(machine, component, node, plic_phandle)
            if not any(c.kind == "uart16550" and c.address_range()[0] < base for c in machine.components.values()):
                chosen.set("stdout-path", string(f"/soc/serial@{base:x}"))
        elif kind in ("virtio_blk", "virtio_mmio"):
            node = soc.child(f"virtio_mmio@{base:x}", {"reg": reg, "compatible": string("virtio,mmio")})
            _add_irq(machine, component, node, plic_phandle)
        elif kind == "sifive_test":
            test_phandle = next(phandles)
            soc.child(f"test@{base:x}", {"phandle": u32(test_phandle), "reg": reg,
                                         "compatible": string("sifive,test1", "sifive,test0", "syscon")})
            for action, value in (("poweroff", 0x5555), ("reboot", 0x7777)):
                root.child(action, {"value": u32(value), "offset": u32(0), "regmap": u32(test_phandle),
                                    "compatible": string(f"syscon-{action}")})
        elif kind == "simctl":
            soc.child(f"simctl@{base:x}", {"reg": reg, "compatible": string("graphsim,simctl")})
    return root


def _cache_behind(machine: MachineGraph, name: str, port: str):
    """The cache component bound to ``name.port``, or None (memory, a bus, nothing)."""
    for peer, _ in machine.peers(name, port):
        component = machine.components[peer]
        if component.kind == "cache":
            return component
    return None


def _cache_geometry(cache, prefix: str = "") -> dict[str, bytes]:
    size, line = cache.params.size, cache.params.line_size
    return {f"{prefix}cache-size": u32(size), f"{prefix}cache-sets": u32(size // (line * cache.params.assoc)),
            f"{prefix}cache-block-size": u32(line)}


def _add_caches(machine: MachineGraph, cpu: str, node: Node, cpus: Node, cache_nodes: dict[str, Node], phandles):
    """The caches in front of a hart, as Linux's cacheinfo reads them: the L1s' geometry on the
    cpu node (i-cache-*, d-cache-*, or cache-* for one unified L1), next-level-cache pointing at
    a node per shared cache (compatible "cache", cache-level, cache-unified), chained onwards."""
    icache, dcache = _cache_behind(machine, cpu, "icache_port"), _cache_behind(machine, cpu, "dcache_port")
    if icache is not None and icache is dcache:
        node.props.update(_cache_geometry(icache))
        node.set("cache-unified", EMPTY)
    else:
        for cache, prefix in ((icache, "i-"), (dcache, "d-")):
            if cache is not None:
                node.props.update(_cache_geometry(cache, prefix))
    below = dcache or icache
    level = 2
    while below is not None:
        after = _cache_behind(machine, below.name, "mem_side")
        if after is None:
            break
        if after.name not in cache_nodes:
            cache_nodes[after.name] = Node(f"{after.name}-cache", {
                "phandle": u32(next(phandles)), "compatible": string("cache"), "cache-level": u32(level),
                "cache-unified": EMPTY, **_cache_geometry(after)})
        node.set("next-level-cache", cache_nodes[after.name].props["phandle"])
        node = cache_nodes[after.name]
        below, level = after, level + 1


def _add_irq(machine: MachineGraph, component, node: Node, plic_phandle: dict[str, int]):
    for route in machine.irq_map:
        if route.source == component.name and route.controller in plic_phandle:
            node.set("interrupts", u32(route.irq)).set("interrupt-parent", u32(plic_phandle[route.controller]))


def generate_dtb(machine: MachineGraph, boot: BootInfo) -> bytes:
    """The machine's device tree, with /chosen/rng-seed as QEMU's virt gives one: 32 bytes that Linux
    credits to its random pool at once, so nothing in the boot waits for entropy (getrandom blocks
    until the pool is ready; without a seed Linux gathers it from timer jitter, seconds of
    simulated idle time). The seed is the hash of the rest of the tree: deterministic, the same for
    the same machine and command line, as the digests need."""
    root = build_tree(machine, boot)
    seed = hashlib.sha256(b"graphsim rng-seed\0" + encode(root)).digest()
    root.find("chosen").set("rng-seed", seed)
    return encode(root)
