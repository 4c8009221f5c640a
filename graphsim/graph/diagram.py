"""Machine diagrams: the component graph as Graphviz DOT, rendered by Debian's ``dot``."""

from __future__ import annotations

import shutil
import subprocess

from ..config.units import format_size
from ..errors import GraphsimError
from .elaborate import MachineGraph

ROLE_STYLE = {
    "cpu": ("box3d", "#cfe2ff"),
    "cache": ("box", "#d1e7dd"),
    "bus": ("hexagon", "#fff3cd"),
    "memory": ("cylinder", "#e2d9f3"),
    "interrupt_controller": ("octagon", "#f8d7da"),
    "device": ("component", "#e9ecef"),
}
PROTOCOL_STYLE = {"mem": "solid", "irq": "dashed", "hart_irq": "dotted"}


def _quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, newlines as DOT's line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _label(name: str, component) -> str:
    label = f"{name}\n{component.kind}"
    rng = component.address_range()
    if rng is not None:
        label += f"\n0x{rng[0]:x} +{format_size(rng[1])}"
    if component.role == "cache":
        label += f"\n{format_size(component.params.size)} {component.params.assoc}-way"
    if component.role == "cpu":
        label += f"\n{component.params.isa}"
    if "irq" in component.params and component.address_range() is not None:
        label += f"\nirq {component.params.irq}"
    return label


def to_dot(machine: MachineGraph, compact: bool = False) -> str:
    """The machine as DOT. ``compact`` (for a small panel): larger type, no port names on the
    edges, and runs of empty virtio-mmio transports drawn as one node."""
    font = (12, 10) if compact else (10, 8)
    lines = [f"digraph {_quote(machine.name)} {{", "  rankdir=LR;",
             f'  node [fontname="Helvetica", fontsize={font[0]}, style=filled];',
             f'  edge [fontname="Helvetica", fontsize={font[1]}];',
             f"  label={_quote(machine.name + (' — ' + machine.description if machine.description else ''))};"]
    node_of = {name: name for name in machine.components}
    empty = [name for name, c in machine.components.items() if c.kind == "virtio_mmio"]
    if compact and len(empty) > 2:
        group = f"{empty[0]} … {empty[-1]}"
        bases = [machine.components[n].address_range()[0] for n in empty]
        label = f"{group}\n{len(empty)}× virtio_mmio (empty slots)\n0x{min(bases):x} … 0x{max(bases):x}"
        for name in empty:
            node_of[name] = group
        shape, colour = ROLE_STYLE["device"]
        lines.append(f"  {_quote(group)} [shape={shape}, fillcolor={_quote(colour)}, label={_quote(label)}];")
    for name, component in machine.components.items():
        if node_of[name] != name:
            continue
        shape, colour = ROLE_STYLE.get(component.role, ROLE_STYLE["device"])
        lines.append(f"  {_quote(name)} [shape={shape}, fillcolor={_quote(colour)}, "
                     f"label={_quote(_label(name, component))}];")
    drawn = set()
    for src, dst, data in machine.graph.edges(data=True):
        style = PROTOCOL_STYLE.get(data["protocol"], "solid")
        a, b = node_of[src], node_of[dst]
        if compact:
            if (a, b, style) not in drawn:
                drawn.add((a, b, style))
                lines.append(f"  {_quote(a)} -> {_quote(b)} [style={style}];")
            continue
        label = f"{data['src_port']} → {data['dst_port']}"
        lines.append(f"  {_quote(a)} -> {_quote(b)} [style={style}, label={_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_diagram(machine: MachineGraph, path: str):
    """Write DOT, SVG or PNG according to the file name's extension."""
    dot_text = to_dot(machine)
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as f:
            f.write(dot_text)
        return
    if fmt not in ("svg", "png", "pdf"):
        raise GraphsimError(f"{path}: unknown diagram format {fmt!r} (use .svg, .png, .pdf or .dot)")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphsimError("graphviz 'dot' is not installed (apt-get install graphviz), or write a .dot file")
    result = subprocess.run([dot, f"-T{fmt}", "-o", path], input=dot_text.encode(), capture_output=True)
    if result.returncode != 0:
        raise GraphsimError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
