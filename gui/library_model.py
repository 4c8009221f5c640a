"""The library as a Qt item model: a thin adapter over `gui.catalog.Catalog`.

Rows are catalog nodes (lineage forest), columns are `catalog.columns()`.
`LibraryFilter` searches every column (recursively, so a matching child keeps
its ancestors visible) and sorts by raw values.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from . import theme
from .catalog import Catalog, Column, Node, columns

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
DAMAGED_ROLE = Qt.ItemDataRole.UserRole + 3


class CheckpointTreeModel(QAbstractItemModel):
    noteEdited = Signal(str, str)  # id, new note (the window writes it to the library)

    def __init__(self, catalog: Catalog, parent=None):
        super().__init__(parent)
        self.catalog = catalog
        self.columns: list[Column] = columns()
        self._roots: list[Node] = list(catalog.roots)
        catalog.subscribe(self._catalog_changed)

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def _catalog_changed(self):
        self.beginResetModel()
        self._roots = list(self.catalog.roots)
        self.endResetModel()

    # --- structure ---------------------------------------------------------------

    def _node(self, index: QModelIndex) -> Node | None:
        return index.internalPointer() if index.isValid() else None

    def index(self, row, column, parent=QModelIndex()):
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        node = self._node(parent)
        siblings = node.children if node is not None else self._roots
        return self.createIndex(row, column, siblings[row]) if row < len(siblings) else QModelIndex()

    def parent(self, index=QModelIndex()):
        node = self._node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent=QModelIndex()):
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        return len(node.children) if node is not None else len(self._roots)

    def columnCount(self, parent=QModelIndex()):
        return len(self.columns)

    def index_of(self, cpt_id: str) -> QModelIndex:
        node = self.catalog.by_id.get(cpt_id)
        return self.createIndex(node.row, 0, node) if node is not None and node in self._reachable() else QModelIndex()

    def _reachable(self):
        return {n for root in self._roots for n in root.walk()}

    # --- data ----------------------------------------------------------------------

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignVCenter | (Qt.AlignmentFlag.AlignRight if column.align == "right"
                                                        else Qt.AlignmentFlag.AlignLeft))
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        node = self._node(index)
        if node is None:
            return None
        column = self.columns[index.column()]
        if role == ID_ROLE:
            return node.id
        if role == DAMAGED_ROLE:
            return node.damaged
        if node.entry is None:  # a damaged directory: its id, and why, in the note column
            return self._damaged_data(node, column, role)
        value = node.value(column.key)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if role == Qt.ItemDataRole.EditRole and column.editable:
                return value
            return column.format(value)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignVCenter | (Qt.AlignmentFlag.AlignRight if column.align == "right"
                                                        else Qt.AlignmentFlag.AlignLeft))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.key == "name":
                return f"{node.id}\n{node.entry.machine}, {node.entry.instret:,} instructions"
            text = column.format(value)
            return text if len(text) > 30 else None
        if role == Qt.ItemDataRole.FontRole and column.key == "name" and node.parent is None:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column.key in ("id", "tick", "created"):
            return QBrush(QColor("#5c636a"))
        return None

    def _damaged_data(self, node: Node, column: Column, role):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column.key == "name":
                return f"⚠ {node.id}"
            if column.key == "note":
                return f"damaged: {node.damaged}"
            return ""
        if role == SORT_ROLE:
            return node.id if column.key in ("name", "id") else ""
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(theme.DAMAGED_FG))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"This checkpoint cannot be read:\n{node.damaged}"
        return None

    def flags(self, index):
        base = super().flags(index)
        node = self._node(index)
        if node is not None and node.entry is not None and self.columns[index.column()].editable:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        node = self._node(index)
        if role != Qt.ItemDataRole.EditRole or node is None or node.entry is None:
            return False
        column = self.columns[index.column()]
        if column.key != "note" or str(value) == node.entry.note:
            return False
        self.noteEdited.emit(node.id, str(value))
        return True


class LibraryFilter(QSortFilterProxyModel):
    """Search in every column (case-insensitive, recursive so ancestors of matches stay), sort by raw values."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setAutoAcceptChildRows(False)

    def lessThan(self, left, right):
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if type(a) is not type(b):
            return str(a) < str(b)
        return a < b
