"""The library page: the lineage tree with search, and the selected checkpoint's details."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QSplitter,
                               QTreeView, QVBoxLayout, QWidget)

from .catalog import Catalog
from .details import DetailsPane
from .library_model import DAMAGED_ROLE, ID_ROLE, CheckpointTreeModel, LibraryFilter


class LibraryPage(QWidget):
    selectionChanged = Signal(list)  # ids of the selected checkpoints
    activated = Signal(str)  # double-click on a checkpoint
    noteEdited = Signal(str, str)

    def __init__(self, catalog: Catalog, parent=None, hidden_columns: list[str] | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.model = CheckpointTreeModel(catalog, self)
        self.model.noteEdited.connect(self.noteEdited)
        self.proxy = LibraryFilter(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter: name, machine, CPU model, disk, trigger, note…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.count = QLabel("")
        self.count.setObjectName("subtle")

        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(self.model.column_index("created"), Qt.SortOrder.AscendingOrder)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setExpandsOnDoubleClick(False)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        for n, column in enumerate(self.model.columns):
            hidden = (column.key in hidden_columns) if hidden_columns is not None else not column.visible
            self.tree.setColumnHidden(n, hidden)
            if column.key != "note":
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Interactive)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        self.tree.doubleClicked.connect(self._double_clicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.details = DetailsPane()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        left_layout.addLayout(top)
        left_layout.addWidget(self.tree, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([820, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._selected: list[str] = []
        self.model.modelAboutToBeReset.connect(self._remember)
        self.model.modelReset.connect(self._restore)
        self._collapsed: set[str] = set()
        self._restore()

    # --- keeping the view steady across refreshes -------------------------------------------

    def _all_proxy_indexes(self, parent=None):
        parent = parent or QModelIndex()
        for row in range(self.proxy.rowCount(parent)):
            index = self.proxy.index(row, 0, parent)
            yield index
            yield from self._all_proxy_indexes(index)

    def _remember(self):
        self._collapsed = {i.data(ID_ROLE) for i in self._all_proxy_indexes()
                           if self.proxy.hasChildren(i) and not self.tree.isExpanded(i)}

    def _restore(self):
        for index in self._all_proxy_indexes():
            # branches open (new children show up at once); what the user collapsed stays collapsed
            self.tree.setExpanded(index, index.data(ID_ROLE) not in self._collapsed)
        for n in range(len(self.model.columns)):
            if self.model.columns[n].key in ("name", "created", "instret", "cpu_models", "machine", "trigger"):
                self.tree.resizeColumnToContents(n)
        self._reselect(self._selected)
        self._update_count()

    def _reselect(self, ids: list[str]):
        selection = self.tree.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        first = None
        for cpt_id in ids:
            index = self.proxy.mapFromSource(self.model.index_of(cpt_id))
            if index.isValid():
                selection.select(index, QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
                first = first or index
        if first is not None:
            selection.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
        selection.blockSignals(False)
        self._selection_changed()

    def _update_count(self):
        total = len(self.catalog.by_id)
        damaged = sum(1 for n in self.catalog.by_id.values() if n.entry is None)
        text = f"{total} checkpoint{'s' if total != 1 else ''}"
        if damaged:
            text += f", {damaged} damaged"
        self.count.setText(text)

    # --- interaction ------------------------------------------------------------------------------

    def _filter(self, text: str):
        self.proxy.setFilterFixedString(text)
        self.tree.expandAll()

    def select(self, cpt_id: str):
        self._reselect([cpt_id])
        index = self.proxy.mapFromSource(self.model.index_of(cpt_id))
        if index.isValid():
            self.tree.scrollTo(index)

    def selected_ids(self) -> list[str]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [i.data(ID_ROLE) for i in sorted(rows, key=lambda i: (i.parent().row(), i.row()))]

    def current_id(self) -> str | None:
        ids = self.selected_ids()
        return ids[0] if ids else None

    def _selection_changed(self, *_):
        ids = self.selected_ids()
        self._selected = ids
        self.show_details(ids[0] if ids else None)
        self.selectionChanged.emit(ids)

    def show_details(self, cpt_id: str | None):
        if cpt_id is None:
            if self.catalog.by_id:
                self.details.clear()
            else:
                self.details.clear("The library is empty. “Boot machine…” runs a machine file and takes its first "
                                   "checkpoints; “Import…” adds an exported one.")
            return
        damaged = self.catalog.damaged(cpt_id)
        if damaged:
            self.details.show_damaged(cpt_id, damaged)
            return
        try:
            manifest = self.catalog.library.manifest(cpt_id)
        except Exception as exc:  # noqa: BLE001 — damaged since the last refresh: show it, never crash
            self.details.show_damaged(cpt_id, str(exc))
            return
        self.details.show_checkpoint(manifest)

    def _double_clicked(self, index):
        if not (index.flags() & Qt.ItemFlag.ItemIsEditable):
            cpt_id = index.data(ID_ROLE)
            if cpt_id and not index.data(DAMAGED_ROLE):
                self.activated.emit(cpt_id)

    def _column_menu(self, pos):
        menu = QMenu(self)
        for n, column in enumerate(self.model.columns):
            if column.key == "name":
                continue
            action = QAction(column.title, menu)
            action.setCheckable(True)
            action.setChecked(not self.tree.isColumnHidden(n))
            action.toggled.connect(lambda on, n=n: self.tree.setColumnHidden(n, not on))
            menu.addAction(action)
        menu.exec(self.tree.header().mapToGlobal(pos))

    def hidden_columns(self) -> list[str]:
        return [c.key for n, c in enumerate(self.model.columns) if self.tree.isColumnHidden(n)]
