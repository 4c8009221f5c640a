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


def to_dot(machine: MachineGraph) -> str:
    lines = [f"digraph {_quote(machine.name)} {{", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10, style=filled];',
             '  edge [fontname="Helvetica", fontsize=8];',
             f"  label={_quote(machine.name + (' — ' + machine.description if machine.description else ''))};"]
    for name, component in machine.components.items():
        shape, colour = ROLE_STYLE.get(component.role, ROLE_STYLE["device"])
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
        lines.append(f"  {_quote(name)} [shape={shape}, fillcolor={_quote(colour)}, label={_quote(label)}];")
    for src, dst, data in machine.graph.edges(data=True):
        style = PROTOCOL_STYLE.get(data["protocol"], "solid")
        label = f"{data['src_port']} → {data['dst_port']}"
        lines.append(f"  {_quote(src)} -> {_quote(dst)} [style={style}, label={_quote(label)}];")
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
