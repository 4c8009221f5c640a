"""Elaboration: a merged machine document → typed components in a networkx graph.

Nodes are component instances, edges are port bindings (requester → responder).
Every problem found is collected and reported together, each naming the file
and key path it comes from. The result, `MachineGraph`, carries what later
stages need: instantiation order, hart ids, the address map each CPU sees,
the interrupt map, and the workload to boot.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..config import units
from ..config.loader import MACHINE_KEYS, TOP_LEVEL_KEYS, WORKLOAD_KEYS, MachineSource
from ..config.schema import PHYS_ADDRESS_LIMIT, REQUESTER, Component, FilePath, Params, closest, component_kinds
from ..errors import Problems
from ..safe_io import host_memory

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_KEYS = {"type", "count", "remove"}
MAX_ARRAY = 1024  # members of one array
MEMORY_PROTOCOL = "mem"
IRQ_PROTOCOL = "irq"


def port_peers(graph: nx.MultiDiGraph, name: str, port: str) -> list[tuple[str, str]]:
    """(component, port) pairs bound to ``name.port``, in binding order."""
    found = [(dst, data["dst_port"]) for _, dst, data in graph.out_edges(name, data=True)
             if data["src_port"] == port]
    found += [(src, data["src_port"]) for src, _, data in graph.in_edges(name, data=True)
              if data["dst_port"] == port]
    return found


@dataclass(frozen=True)
class AddressRange:
    base: int
    size: int
    component: str
    kind: str

    @property
    def end(self) -> int:
        return self.base + self.size

    def __str__(self):
        return f"0x{self.base:010x}-0x{self.end - 1:010x} {self.component} ({self.kind})"


@dataclass(frozen=True)
class IrqRoute:
    source: str
    irq: int
    controller: str


@dataclass
class MachineGraph:
    """An elaborated machine: components by name in instantiation order, and the graph joining them."""

    name: str
    description: str
    source: MachineSource
    components: dict[str, Component]
    graph: nx.MultiDiGraph
    cpus: list[str]
    address_map: dict[str, list[AddressRange]]
    irq_map: list[IrqRoute]
    workload: dict = field(default_factory=dict)
    declared_as: dict[str, str] = field(default_factory=dict)  # member name → the table that declared it

    def setting(self, *key: str) -> str:
        """``FILE: a.b.c``: a key of this machine and the file that set it, for errors about what it names."""
        return f"{self.source.origin(*key)}: {'.'.join(key)}"

    def of_role(self, role: str) -> list[Component]:
        return [c for c in self.components.values() if c.role == role]

    def of_kind(self, kind: str) -> list[Component]:
        return [c for c in self.components.values() if c.kind == kind]

    def peers(self, name: str, port: str) -> list[tuple[str, str]]:
        return port_peers(self.graph, name, port)

    def memory_targets(self, cpu: str) -> list[AddressRange]:
        return self.address_map[cpu]


@dataclass
class _Binding:
    owner: str  # the table the binding was written in (an array's base name or a single component)
    port: str
    target: str  # "component.port" as written
    key: tuple  # key path for errors


class _Elaborator:
    def __init__(self, source: MachineSource):
        self.source = source
        self.problems = Problems()
        self.kinds = component_kinds()
        self.components: dict[str, Component] = {}
        self.arrays: dict[str, list[str]] = {}  # table name → member names
        self.declared_as: dict[str, str] = {}
        self.bindings: list[_Binding] = []
        self.failed_bindings: set[tuple[str, str]] = set()  # (table, port) whose binding was refused
        self.graph = nx.MultiDiGraph()
        self._reported: set[tuple] = set()

    def problem(self, key: tuple, message: str):
        # An empty key part is shown as "" so that the key path still points at it.
        shown = ".".join(str(part) if part != "" else '""' for part in key)
        where = (self.source.origin(*key), shown or None, message)
        if where not in self._reported:  # array members share their tables: each problem once
            self._reported.add(where)
            self.problems.add(*where)

    # --- document structure ------------------------------------------------

    def check_top_level(self):
        data = self.source.data
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                hint = closest(key, TOP_LEVEL_KEYS)
                self.problem((key,), "unknown key" + (f"; did you mean {hint!r}?" if hint else
                                                      f" (expected one of {', '.join(sorted(TOP_LEVEL_KEYS))})"))
        for table, allowed in (("machine", MACHINE_KEYS), ("workload", WORKLOAD_KEYS)):
            value = data.get(table, {})
            if not isinstance(value, dict):
                self.problem((table,), "must be a table")
                continue
            for key in value:
                if key not in allowed:
                    hint = closest(key, allowed)
                    self.problem((table, key), "unknown key" + (f"; did you mean {hint!r}?" if hint else
                                                                f" (expected one of {', '.join(sorted(allowed))})"))
        workload = data.get("workload", {})
        if isinstance(workload, dict):
            for key in ("kernel", "firmware", "initrd", "dtb", "bootargs"):
                if key in workload and not isinstance(workload[key], str):
                    self.problem(("workload", key), f"{workload[key]!r} is not a string")
        if isinstance(workload, dict) and "load_address" in workload:
            try:
                units.parse_address(workload["load_address"])
            except units.UnitError as exc:
                self.problem(("workload", "load_address"), str(exc))

    def declared_tables(self) -> dict[str, dict]:
        components = self.source.data.get("components")
        if components is None:
            self.problem(("components",), "missing: a machine needs at least one [components.NAME] table")
            return {}
        if not isinstance(components, dict):
            self.problem(("components",), "must be a table of components")
            return {}
        tables = {}
        for name, table in components.items():
            key = ("components", name)
            if not isinstance(table, dict):
                self.problem(key, f"must be a table with a 'type' (got {table!r})")
            elif not NAME_PATTERN.match(name):
                self.problem(key, "is not a valid component name (letters, digits and _, not starting with a digit)")
            elif table.get("remove") is True:
                continue
            else:
                tables[name] = table
        return tables

    def resolve_path(self, key: tuple, value: str) -> str:
        """A relative file name is relative to the machine file that wrote it (``--set`` ones to the cwd)."""
        origin = self.source.origin(*key)
        if not value or os.path.isabs(value) or origin == "--set" or origin.startswith("<"):
            return value
        return os.path.abspath(os.path.join(os.path.dirname(origin), value))

    def resolved_workload(self) -> dict:
        workload = dict(self.source.data.get("workload", {}))
        for key in ("kernel", "firmware", "initrd", "dtb"):
            if isinstance(workload.get(key), str):
                workload[key] = self.resolve_path(("workload", key), workload[key])
        return workload

    # --- instances ---------------------------------------------------------

    def instantiate(self, tables: dict[str, dict]):
        for name, table in tables.items():
            key = ("components", name)
            kind_name = table.get("type")
            if kind_name is None:
                self.problem(key + ("type",), f"missing; say which kind of component {name!r} is")
                continue
            if not isinstance(kind_name, str) or kind_name not in self.kinds:
                hint = closest(str(kind_name), self.kinds)
                self.problem(key + ("type",), f"unknown component type {kind_name!r}"
                             + (f"; did you mean {hint!r}?" if hint else "; see 'graphsim docs' for the kinds"))
                continue
            kind = self.kinds[kind_name]
            members = self.expand(name, table)
            if members is None:
                continue
            params = self.parse_params(name, table, kind)
            for member in members:
                if member in self.components or (member != name and member in tables):
                    self.problem(key + ("count",), f"member name {member!r} clashes with another component")
                    continue
                component = kind(member, Params(params))
                self.components[member] = component
                self.declared_as[member] = name
                self.graph.add_node(member, kind=kind.kind, role=kind.role)
            self.arrays[name] = members

    def expand(self, name: str, table: dict) -> list[str] | None:
        if "count" not in table:
            return [name]
        count = table["count"]
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ARRAY:
            self.problem(("components", name, "count"), f"{count!r} is not an integer from 1 to {MAX_ARRAY}")
            return None
        return [f"{name}{i}" for i in range(count)]

    def parse_params(self, name: str, table: dict, kind: type[Component]) -> dict:
        params = {}
        for key, raw in table.items():
            path = ("components", name, key)
            if key in RESERVED_KEYS:
                continue
            if key in kind.ports_decl:
                targets = [raw] if isinstance(raw, str) else raw
                if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                    self.problem(path, f"{raw!r} is not a port binding (expected 'component.port' or a list of them)")
                    continue
                for target in targets:
                    self.bindings.append(_Binding(name, key, target, path))
                continue
            decl = kind.params_decl.get(key)
            if decl is None:
                hint = closest(key, list(kind.params_decl) + list(kind.ports_decl))
                self.problem(path, f"unknown parameter of {kind.kind}"
                             + (f"; did you mean {hint!r}?" if hint else "; see 'graphsim docs " + kind.kind + "'"))
                continue
            try:
                params[key] = decl.parse(raw)
                if decl.type is FilePath:
                    params[key] = self.resolve_path(path, params[key])
            except units.UnitError as exc:
                self.problem(path, f"{exc} (expected {decl.type.name}, e.g. {decl.type.example})")
        for pname, decl in kind.params_decl.items():
            if pname in params:
                continue
            if decl.required:
                self.problem(("components", name, pname), f"missing required parameter ({decl.doc})")
            else:
                params[pname] = decl.default_value()
        return params

    # --- bindings ----------------------------------------------------------

    def resolve_target(self, binding: _Binding) -> tuple[list[str], str] | None:
        if binding.target.count(".") != 1:
            self.problem(binding.key, f"{binding.target!r} is not 'component.port'")
            return None
        comp, port = binding.target.split(".")
        if comp in self.arrays:
            return self.arrays[comp], port
        if comp in self.components:
            return [comp], port
        hint = closest(comp, list(self.arrays) + list(self.components))
        self.problem(binding.key, f"{binding.target!r} names no component {comp!r}"
                     + (f"; did you mean {hint!r}?" if hint else ""))
        return None

    def bind(self):
        for binding in self.bindings:
            before = len(self.problems.items)
            self.bind_one(binding)
            if len(self.problems.items) > before:
                self.failed_bindings.add((binding.owner, binding.port))

    def bind_one(self, binding: _Binding):
        """Add the edges of one binding, or record why it cannot be made."""
        owners = self.arrays.get(binding.owner, [])
        resolved = self.resolve_target(binding)
        if not owners or resolved is None:
            return
        targets, target_port = resolved
        target_kind = type(self.components[targets[0]])
        if target_port not in target_kind.ports_decl:
            hint = closest(target_port, target_kind.ports_decl)
            self.problem(binding.key, f"{binding.target!r}: {target_kind.kind} has no port {target_port!r}"
                         + (f"; did you mean {hint!r}?" if hint else
                            f" (its ports: {', '.join(target_kind.ports_decl) or 'none'})"))
            return
        own = type(self.components[owners[0]]).ports_decl[binding.port]
        other = target_kind.ports_decl[target_port]
        if own.protocol != other.protocol:
            self.problem(binding.key, f"protocol mismatch: {binding.port} speaks {own.protocol!r} but "
                         f"{binding.target} speaks {other.protocol!r}")
            return
        if own.direction == other.direction:
            self.problem(binding.key, f"{binding.port} and {binding.target} are both {own.direction}s; "
                         "a binding joins a requester to a responder")
            return
        pairs = self.pair_members(binding, owners, targets)
        for a, b in pairs:
            if own.direction == REQUESTER:
                src, src_port, dst, dst_port = a, binding.port, b, target_port
            else:
                src, src_port, dst, dst_port = b, target_port, a, binding.port
            if not any(d["src_port"] == src_port and d["dst_port"] == dst_port
                       for d in self.graph.get_edge_data(src, dst, default={}).values()):
                self.graph.add_edge(src, dst, src_port=src_port, dst_port=dst_port,
                                    protocol=own.protocol, key_path=".".join(binding.key))

    def pair_members(self, binding: _Binding, owners: list[str], targets: list[str]):
        """Arrays of equal size bind member to member; a single component binds to every member."""
        if len(owners) > 1 and len(targets) > 1:
            if len(owners) != len(targets):
                target = binding.target.split(".")[0]
                # blame the count that was set apart from the binding (an including file's override)
                here = self.source.origin(*binding.key)
                key = binding.key
                for table in (binding.owner, target):
                    if self.source.origin("components", table, "count") != here:
                        key = ("components", table, "count")
                        break
                self.problem(key, f"{binding.owner} has {len(owners)} members and {target} {len(targets)}, but "
                             f"{'.'.join(binding.key[1:])} = {binding.target!r} ({here}) binds them member to "
                             f"member: counts differ")
                return []
            return list(zip(owners, targets))
        return [(a, b) for a in owners for b in targets]

    # --- derived parameters ------------------------------------------------

    def fill_derived(self):
        cpus = [c for c in self.components.values() if c.role == "cpu"]
        for hartid, cpu in enumerate(cpus):
            cpu.hartid = hartid
        for name, component in self.components.items():
            if "num_harts" in component.params_decl and not self.user_set(name, "num_harts"):
                component.params["num_harts"] = max(1, len(cpus))

    def user_set(self, member: str, param: str) -> bool:
        table = self.source.data["components"][self.declared_as[member]]
        return param in table

    # --- checks ------------------------------------------------------------

    def key_of(self, member: str, *rest) -> tuple:
        return ("components", self.declared_as[member]) + rest

    def check_ports(self):
        for name, component in self.components.items():
            for port_name, port in component.ports_decl.items():
                peers = port_peers(self.graph, name, port_name)
                if len(peers) > 1 and not port.vector:
                    shown = ", ".join(f"{c}.{p}" for c, p in peers)
                    self.problem(self.key_of(name, port_name), f"bound more than once ({shown}); "
                                 "this port takes one peer")
                if not peers and port.required and port.direction == REQUESTER \
                        and (self.declared_as[name], port_name) not in self.failed_bindings:
                    if port.protocol == IRQ_PROTOCOL:
                        message = "interrupt line not routed to a controller"
                    else:
                        message = f"required port is not bound ({port.doc})"
                    self.problem(self.key_of(name, port_name), message)

    def memory_graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(self.graph.nodes)
        g.add_edges_from((s, d) for s, d, data in self.graph.edges(data=True) if data["protocol"] == MEMORY_PROTOCOL)
        return g

    def check_wiring(self, mem: nx.DiGraph):
        """A CPU's ports and a cache's memory side lead, through caches and buses, to memory: a
        device is reached through a bus, never as the next level of a hierarchy, and every such
        port must have a memory behind it (or its accesses would go nowhere, or bypass levels)."""
        memories = {n for n, c in self.components.items() if c.role == "memory"}
        edges = [(src, dst, data) for src, dst, data in self.graph.edges(data=True)
                 if data["protocol"] == MEMORY_PROTOCOL and self.components[src].role in ("cpu", "cache")]
        miswired = set()
        for src, dst, data in edges:
            peer = self.components[dst]
            if peer.role not in ("cache", "bus", "memory"):
                miswired.add(src)
                what = "a cache's memory side" if self.components[src].role == "cache" else \
                    f"a CPU's {data['src_port']}"
                self.problem(tuple(data["key_path"].split(".")), f"{dst}.{data['dst_port']} is a {peer.kind}: "
                             f"{what} leads through caches and buses to memory (devices hang off a bus)")
        for src, dst, data in edges:
            below = {dst} | nx.descendants(mem, dst)
            # reported where the path ends (a bus with no memory behind it); a cache further down
            # reports its own memory side
            if self.components[dst].role != "cache" and src not in miswired and not below & miswired \
                    and not below & memories:
                what = "a cache's memory side" if self.components[src].role == "cache" else \
                    f"a CPU's {data['src_port']}"
                self.problem(tuple(data["key_path"].split(".")), f"{what} reaches no memory through {dst}")

    def check_memory_paths(self, mem: nx.DiGraph, report: bool = True) -> dict[str, list[AddressRange]]:
        try:
            cycle = nx.find_cycle(mem)
            names = " -> ".join([cycle[0][0]] + [edge[1] for edge in cycle])
            self.problem(self.key_of(cycle[0][0]), f"cycle in the memory path: {names}")
            return {}
        except nx.NetworkXNoCycle:
            pass
        address_map = {}
        reached: set[str] = set()
        for name, component in self.components.items():
            if component.role != "cpu":
                continue
            targets = []
            for other in nx.descendants(mem, name):
                rng = self.components[other].address_range()
                if rng is not None and mem.out_degree(other) == 0:
                    targets.append(AddressRange(rng[0], rng[1], other, self.components[other].kind))
            targets.sort(key=lambda r: (r.base, r.component))
            reached.update(t.component for t in targets)
            address_map[name] = targets
            if report and not any(self.components[t.component].role == "memory" for t in targets):
                self.problem(self.key_of(name), "this CPU cannot reach any memory")
            for a, b in zip(targets, targets[1:]):
                if b.base < a.end:
                    self.problem(self.key_of(b.component, "base"),
                                 f"address range 0x{b.base:x}+{units.format_size(b.size)} overlaps "
                                 f"{a.component} (0x{a.base:x}+{units.format_size(a.size)}) as seen from {name}")
        for name, component in self.components.items():
            if report and component.address_range() is not None and name not in reached and address_map:
                self.problem(self.key_of(name), "unreachable: no CPU's memory path leads to it")
        return address_map

    def interrupt_map(self) -> list[IrqRoute]:
        routes = []
        by_controller: dict[tuple[str, int], str] = {}
        for src, dst, data in self.graph.edges(data=True):
            if data["protocol"] != IRQ_PROTOCOL:
                continue
            source = self.components[src]
            irq = source.params.get("irq")
            if irq is None:
                continue
            controller = self.components[dst]
            limit = controller.params.get("num_sources")
            if irq < 1 or (limit is not None and irq >= limit):
                self.problem(self.key_of(src, "irq"), f"interrupt {irq} is outside {dst}'s sources "
                             f"1..{(limit or 1) - 1}")
            previous = by_controller.get((dst, irq))
            if previous and previous != src:
                self.problem(self.key_of(src, "irq"), f"interrupt {irq} on {dst} is already used by {previous}")
            by_controller[(dst, irq)] = src
            routes.append(IrqRoute(src, irq, dst))
        return sorted(routes, key=lambda r: (r.controller, r.irq))

    def check_components(self):
        seen = set()
        for name, component in self.components.items():
            table = self.declared_as[name]
            if table in seen:  # members of an array share their parameters: report once
                continue
            seen.add(table)
            for param, message in component.check():
                self.problem(self.key_of(name, param), message)
            self.check_extent(name, component)

    def check_extent(self, name: str, component: Component):
        """What every component must keep to: its address range inside the physical address space, a
        memory no larger than this host can hold."""
        try:
            state_bytes = sum(int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
                              for dtype, shape in component.state_shapes().values())
        except (KeyError, TypeError, ValueError, AttributeError):
            state_bytes = 0  # a parameter it depends on is already reported
        if state_bytes > host_memory():
            self.problem(("components", self.declared_as[name]), f"its state would take {state_bytes:,} bytes, "
                                                                 f"more than this host's memory")
        rng = component.address_range()
        if rng is None or not all(isinstance(v, int) for v in rng):
            return
        base, size = rng
        if base + size > PHYS_ADDRESS_LIMIT:
            self.problem(self.key_of(name, "base"), f"0x{base:x} + {units.format_size(size)} ends beyond the "
                                                    f"56-bit physical address space")
        if component.role == "memory" and size > host_memory():
            self.problem(self.key_of(name, "size"), f"{units.format_size(size)} is more than this host's memory "
                                                    f"({units.format_size(host_memory())})")

    def instantiation_order(self, mem: nx.DiGraph) -> list[str]:
        """Responders before the requesters that use them; declaration order breaks ties."""
        position = {name: i for i, name in enumerate(self.components)}
        try:
            order = list(nx.lexicographical_topological_sort(mem.reverse(), key=position.__getitem__))
        except nx.NetworkXUnfeasible:
            order = list(self.components)
        return order

    def run(self) -> MachineGraph:
        self.check_top_level()
        tables = self.declared_tables()
        self.instantiate(tables)
        before = len(self.problems.items)
        self.bind()
        structural = len(self.problems.items) - before
        self.fill_derived()
        self.check_components()
        before = len(self.problems.items)
        self.check_ports()
        mem = self.memory_graph()
        self.check_wiring(mem)
        structural += len(self.problems.items) - before
        # with a binding refused or miswired, what is then unreachable only follows from it
        address_map = self.check_memory_paths(mem, report=not structural)
        if not any(c.role == "cpu" for c in self.components.values()) and self.components:
            self.problem(("components",), "no CPU: a machine needs at least one cpu.* component")
        irq_map = self.interrupt_map()
        self.problems.raise_if_any()
        order = self.instantiation_order(mem)
        machine = self.source.data.get("machine", {})
        return MachineGraph(
            name=machine.get("name", "machine"),
            description=machine.get("description", ""),
            source=self.source,
            components={name: self.components[name] for name in order},
            graph=self.graph,
            cpus=[n for n, c in self.components.items() if c.role == "cpu"],
            address_map=address_map,
            irq_map=irq_map,
            workload=self.resolved_workload(),
            declared_as=self.declared_as,
        )


def elaborate(source: MachineSource) -> MachineGraph:
    """Give a merged machine document meaning, or raise ConfigError listing every problem."""
    return _Elaborator(source).run()
