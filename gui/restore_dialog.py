"""“Restore with…”: choose the target and run options, see the graded findings, then start."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QLabel,
                               QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from .findings_view import FindingsPanel
from .runs import RestoreRequest
from .target_form import TargetForm
from .targets import FILE, Comparison, compare
from .workers import Latest


def parse_count(text: str) -> int | None:
    """'1_000_000', '1,000,000', '1e6', '2M' → an instruction count (as the command line reads it);
    '' → None; ValueError otherwise."""
    from graphsim.config.units import UnitError, parse_count as count

    text = text.strip().replace(" ", "")
    if not text:
        return None
    try:
        value = count(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
    if value <= 0:
        raise ValueError(f"{text!r} is not a positive instruction count")
    return value


class RestoreDialog(QDialog):
    outdir = ""  # the run directory Start will use (set by the main window; '' shows RUNDIR)

    def __init__(self, library_root: str, manifest: dict, parent=None, label: str = ""):
        super().__init__(parent)
        self.library_root = library_root
        self.manifest = manifest
        self.comparison: Comparison | None = None
        name = label or manifest.get("meta", {}).get("name") or manifest["id"]
        self.setWindowTitle(f"Restore {name} with…")
        self.resize(1080, 700)

        heading = QLabel(f"Restore <b>{name}</b>")
        heading.setObjectName("heading")
        pos = manifest.get("position", {})
        models = sorted({c.get("model", "") for c in manifest.get("compat", {}).get("cpus", {}).values()})
        sub = QLabel(f"{manifest['id']} · taken on {manifest.get('machine_name', '')} ({', '.join(models)}) at "
                     f"{pos.get('instret', 0):,} instructions")
        sub.setObjectName("subtle")

        self.form = TargetForm(allow_editor=False, allow_checkpoint=False, stretch=False)
        self.form.set_checkpoint(manifest)

        run = QGroupBox("Run")
        self.max_insts = QLineEdit()
        self.max_insts.setPlaceholderText("until the guest exits (e.g. 5M)")
        self.max_insts.setToolTip("instructions to run after the restore (--max-insts N, counted from the checkpoint)")
        self.at_inst = QLineEdit()
        self.at_inst.setPlaceholderText("e.g. 1M, 2M (counted from the checkpoint)")
        self.at_inst.setToolTip("take checkpoints after this many instructions from the checkpoint "
                                "(--checkpoint-at-inst, which restore counts from the checkpoint)")
        self.on_console = QLineEdit()
        self.on_console.setPlaceholderText(r"regular expression, e.g. \$ $")
        self.on_console.setToolTip("take a checkpoint when the console output matches")
        self.note = QLineEdit()
        self.note.setPlaceholderText("stored with the checkpoints this run takes")
        self.option_error = QLabel("")
        self.option_error.setStyleSheet("color: #b02a37;")
        run_form = QFormLayout(run)
        run_form.addRow("Max instructions", self.max_insts)
        run_form.addRow("Checkpoint at inst", self.at_inst)
        run_form.addRow("Checkpoint on console", self.on_console)
        run_form.addRow("Note", self.note)
        run_form.addRow(self.option_error)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(self.form)
        left_layout.addWidget(run)
        left_layout.addStretch(1)

        self.findings = FindingsPanel()
        self.allow = QCheckBox("Restore despite the warnings (the guest will see these differences)")
        self.allow.setEnabled(False)
        self.command = QLabel("")
        self.command.setObjectName("subtle")
        self.command.setWordWrap(True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        findings_title = QLabel("Compatibility, checked before anything starts")
        findings_title.setObjectName("heading")
        right_layout.addWidget(findings_title)
        right_layout.addWidget(self.findings, 1)
        right_layout.addWidget(self.allow)
        right_layout.addWidget(self.command)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([400, 680])

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start = QPushButton("Start restore")
        self.start.setDefault(True)
        self.buttons.addButton(self.start, QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy = QPushButton("Copy command line")
        self.buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._command_line()))

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(sub)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)

        self.latest = Latest(self)
        self.latest.finished.connect(self._show)
        self.latest.errored.connect(self._error)
        self.form.changed.connect(self.check)
        for edit in (self.max_insts, self.at_inst, self.on_console, self.note):
            edit.textChanged.connect(self._update_buttons)
        self.allow.toggled.connect(self._update_buttons)
        self.check()

    # --- checking ----------------------------------------------------------------------

    def check(self):
        """Recompute the findings for the current target (in a worker)."""
        self.comparison = None
        self.allow.setChecked(False)
        self.allow.setEnabled(False)
        try:
            target = self.form.target()
        except ValueError as exc:
            self.findings.set_message(str(exc).capitalize() + ".")
            self._update_buttons()
            return
        self.findings.set_message("Checking compatibility… (reading the target, hashing disk images)")
        self.latest.submit(compare, self.library_root, self.manifest["id"], target)
        self._update_buttons()

    def _show(self, comparison: Comparison):
        self.comparison = comparison
        self.findings.set_findings(comparison.findings)
        self.allow.setEnabled(comparison.code == 1)
        self._update_buttons()

    def _error(self, message: str):
        self.comparison = None
        self.findings.set_message(message, error=True)
        self._update_buttons()

    def options_problem(self) -> str:
        try:
            parse_count(self.max_insts.text())
            for part in filter(None, (p.strip() for p in self.at_inst.text().split(","))):
                parse_count(part)
        except ValueError as exc:
            return str(exc)
        if self.on_console.text():
            try:
                re.compile(self.on_console.text())
            except re.error as exc:
                return f"console pattern: {exc}"
        return ""

    def _update_buttons(self, *_):
        problem = self.options_problem()
        self.option_error.setText(problem)
        code = self.comparison.code if self.comparison else None
        ready = (code == 0 or (code == 1 and self.allow.isChecked())) and not problem
        self.start.setEnabled(bool(ready))
        if code == 2:
            self.start.setToolTip("the target is incompatible: restore is refused")
        elif code == 1 and not self.allow.isChecked():
            self.start.setToolTip("tick 'Restore despite the warnings' first")
        else:
            self.start.setToolTip("")
        self.command.setText(self._command_line() if not problem else "")

    # --- result ---------------------------------------------------------------------------

    def request(self) -> RestoreRequest:
        target = self.form.target()
        at = [parse_count(p) for p in self.at_inst.text().split(",") if p.strip()]
        return RestoreRequest(
            checkpoint=self.manifest["id"], library=self.library_root, cpu=target.cpu,
            config=target.path if target.kind == FILE else None, disks=dict(target.disks),
            max_insts=parse_count(self.max_insts.text()), checkpoint_at_inst=at,
            checkpoint_on_console=[self.on_console.text()] if self.on_console.text() else [],
            strict=target.strict, note=self.note.text().strip(), outdir=self.outdir,
            allow_warnings=bool(self.comparison and self.comparison.code == 1 and self.allow.isChecked()))

    def _command_line(self) -> str:
        try:
            return self.request().shell_line()
        except ValueError:
            return ""

    def done(self, result):
        self.latest.cancel()
        super().done(result)
