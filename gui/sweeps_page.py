"""The Sweeps tab: a sweep's results table (graphsim/sweep/results.py), its plot (the same
drawing as `graphsim sweep plot`), a point's run directory, and relaunching a point as a restore."""

from __future__ import annotations

import json
import os

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel,
                               QPlainTextEdit, QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from graphsim.errors import GraphsimError
from graphsim.sweep.plot import draw
from graphsim.sweep.results import load_results

from .runs import RestoreRequest


class ResultsModel(QAbstractTableModel):
    """One row per point: status, axis values, collected statistics, wall time."""

    def __init__(self, doc: dict | None = None):
        super().__init__()
        self.set_document(doc or {"axes": [], "points": []})

    def set_document(self, doc: dict):
        self.beginResetModel()
        self.doc = doc
        self.rows = sorted(doc.get("points", []), key=lambda r: r.get("index", 0))
        stats: list[str] = []
        for row in self.rows:
            stats += [n for n in row.get("stats", {}) if n not in stats]
        self.stats = stats
        self.columns = ["status"] + list(doc.get("axes", [])) + stats + ["wall s"]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def value(self, row: int, column: int):
        r, name = self.rows[row], self.columns[column]
        if name == "status":
            return r.get("status", "")
        if name == "wall s":
            return r.get("wall_seconds", "")
        if name in r.get("values", {}):
            return r["values"][name]
        return r.get("stats", {}).get(name, "")

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{value:.6g}" if isinstance(value, float) else str(value)
        if role == Qt.ItemDataRole.UserRole:  # sort key: numbers as numbers
            return value if isinstance(value, (int, float)) else str(value)
        if role == Qt.ItemDataRole.ToolTipRole and self.columns[index.column()] == "status":
            return self.rows[index.row()].get("error") or None
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None


class SweepsPage(QWidget):
    relaunchRequested = Signal(object)  # RestoreRequest

    def __init__(self, parent=None):
        super().__init__(parent)
        self.path: str | None = None
        self.doc: dict | None = None
        self.open_button = QPushButton("Open results…")
        self.open_button.clicked.connect(self.choose)
        self.where = QLabel("No sweep open. Run `graphsim sweep FILE`, then open its results.json.")
        self.where.setObjectName("subtle")
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.where, 1)

        self.model = ResultsModel()
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the sweep's order
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda *_: self.open_run())

        self.stat = QComboBox()
        self.x_axis = QComboBox()
        self.by_axis = QComboBox()
        self.heatmap = QCheckBox("heat map")
        for widget in (self.stat, self.x_axis, self.by_axis):
            widget.currentIndexChanged.connect(lambda *_: self.replot())
        self.heatmap.toggled.connect(lambda *_: self.replot())
        controls = QHBoxLayout()
        for label, widget in (("stat", self.stat), ("x", self.x_axis), ("lines / y", self.by_axis)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget, 1)
        controls.addWidget(self.heatmap)
        self.figure = Figure(figsize=(6, 4), dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.plot_message = QLabel("")
        self.plot_message.setObjectName("subtle")
        plot = QWidget()
        plot_layout = QVBoxLayout(plot)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addLayout(controls)
        plot_layout.addWidget(self.canvas, 1)
        plot_layout.addWidget(self.plot_message)

        self.open_run_button = QPushButton("Open run")
        self.open_run_button.setToolTip("show the point's console and statistics")
        self.open_run_button.clicked.connect(self.open_run)
        self.folder_button = QPushButton("Show folder")
        self.folder_button.clicked.connect(self.show_folder)
        self.relaunch_button = QPushButton("Relaunch as restore")
        self.relaunch_button.setToolTip("restore the sweep's checkpoint onto this point's machine and run it "
                                        "for the point's instructions")
        self.relaunch_button.clicked.connect(self.relaunch)
        buttons = QHBoxLayout()
        for b in (self.open_run_button, self.folder_button, self.relaunch_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.run_view = QPlainTextEdit()
        self.run_view.setReadOnly(True)
        self.run_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(buttons)
        lower_layout.addWidget(self.run_view, 1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(plot)
        right.addWidget(lower)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setSizes([700, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._selection_changed()

    # --- loading -----------------------------------------------------------------------------------

    def choose(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open sweep results", "", "Sweep results (results.json)")
        if path:
            self.open(path)

    def open(self, path: str) -> bool:
        try:
            doc = load_results(path)
        except GraphsimError as exc:
            self.where.setText(str(exc))
            return False
        self.path = os.path.join(path, "results.json") if os.path.isdir(path) else path
        self.doc = doc
        self.model.set_document(doc)
        ok = sum(r.get("status") == "ok" for r in doc["points"])
        self.where.setText(f"{doc.get('sweep', '')}: {len(doc['points'])} points, {ok} finished — {self.path}")
        self.table.resizeColumnsToContents()
        for combo, items in ((self.stat, self.model.stats), (self.x_axis, doc["axes"]),
                             (self.by_axis, ["(auto)"] + doc["axes"])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        self.replot()
        return True

    def replot(self) -> str:
        if not self.doc or not self.stat.count():
            return ""
        by = self.by_axis.currentText()
        try:
            what = draw(self.figure, self.doc, self.stat.currentText(), self.x_axis.currentText() or None,
                        None if by in ("", "(auto)") else by, self.heatmap.isChecked())
        except GraphsimError as exc:
            self.figure.clear()
            what = str(exc)
        self.canvas.draw_idle()
        self.plot_message.setText(what)
        return what

    # --- the selected point -----------------------------------------------------------------------

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.rows[self.proxy.mapToSource(rows[0]).row()]

    def select_point(self, index: int):
        for r, row in enumerate(self.model.rows):
            if row.get("index") == index:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(r, 0)).row())

    def run_dir(self, row: dict) -> str:
        return os.path.join(os.path.dirname(self.path), row["dir"])

    def _selection_changed(self):
        row = self.selected()
        has_run = row is not None and os.path.isdir(self.run_dir(row))
        self.open_run_button.setEnabled(has_run)
        self.folder_button.setEnabled(has_run)
        self.relaunch_button.setEnabled(has_run and bool((self.doc or {}).get("start", {}).get("checkpoint")))

    def open_run(self):
        row = self.selected()
        if row is None:
            return
        directory = self.run_dir(row)
        parts = [f"{directory}", f"status {row.get('status')}" + (f": {row['error']}" if row.get("error") else "")]
        for name in ("console.log", "stats.txt"):
            path = os.path.join(directory, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"── {name} ──\n{f.read()}")
        self.run_view.setPlainText("\n".join(parts))

    def show_folder(self):
        row = self.selected()
        if row is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.run_dir(row)))

    def relaunch_request(self, row: dict) -> RestoreRequest:
        """The point as a restore: the sweep's checkpoint onto the point's resolved machine
        (its run directory's config.toml), for the instructions the point ran."""
        start = self.doc["start"]
        with open(os.path.join(self.run_dir(row), "run.json"), encoding="utf-8") as f:
            json.load(f)  # a run directory with a readable record
        return RestoreRequest(checkpoint=start["checkpoint"], library=start["library"],
                              config=os.path.join(self.run_dir(row), "config.toml"),
                              max_insts=row.get("insts") or None)

    def relaunch(self):
        row = self.selected()
        if row is not None:
            self.relaunchRequested.emit(self.relaunch_request(row))
