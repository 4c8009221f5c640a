"""Graded compatibility findings as a coloured table, with the verdict above it."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QTableView,
                               QVBoxLayout, QWidget)

from graphsim.checkpoint.compat import GRADE_ORDER, Finding

from . import theme
from .words import GRADE_MEANING, explain, verdict_line

GRADE_ROLE = Qt.ItemDataRole.UserRole + 1


class FindingsModel(QAbstractTableModel):
    HEADERS = ("Grade", "Subject", "Finding", "What it means")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.findings: list[Finding] = []

    def set_findings(self, findings: list[Finding]):
        self.beginResetModel()
        # worst first, then in the diff's own order
        order = {id(f): n for n, f in enumerate(findings)}
        self.findings = sorted(findings, key=lambda f: (-GRADE_ORDER[f.grade], order[id(f)]))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.findings)

    def columnCount(self, parent=QModelIndex()):
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        finding = self.findings[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{theme.GRADE_ICON[finding.grade]}  {finding.grade}", finding.subject, finding.message,
                    explain(finding))[column]
        if role == GRADE_ROLE:
            return finding.grade
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(theme.GRADE_BG[finding.grade]))
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 0 or finding.grade == "same":
                return QBrush(QColor(theme.GRADE_FG[finding.grade]))
            return QBrush(QColor("#1f2328" if column < 3 else "#495057"))
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QFont()
            font.setWeight(QFont.Weight.Bold)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{finding.grade}: {GRADE_MEANING[finding.grade]}\n\n{finding.message}\n\n{explain(finding)}"
        return None


class _HideSame(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.show_same = False

    def filterAcceptsRow(self, row, parent):
        if self.show_same:
            return True
        return self.sourceModel().index(row, 0, parent).data(GRADE_ROLE) != "same"


class FindingsPanel(QWidget):
    """Verdict banner + findings table; 'same' rows hidden unless asked for."""

    def __init__(self, parent=None, show_same: bool = False):
        super().__init__(parent)
        self.verdict = QLabel("No comparison yet")
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.show_same = QCheckBox("Show what is the same")
        self.show_same.setChecked(show_same)
        self.model = FindingsModel(self)
        self.proxy = _HideSame(self)
        self.proxy.show_same = show_same
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.show_same.toggled.connect(self._toggle_same)
        top = QHBoxLayout()
        top.addWidget(self.verdict, 1)
        top.addWidget(self.show_same)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.set_message("No comparison yet")

    def _toggle_same(self, on: bool):
        self.proxy.show_same = on
        self.proxy.invalidate()

    def set_findings(self, findings: list[Finding]):
        self.model.set_findings(findings)
        grade, text = verdict_line(findings)
        self.verdict.setText(text)
        self.verdict.setStyleSheet(theme.verdict_style(grade))
        self.verdict.setProperty("grade", grade)
        self.proxy.invalidate()

    def set_message(self, text: str, grade: str = "same", error: bool = False):
        """Show a status instead of a verdict (computing…, or an error that prevented the diff)."""
        self.model.set_findings([])
        self.verdict.setText(text)
        self.verdict.setProperty("grade", "error" if error else "")
        if error:
            self.verdict.setStyleSheet(theme.verdict_style("incompatible"))
        else:
            self.verdict.setStyleSheet("QLabel#verdict { color: #5c636a; background: #f6f7f8; "
                                       "border: 1px solid #d0d4d9; }")

    def grades(self) -> list[str]:
        return [f.grade for f in self.model.findings]
