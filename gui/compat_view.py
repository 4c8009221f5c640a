"""The compatibility diff page: a checkpoint against a target machine, or two checkpoints side by side."""

from __future__ import annotations

import difflib
import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter, QTextBrowser,
                               QVBoxLayout, QWidget)

from graphsim.checkpoint.library_cli import describe

from . import theme
from .catalog import Catalog
from .findings_view import FindingsPanel
from .target_form import TargetForm
from .targets import CHECKPOINT, Comparison, compare
from .workers import Latest


def side_by_side(a: dict, b: dict) -> tuple[str, str]:
    """Two manifests in words, as HTML, with the lines that differ highlighted on both sides."""
    left, right = describe(a), describe(b)
    marked_left, marked_right = set(), set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if op != "equal":
            marked_left.update(range(i1, i2))
            marked_right.update(range(j1, j2))

    def render(title, lines, marked, colour):
        rows = "".join(f"<div style='background:{colour if n in marked else 'transparent'}'>"
                       f"{html.escape(line).replace(' ', '&nbsp;') or '&nbsp;'}</div>" for n, line in enumerate(lines))
        return (f"<b>{html.escape(title)}</b> <span style='color:#5c636a'>(differing lines marked)</span>"
                f"<div style='font-family:monospace; font-size:9pt; white-space:pre'>{rows}</div>")

    return (render("Checkpoint", left, marked_left, theme.GRADE_BG["incompatible"]),
            render("Compared with", right, marked_right, theme.GRADE_BG["changed"]))


class CompatPage(QWidget):
    compared = Signal(object)  # Comparison
    failed = Signal(str)

    def __init__(self, catalog: Catalog, editor_source=None, parent=None, show_same: bool = False):
        super().__init__(parent)
        self.catalog = catalog
        self.source = QComboBox()
        self.source.setMinimumContentsLength(28)
        self.form = TargetForm(editor_source=editor_source, checkpoint_choices=self._choices)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(self.run)
        self.target_label = QLabel("")
        self.target_label.setObjectName("subtle")
        self.target_label.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 6, 6)
        heading = QLabel("Checkpoint")
        heading.setObjectName("heading")
        left_layout.addWidget(heading)
        left_layout.addWidget(self.source)
        left_layout.addWidget(self.form, 1)
        left_layout.addWidget(self.compare_button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(340)

        self.side_a = QTextBrowser()
        self.side_b = QTextBrowser()
        self.sides = QSplitter(Qt.Orientation.Horizontal)
        self.sides.addWidget(self.side_a)
        self.sides.addWidget(self.side_b)
        self.sides.setVisible(False)
        self.findings = FindingsPanel(show_same=show_same)
        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(6, 6, 6, 0)
        title = QLabel("Compatibility")
        title.setObjectName("heading")
        top_layout.addWidget(title)
        top_layout.addWidget(self.target_label)
        top_layout.addWidget(self.findings, 1)
        right.addWidget(self.sides)
        right.addWidget(top)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 900])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.result: Comparison | str | None = None  # the last comparison, or the error that stopped it
        self.latest = Latest(self)
        self.latest.finished.connect(self._show)
        self.latest.errored.connect(self._error)
        self.latest.busy.connect(lambda busy: self.compare_button.setEnabled(not busy))
        self.form.changed.connect(self.run)
        self.source.currentIndexChanged.connect(self._source_changed)
        catalog.subscribe(self.refresh_sources)
        self.refresh_sources()

    # --- sources --------------------------------------------------------------------

    def _choices(self):
        return [(cpt_id, self.catalog.label(cpt_id)) for cpt_id in self.catalog.ids()]

    def refresh_sources(self):
        current = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        for cpt_id, label in self._choices():
            self.source.addItem(label, cpt_id)
        self.source.setCurrentIndex(max(self.source.findData(current), 0))
        self.source.blockSignals(False)
        if self.source.currentData() != current:
            self._source_changed()
        else:
            self.form.refresh_checkpoints()

    def set_source(self, cpt_id: str):
        index = self.source.findData(cpt_id)
        if index >= 0 and index != self.source.currentIndex():
            self.source.setCurrentIndex(index)

    def _source_changed(self, *_):
        cpt_id = self.source.currentData()
        manifest = None
        if cpt_id:
            try:
                manifest = self.catalog.library.manifest(cpt_id)
            except Exception as exc:  # noqa: BLE001 — a damaged manifest is shown, never raised
                self.findings.set_message(str(exc), error=True)
        self.form.set_checkpoint(manifest)
        if manifest is not None:
            self.findings.set_message("Choose a target: the comparison runs by itself.")
            self.sides.setVisible(False)
            if self.isVisible():
                self.run()

    # --- comparing ---------------------------------------------------------------------

    def run(self):
        cpt_id = self.source.currentData()
        if not cpt_id:
            self.findings.set_message("The library has no checkpoint to compare.")
            return
        try:
            target = self.form.target()
        except ValueError as exc:
            self.findings.set_message(str(exc).capitalize() + ".")
            return
        self.target_label.setText(f"{self.catalog.label(cpt_id)}  →  {target.describe()}")
        self.findings.set_message("Comparing… (reading the target and hashing its disk images)")
        self.result = None
        self.latest.submit(compare, self.catalog.root, cpt_id, target)

    def _show(self, result: Comparison):
        self.result = result
        self.findings.set_findings(result.findings)
        paired = result.target.kind == CHECKPOINT and result.other is not None
        self.sides.setVisible(paired)
        if paired:
            left, right = side_by_side(result.source, result.other)
            self.side_a.setHtml(left)
            self.side_b.setHtml(right)
        self.compared.emit(result)

    def _error(self, message: str):
        self.result = message
        self.sides.setVisible(False)
        self.findings.set_message(message, error=True)
        self.failed.emit(message)
