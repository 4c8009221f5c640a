"""The checkpoint library as the desktop app sees it: pure Python, no Qt.

`Catalog` wraps a `graphsim.checkpoint.library.Library`, keeps the checkpoints
as a lineage forest (parent → children; orphans and damaged entries at the top)
and tells its listeners when a refresh changed anything. The Qt item model in
`gui.library_model` is a thin adapter over it.

The columns are derived from the library index: every field of
`graphsim.checkpoint.library.Entry` is a column. `COLUMN_STYLE` only says how a
field is presented (title, formatting, alignment, whether shown by default);
a field added to the index appears as a column without any code here.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any, Callable

from graphsim.checkpoint.library import Entry, Library
from graphsim.checkpoint.library_cli import describe_trigger
from graphsim.config.units import format_bytes

# Entry fields that are not columns: the lineage is the tree itself, the path is where it lives.
NOT_COLUMNS = {"parent", "path"}
TREE_COLUMN = "name"  # first: the column that carries the lineage tree


def _thousands(value: Any) -> str:
    return f"{int(value):,}" if value not in ("", None) else ""


def _local_time(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value or "")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _size(value: Any) -> str:
    return format_bytes(int(value)) if value else "0 B"


def _trigger(value: str) -> str:
    kind, _, detail = str(value or "").partition(":")
    return describe_trigger(kind, detail)


def _disks(value: str) -> str:
    """'disk0:disk-a.img:3f2a…' → 'disk0 = disk-a.img' (older indexes hold no file name: the hash then)."""
    shown = []
    for part in filter(None, str(value or "").split(",")):
        fields = part.split(":")
        shown.append(f"{fields[0]} = {fields[1]}" if len(fields) == 3 and fields[1] else " ".join(fields))
    return ", ".join(shown)


def _xlen(value: Any) -> str:
    return f"RV{value}" if value else ""


@dataclass(frozen=True)
class Style:
    """How one index field is shown; everything has a default derived from the field's type."""

    title: str = ""
    format: Callable[[Any], str] | None = None
    align: str = ""  # "left" or "right"; default: right for numbers
    visible: bool = True
    tooltip: str = ""
    editable: bool = False


COLUMN_STYLE: dict[str, Style] = {
    "name": Style("Checkpoint", tooltip="name (the id unless one was given) — the tree shows the lineage"),
    "id": Style("Id", visible=False),
    "created": Style("Created", _local_time, tooltip="wall-clock time the checkpoint was written (local time)"),
    "instret": Style("Instructions", _thousands, tooltip="instructions retired by all harts"),
    "tick": Style("Tick", _thousands, visible=False, tooltip="simulated time in ticks (1 tick = 1 ps)"),
    "cpu_models": Style("CPU model", tooltip="CPU model(s) the checkpoint was taken on"),
    "machine": Style("Machine"),
    "disks": Style("Disk images", _disks, tooltip="disk name and image file (path and sha256 in the details)"),
    "stored_bytes": Style("Size on disk", _size, tooltip="new data this checkpoint stored (shared chunks count once)"),
    "trigger": Style("Trigger", _trigger),
    "note": Style("Note", editable=True, tooltip="double-click to edit"),
    "xlen": Style("XLEN", _xlen, visible=False),
}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    format: Callable[[Any], str]
    align: str
    visible: bool
    tooltip: str
    editable: bool
    numeric: bool


def columns() -> list[Column]:
    """One column per index field, in the index's order, styled by `COLUMN_STYLE`."""
    out = []
    ordered = sorted(dataclasses.fields(Entry), key=lambda f: f.name != TREE_COLUMN)  # stable: index order
    for f in ordered:
        if f.name in NOT_COLUMNS:
            continue
        style = COLUMN_STYLE.get(f.name, Style())
        numeric = f.type in ("int", "float", int, float)
        out.append(Column(
            key=f.name,
            title=style.title or f.name.replace("_", " ").capitalize(),
            format=style.format or (_thousands if numeric else (lambda v: "" if v is None else str(v))),
            align=style.align or ("right" if numeric else "left"),
            visible=style.visible,
            tooltip=style.tooltip,
            editable=style.editable,
            numeric=numeric,
        ))
    return out


@dataclass(eq=False)
class Node:
    """A checkpoint in the lineage forest, or a damaged directory (entry None, ``damaged`` set)."""

    id: str
    entry: Entry | None = None
    damaged: str = ""
    parent: "Node | None" = None
    children: list["Node"] = field(default_factory=list)
    row: int = 0  # position among its siblings (or among the roots)

    def value(self, key: str) -> Any:
        if self.entry is not None:
            return getattr(self.entry, key)
        return {"id": self.id, "name": self.id, "note": self.damaged}.get(key, "")

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def build_forest(entries: list[Entry], damaged: dict[str, str]) -> list[Node]:
    """Roots of the lineage forest: checkpoints whose parent is absent (orphans included), then damaged ones."""
    nodes = {e.id: Node(e.id, e) for e in entries}
    roots = []
    for entry in entries:
        node = nodes[entry.id]
        parent = nodes.get(entry.parent) if entry.parent else None
        if parent is not None and parent is not node:
            node.parent = parent
            parent.children.append(node)
        else:
            roots.append(node)
    roots += [Node(cpt_id, None, damaged=why) for cpt_id, why in sorted(damaged.items())]
    for row, root in enumerate(roots):
        root.row = row
        for node in root.walk():
            for n, child in enumerate(node.children):
                child.row = n
    return roots


class Catalog:
    """The library's checkpoints as a forest that refreshes itself from the files."""

    def __init__(self, library: Library):
        self.library = library
        self.roots: list[Node] = []
        self.by_id: dict[str, Node] = {}
        self._signature: tuple = ()
        self._listeners: list[Callable[[], None]] = []
        self.refresh()

    @property
    def root(self) -> str:
        return self.library.root

    def subscribe(self, callback: Callable[[], None]):
        """``callback()`` after every refresh that changed something."""
        self._listeners.append(callback)

    def refresh(self, force: bool = False) -> bool:
        """Re-read the index (picking up checkpoints other processes wrote); True if anything changed."""
        self.library.sync_index()
        entries = self.library.entries()
        damaged = dict(self.library.damaged)
        signature = (tuple(dataclasses.astuple(e) for e in entries), tuple(sorted(damaged.items())))
        if signature == self._signature and not force:
            return False
        self._signature = signature
        self.roots = build_forest(entries, damaged)
        self.by_id = {node.id: node for root in self.roots for node in root.walk()}
        for callback in list(self._listeners):
            callback()
        return True

    def entry(self, cpt_id: str) -> Entry | None:
        node = self.by_id.get(cpt_id)
        return node.entry if node else None

    def damaged(self, cpt_id: str) -> str:
        node = self.by_id.get(cpt_id)
        return node.damaged if node else ""

    def ids(self) -> list[str]:
        return [node.id for root in self.roots for node in root.walk() if node.entry is not None]

    def label(self, cpt_id: str) -> str:
        entry = self.entry(cpt_id)
        if entry is None:
            return cpt_id
        return entry.name if entry.name == entry.id else f"{entry.name} ({entry.id})"
