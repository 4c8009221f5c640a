"""The resolved machine as TOML, every default filled in (graphsim's config.ini).

Arrays appear expanded into their named members and every binding is written
on its requester side, so the dump is itself a valid machine file that
elaborates to the same machine.
"""

from __future__ import annotations

import tomli_w

from ..config.loader import FORMAT_VERSION
from ..config.schema import REQUESTER
from .elaborate import MachineGraph, port_peers


def resolved_document(machine: MachineGraph) -> dict:
    doc: dict = {"version": FORMAT_VERSION, "machine": {"name": machine.name}}
    if machine.description:
        doc["machine"]["description"] = machine.description
    if machine.workload:
        doc["workload"] = dict(machine.workload)
    components = {}
    for name in machine.cpus + [n for n in machine.components if n not in machine.cpus]:
        component = machine.components[name]
        table: dict = {"type": component.kind}
        for pname, decl in component.params_decl.items():
            table[pname] = decl.type.format(component.params[pname])
        for port_name, port in component.ports_decl.items():
            if port.direction != REQUESTER:
                continue
            peers = [f"{peer}.{peer_port}" for peer, peer_port in port_peers(machine.graph, name, port_name)]
            if peers:
                table[port_name] = peers if port.vector or len(peers) > 1 else peers[0]
        components[name] = table
    doc["components"] = components
    return doc


def resolved_toml(machine: MachineGraph) -> str:
    return tomli_w.dumps(resolved_document(machine))
